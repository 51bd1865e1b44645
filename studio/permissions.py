"""The API's default permission (kept apart from studio.api: DRF imports it at start-up)."""
from rest_framework import permissions


class IsActiveStaff(permissions.BasePermission):
    """Logged-in studio staff (a user with a staff profile) or a superuser."""

    def has_permission(self, request, view) -> bool:
        user = request.user
        if not (user and user.is_authenticated and user.is_active):
            return False
        return user.is_superuser or hasattr(user, "staff_profile")


class HasRequiredPerm(IsActiveStaff):
    """Active staff who also hold the view's `required_perm` (403 otherwise)."""

    def has_permission(self, request, view) -> bool:
        return super().has_permission(request, view) and request.user.has_perm(view.required_perm)
