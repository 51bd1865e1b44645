"""Reads of orders and their stages, always starting from what the user may see."""
from django.db.models import QuerySet

from staff.scoping import scope_for

from .models import Order, OrderStage


def orders_visible_to(user) -> QuerySet[Order]:
    """Orders of the customers `user` may see (same rule as customers_visible_to)."""
    return scope_for(user).apply(Order.objects.all(), store_field="store_id",
                                 owner_field="customer__assigned_to_id")


def stages_visible_to(user) -> QuerySet[OrderStage]:
    return scope_for(user).apply(OrderStage.objects.all(), store_field="order__store_id",
                                 owner_field="order__customer__assigned_to_id")
