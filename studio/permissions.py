"""The API's default permission (kept apart from studio.api: DRF imports it at start-up)."""
from rest_framework import permissions
from rest_framework.permissions import SAFE_METHODS


class IsActiveStaff(permissions.BasePermission):
    """Logged-in studio staff (a user with a staff profile) or a superuser."""

    def has_permission(self, request, view) -> bool:
        user = request.user
        if not (user and user.is_authenticated and user.is_active):
            return False
        return user.is_superuser or hasattr(user, "staff_profile")


class HasRequiredPerm(IsActiveStaff):
    """The API's default permission: active staff who also hold the view's `required_perm`
    (403 otherwise). Every view says what it needs: `required_perm = None` opens it to all
    active staff, and a view that says nothing is refused (fail closed)."""

    def has_permission(self, request, view) -> bool:
        if not super().has_permission(request, view) or not hasattr(view, "required_perm"):
            return False
        return view.required_perm is None or request.user.has_perm(view.required_perm)


# `required_perm` for HasRequiredPerm when one URL reads and writes: reads need `read_perm`,
# writes `write_perm` (a specialist may read scripts, not write them). A comment, not a
# docstring: drf-spectacular would show a docstring as the description of every such list.
class ReadOrWritePerm:

    read_perm: str
    write_perm: str

    @property
    def required_perm(self) -> str:
        return self.read_perm if self.request.method in SAFE_METHODS else self.write_perm
