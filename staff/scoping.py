"""The one rule of who sees what (seed L92: customer information is confidential).

A general manager sees every store; a specialist sees only the customers assigned to them;
everyone else sees their own store. Every app's `<model>_visible_to(user)` selector applies
this scope with its own field paths, so pages, API, exports, search and dashboards agree.
"""
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django import forms
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext as _

from studio.filters import MAX_ID

from .models import Role, Store


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


def of_my_stores(queryset: QuerySet, *, store_field: str = "store_id") -> Callable[[Any], QuerySet]:
    """A selector of rows that belong to a store, not to an assignee (campaigns, segments, the SMS
    outbox, gowns, locations, people): those of the stores the user works in; every store for a
    general manager, none for a specialist (whose scope is the customers assigned to them)."""
    return lambda user: scope_for(user).apply(queryset.all(), store_field=store_field,
                                              owner_field=None)


# ---- the store a request is about -----------------------------------------------------------

def store_asked(request: HttpRequest) -> str:
    """The store a page was asked for (`store`): the posted form's, else the query string's."""
    return request.POST.get("store") or request.GET.get("store") or ""


def store_for(user, requested: Store | int | str | None, *, writing: bool,
              one_store: bool = False) -> Store | None:
    """The store a request reads or writes: the one rule every page, export and API calls.

    - Someone bound to a store (every role but the general manager) gets their own store;
      naming another store is refused, never answered with their own.
    - A general manager (a superuser too: every store) gets the store named, which must exist
      and be open (营业中). Naming none, a write is refused (请选择门店); a read answers None,
      "every store", unless the page shows one store at a time (`one_store`): then their own
      store, or the first open store for someone without one (a superuser).
    - A bad name (not a number, no such store, a closed store, another store) raises
      ValidationError({"store": ...}): a page answers 400 with the message, the API 400 with
      the field's error. Someone with no scope at all is refused (PermissionDenied, 403).
    """
    scope = scope_for(user)
    if scope.nothing:
        raise PermissionDenied
    asked = _store_id(requested)
    if not scope.all_stores:
        own = Store.objects.get(pk=scope.store_id)
        if asked is not None and asked != own.pk:
            raise _refused(_("只能选择您所在的门店（%(store)s）。") % {"store": own.name},
                           "other_store")
        return own
    if asked is not None:
        store = requested if isinstance(requested, Store) else Store.objects.filter(
            pk=asked).first()
        if store is None:
            raise _refused(_("没有 ID 为 %(id)s 的门店。") % {"id": asked}, "unknown_store")
        if not store.is_active:
            raise _refused(_("门店“%(store)s”已停业。") % {"store": store.name}, "closed_store")
        return store
    if writing:
        raise _refused(_("请选择门店。"), "store_required")
    if not one_store:
        return None
    profile = getattr(user, "staff_profile", None)
    home = Store.objects.filter(is_active=True, pk=profile.store_id).first() if profile else None
    home = home or Store.objects.filter(is_active=True).first()
    if home is None:
        raise _refused(_("还没有营业中的门店。"), "no_store")
    return home


def stores_to_pick(user) -> QuerySet[Store]:
    """The stores a store picker offers: every open store to a general manager, none to
    anyone else (they have one store, nothing to pick)."""
    if scope_for(user).all_stores:
        return Store.objects.filter(is_active=True)
    return Store.objects.none()


class StoreField(forms.ModelChoiceField):
    """A form's store picker that cleans by `store_for`, with its rule and messages. The form's
    __init__ calls `bind(user, writing=...)`; it offers the stores `user` may pick (none to
    someone bound to a store: the template shows no picker, and the choice is their store)."""

    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("required", False)
        super().__init__(queryset=Store.objects.none(), **kwargs)
        self.user, self.writing, self.one_store = None, False, False

    def bind(self, user, *, writing: bool, one_store: bool = False) -> "StoreField":
        self.user, self.writing, self.one_store = user, writing, one_store
        self.queryset = stores_to_pick(user)
        return self

    def clean(self, value) -> Store | None:
        try:
            return store_for(self.user, value, writing=self.writing, one_store=self.one_store)
        except ValidationError as exc:
            raise ValidationError(exc.error_dict["store"]) from None


def _store_id(requested: Store | int | str | None) -> int | None:
    """The id named by `requested` (a store, an id, the query string's text), None for none."""
    if requested is None:
        return None
    if isinstance(requested, Store):
        return requested.pk
    text = str(requested).strip()
    if isinstance(requested, bool) or not (text.isascii() and text.isdigit()):
        if not text:
            return None
        raise _refused(_("门店须为门店 ID（整数），而不是“%(value)s”。") % {"value": text[:20]},
                       "invalid_store")
    value = int(text)
    if not 1 <= value <= MAX_ID:
        raise _refused(_("没有 ID 为 %(id)s 的门店。") % {"id": text[:20]}, "unknown_store")
    return value


def _refused(message: str, code: str) -> ValidationError:
    return ValidationError({"store": ValidationError(message, code=code)})
