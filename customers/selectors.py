"""Reads of customers, always starting from what the user may see."""
from django.db.models import QuerySet

from staff.scoping import scope_for

from .models import Customer


def customers_visible_to(user) -> QuerySet[Customer]:
    """The customers `user` may see: own store, own assignments, or all stores (see scoping)."""
    return scope_for(user).apply(Customer.objects.all(), store_field="store_id",
                                 owner_field="assigned_to_id")
