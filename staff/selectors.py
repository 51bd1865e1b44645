"""Reads of staff: the people a viewer may pick (filters, assignment), within their scope."""
from django.db.models import QuerySet

from .models import Role, User
from .scoping import scope_for


def staff_users_in_scope(user, *roles: str) -> QuerySet[User]:
    """Active people with one of `roles` in the user's store (every store's for a GM)."""
    scope = scope_for(user)
    users = User.objects.filter(staff_profile__role__in=roles, staff_profile__is_active=True,
                                is_active=True).select_related("staff_profile__store")
    if scope.nothing:
        return users.none()
    if not scope.all_stores:
        users = users.filter(staff_profile__store_id=scope.store_id)
    return users.order_by("staff_profile__store__code", "first_name", "username")


def specialists_assignable_by(user) -> QuerySet[User]:
    """Who may be given customers or callbacks."""
    return staff_users_in_scope(user, Role.SPECIALIST)
