"""Reads of customers, always starting from what the user may see."""
from collections.abc import Iterable

from django.db import connection
from django.db.models import Q, QuerySet
from django.db.models.functions import Reverse
from django.db.models.lookups import StartsWith

from staff.scoping import scope_for

from .models import Customer
from .validators import MOBILE_RE


def customer_mobiles_taken(store, mobiles: Iterable[str]) -> set[str]:
    """Which of `mobiles` are already customers of `store` (one customer per mobile per store:
    customers.services.customer_find_or_create answers with that customer, the import refuses
    the row). One query per ~1,000 mobiles on SQLite (its limit on query parameters), one in
    all on PostgreSQL."""
    mobiles, found = list(mobiles), set()
    step = (connection.features.max_query_params or 65535) - 1
    for i in range(0, len(mobiles), step):
        found |= set(Customer.objects.filter(store=store, mobile__in=mobiles[i:i + step])
                     .values_list("mobile", flat=True))
    return found


def customers_visible_to(user) -> QuerySet[Customer]:
    """The customers `user` may see: own store, own assignments, or all stores (see scoping)."""
    return scope_for(user).apply(Customer.objects.all(), store_field="store_id",
                                 owner_field="assigned_to_id")


def customer_search_q(value: str, *, prefix: str = "") -> Q | None:
    """The one search rule: an 11-digit mobile matches exactly, 4+ digits match the mobile's
    end (the last four digits, as staff ask for them), anything else part of the name. `prefix`
    is the path to the customer ("order__customer__"). None: the text cannot match anyone
    (fewer than 4 digits).

    Each form has an index at chain size (customers migration 0004, PostgreSQL): the mobile's
    b-tree, a prefix index on the reversed mobile for its end, a trigram index on the name."""
    value = (value or "").strip()
    if MOBILE_RE.match(value):
        return Q(**{f"{prefix}mobile": value})
    if value.isdigit():
        if len(value) < 4:
            return None
        return Q(StartsWith(Reverse(f"{prefix}mobile"), value[::-1]))
    return Q(**{f"{prefix}name__contains": value})


def customers_search(queryset: QuerySet, value: str, *, prefix: str = "") -> QuerySet:
    if not (value or "").strip():
        return queryset
    query = customer_search_q(value, prefix=prefix)
    return queryset.none() if query is None else queryset.filter(query)
