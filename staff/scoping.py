"""The one rule of who sees what (seed L92: customer information is confidential).

A general manager sees every store; a specialist sees only the customers assigned to them;
everyone else sees their own store. Every app's `<model>_visible_to(user)` selector applies
this scope with its own field paths, so pages, API, exports, search and dashboards agree.
"""
from dataclasses import dataclass

from django.db.models import Q, QuerySet

from .models import Role


@dataclass(frozen=True)
class Scope:
    all_stores: bool = False
    store_id: int | None = None
    owner_id: int | None = None  # set: only records assigned to this user
    nothing: bool = False

    def apply(self, queryset: QuerySet, *, store_field: str, owner_field: str | None) -> QuerySet:
        """Filter `queryset` to this scope; `owner_field` is the path to the assigned user."""
        if self.nothing:
            return queryset.none()
        if self.all_stores:
            return queryset
        query = Q(**{store_field: self.store_id})
        if self.owner_id is not None:
            if owner_field is None:
                return queryset.none()
            query &= Q(**{owner_field: self.owner_id})
        return queryset.filter(query)


def scope_for(user) -> Scope:
    if not user.is_authenticated or not user.is_active:
        return Scope(nothing=True)
    if user.is_superuser:
        return Scope(all_stores=True)
    profile = getattr(user, "staff_profile", None)
    if profile is None or not profile.is_active:
        return Scope(nothing=True)
    if profile.role == Role.GENERAL_MANAGER:
        return Scope(all_stores=True)
    if profile.role == Role.SPECIALIST:
        return Scope(store_id=profile.store_id, owner_id=user.pk)
    return Scope(store_id=profile.store_id)
