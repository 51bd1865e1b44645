"""Domain errors: a studio rule refused an action. The UI shows the message; the API answers 409."""


class DomainError(Exception):
    """An action that the studio's rules refuse in the current state (not bad input)."""

    def __init__(self, message: str, *, code: str = "refused") -> None:
        super().__init__(message)
        self.message = message
        self.code = code


class TransitionNotAllowed(DomainError):
    """A workflow move that the transition map does not allow from the current status."""

    def __init__(self, message: str, *, code: str = "transition_not_allowed") -> None:
        super().__init__(message, code=code)
