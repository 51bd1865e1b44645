"""The API's default permission (kept apart from studio.api: DRF imports it at start-up)."""
from rest_framework import permissions


class IsActiveStaff(permissions.BasePermission):
    """Logged-in studio staff (a user with a staff profile) or a superuser."""

    def has_permission(self, request, view) -> bool:
        user = request.user
        if not (user and user.is_authenticated and user.is_active):
            return False
        return user.is_superuser or hasattr(user, "staff_profile")
