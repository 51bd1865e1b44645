"""Domain errors: a studio rule refused an action. The UI shows the message; the API answers 409."""


class DomainError(Exception):
    """An action that the studio's rules refuse in the current state (not bad input)."""

    def __init__(self, message: str, *, code: str = "refused") -> None:
        super().__init__(message)
        self.message = message
        self.code = code


class ConfirmationRequired(DomainError):
    """A move the studio allows only once the user has confirmed what it changes (say, a booked
    shoot recorded done earlier, or by other people, than booked). The API answers 409 with this
    code until the request says `confirm: true`; a form shows the message and a tick box
    (ServiceFormMixin)."""

    def __init__(self, message: str, *, code: str = "confirmation_required") -> None:
        super().__init__(message, code=code)


class TransitionNotAllowed(DomainError):
    """A workflow move that the transition map does not allow from the current status."""

    def __init__(self, message: str, *, code: str = "transition_not_allowed") -> None:
        super().__init__(message, code=code)
