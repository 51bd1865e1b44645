"""Reads of membership, scoped like the customers they belong to."""
from datetime import datetime, timedelta

from django.db.models import Count, Exists, Max, OuterRef, Q, QuerySet, Sum

from customers.models import Customer
from customers.selectors import customers_visible_to
from orders.models import Order, OrderStatus
from staff.scoping import scope_for

from .models import MemberAccount, MemberCard, PointsEntry

# The conditions a segment may use (L40 按一定条件分类), with their meaning.
SEGMENT_CONDITIONS = {
    "vip_only": "bool: only customers with an active card",
    "tier": "int: member tier id",
    "min_spend": "decimal: paid spending at least (¥)",
    "min_orders": "int: at least this many orders (frequency)",
    "active_within_days": "int: an order within the last N days (recency)",
    "idle_days": "int: no order for N days (lapsed customers)",
    "stage": "str: an order currently at this stage",
    "wedding_month": "int 1-12: wedding date in this month (anniversary)",
    "birthday_month": "int 1-12: child's birthday in this month",
}


def members_visible_to(user) -> QuerySet[MemberAccount]:
    return scope_for(user).apply(MemberAccount.objects.all(), store_field="store_id",
                                 owner_field="customer__assigned_to_id")


def points_entries_visible_to(user) -> QuerySet[PointsEntry]:
    """Ledger lines of the members the user sees (the line keeps its account's store)."""
    return scope_for(user).apply(PointsEntry.objects.all(), store_field="store_id",
                                 owner_field="account__customer__assigned_to_id")


def cards_visible_to(user) -> QuerySet[MemberCard]:
    return scope_for(user).apply(MemberCard.objects.all(), store_field="store_id",
                                 owner_field="account__customer__assigned_to_id")


def ledger_for_member(account: MemberAccount) -> QuerySet[PointsEntry]:
    return account.entries.select_related("by", "order").order_by("-at", "-pk")


def segment_customers(user, *, store_id: int, conditions: dict, now: datetime
                      ) -> QuerySet[Customer]:
    """Customers of a store matching a segment's conditions, within the user's scope."""
    customers = customers_visible_to(user).filter(store_id=store_id)
    c = conditions
    if c.get("vip_only"):
        customers = customers.filter(is_vip=True)  # kept in step with an active card
    if c.get("tier"):
        customers = customers.filter(member_account__tier_id=int(c["tier"]))
    live = ~Q(orders__status=OrderStatus.CANCELLED)
    if c.get("min_spend"):
        customers = customers.annotate(spend=Sum("orders__paid_total", filter=live)).filter(
            spend__gte=c["min_spend"])
    if c.get("min_orders"):
        customers = customers.annotate(n_orders=Count("orders", filter=live)).filter(
            n_orders__gte=int(c["min_orders"]))
    if c.get("active_within_days"):
        since = now - timedelta(days=int(c["active_within_days"]))
        customers = customers.filter(Exists(Order.objects.filter(customer=OuterRef("pk"),
                                                                 created_at__gte=since)))
    if c.get("idle_days"):
        customers = customers.annotate(last_order=Max("orders__created_at")).filter(
            last_order__lt=now - timedelta(days=int(c["idle_days"])))
    if c.get("stage"):
        customers = customers.filter(Exists(Order.objects.filter(
            customer=OuterRef("pk"), current_stage=c["stage"], status=OrderStatus.ACTIVE)))
    if c.get("wedding_month"):
        customers = customers.filter(wedding_on__month=int(c["wedding_month"]))
    if c.get("birthday_month"):
        customers = customers.filter(child_birthday_on__month=int(c["birthday_month"]))
    return customers.distinct().order_by("pk")
