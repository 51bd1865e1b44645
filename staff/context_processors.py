from django.http import HttpRequest


def current_staff(request: HttpRequest) -> dict:
    """The logged-in person's staff profile (store, role) for every page."""
    user = getattr(request, "user", None)
    profile = getattr(user, "staff_profile", None) if user and user.is_authenticated else None
    return {"staff_profile": profile}
