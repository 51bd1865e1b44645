"""Reads of orders and their stages, always starting from what the user may see."""
from collections.abc import Sequence
from datetime import datetime

from django.db.models import Count, F, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce

from customers.models import Customer
from staff.models import Role, StaffMember, User
from staff.scoping import scope_for

from .models import (
    LateFollowUp,
    Order,
    OrderStage,
    OrderStatus,
    Package,
    Payment,
    StageEvent,
    StageStatus,
)


def orders_visible_to(user) -> QuerySet[Order]:
    """Orders of the customers `user` may see (same rule as customers_visible_to)."""
    return scope_for(user).apply(Order.objects.all(), store_field="store_id",
                                 owner_field="customer__assigned_to_id")


def packages_visible_to(user) -> QuerySet[Package]:
    """The packages `user`'s stores sell: their store's own and the chain's (no store); every
    store's for a general manager. A price list, not a customer's: a specialist sees their
    store's too (they talk upgrades with customers), unlike of_my_stores' catalogues."""
    scope = scope_for(user)
    if scope.nothing:
        return Package.objects.none()
    if scope.all_stores:
        return Package.objects.all()
    return Package.objects.filter(Q(store_id=scope.store_id) | Q(store__isnull=True))


def stages_visible_to(user) -> QuerySet[OrderStage]:
    # The stage keeps its store and its customer's specialist: scoping joins nothing.
    return scope_for(user).apply(OrderStage.objects.all(), store_field="store_id",
                                 owner_field="specialist_id")


def stages_list_for_stage_list(user, kind: str) -> QuerySet[OrderStage]:
    """One stage's list (seed L16 "ERP queries"): every column in one query, scoped."""
    return (stages_visible_to(user)
            .filter(kind=kind)  # running or cancelled orders: the list's state filter decides
            # The people on a row come from one query (stage_rows_with_people), not four joins:
            # a nine-table join costs more to plan than the page costs to read.
            .select_related("order__customer", "order__package")
            # Booked first by time, then the newest (a stage's id grows with its order's):
            # the order of the index stage_list_page, so a page stops after its 50 rows.
            .order_by(F("scheduled_at").asc(nulls_last=True), "-pk"))


def stage_rows_with_people(stages: Sequence[OrderStage]) -> Sequence[OrderStage]:
    """Attach the people a stage row shows (the customer's specialist, the staff, the makeup
    artist, who recorded it) to `stages`, from one query."""
    ids = {pk for s in stages for pk in (s.order.customer.assigned_to_id, s.assigned_to_id,
                                         s.makeup_artist_id, s.completed_by_id) if pk}
    people = User.objects.in_bulk(ids) if ids else {}
    for stage in stages:
        customer = stage.order.customer
        customer.assigned_to = people.get(customer.assigned_to_id)
        stage.assigned_to = people.get(stage.assigned_to_id)
        stage.makeup_artist = people.get(stage.makeup_artist_id)
        stage.completed_by = people.get(stage.completed_by_id)
    return stages


def late_stages_for_supervisor(user, *, now: datetime) -> QuerySet[OrderStage]:
    """Every late service in the viewer's scope, with its newest follow-up's state."""
    newest = LateFollowUp.objects.filter(stage=OuterRef("pk"), scheduled_at=OuterRef("scheduled_at"))
    return (stages_visible_to(user)
            .filter(status=StageStatus.SCHEDULED, scheduled_at__lt=now,
                    order__status=OrderStatus.ACTIVE)
            .select_related("order__customer__assigned_to", "order__package", "assigned_to")
            .annotate(followup_status=Subquery(newest.values("status")[:1]),
                      followup_note=Subquery(newest.values("note")[:1]))
            .order_by("scheduled_at", "pk"))


def followups_list_for_specialist(user) -> QuerySet[LateFollowUp]:
    """The follow-ups a specialist has to make (a supervisor sees the store's)."""
    scoped_stages = stages_visible_to(user)
    return (LateFollowUp.objects.filter(stage__in=scoped_stages)
            .select_related("stage__order__customer", "stage__order__package", "assigned_to",
                            "resolved_by")
            .order_by("status", "-created_at", "-pk"))


def customer_page_orders(customer) -> QuerySet[Order]:
    """A customer's orders with stages (and their people and history) and payments: 4 queries."""
    return (Order.objects.filter(customer=customer)
            .select_related("package", "consultant", "store")
            .prefetch_related(
                "addons",
                Prefetch("stages", queryset=OrderStage.objects.select_related(
                    "assigned_to", "completed_by", "makeup_artist", "flow_card", "booking")
                    .order_by("sequence")),
                "production_items",
                Prefetch("stages__events", queryset=StageEvent.objects.select_related("by")),
                Prefetch("payments", queryset=Payment.objects.select_related("received_by",
                                                                             "receipt")))
            .order_by("-created_at"))


def specialist_loads(store_id: int) -> QuerySet:
    """Each active specialist of a store with the customers they hold and open follow-ups."""
    held = Customer.objects.filter(assigned_to=OuterRef("user_id"), merged_into__isnull=True
                                   ).values("assigned_to")
    open_followups = LateFollowUp.objects.open().filter(assigned_to=OuterRef("user_id")).values(
        "assigned_to")
    return (StaffMember.objects.active().filter(store_id=store_id, role=Role.SPECIALIST)
            .select_related("user")
            # COUNT(*), not COUNT(id): the count reads the assigned_to index alone.
            .annotate(customers_held=Coalesce(Subquery(held.annotate(n=Count("*")).values("n")), 0),
                      open_followups=Coalesce(Subquery(
                          open_followups.annotate(n=Count("pk")).values("n")), 0))
            .order_by("user__first_name", "user__username"))


def payments_visible_to(user) -> QuerySet[Payment]:
    """Payments of the orders `user` may see (the same rule as orders_visible_to)."""
    return scope_for(user).apply(Payment.objects.all(), store_field="store_id",
                                 owner_field="order__customer__assigned_to_id")


def payments_list_for_payment_list(user) -> QuerySet[Payment]:
    """The payment ledger (收款记录), newest first, every column in one query."""
    return (payments_visible_to(user)
            .select_related("order__customer", "order__package", "order__store",
                            "order__consultant", "received_by", "receipt")
            .order_by("-paid_at", "-pk"))
