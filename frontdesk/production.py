"""Production chasing (催件) and walk-outs (走单), seed L180-L182: services and selectors.

Production: each product of an order is sent to the lab with a due date, arrives, is checked
(count and quality; a failed check sends it back) and is picked up. When the last product of an
order passes its check the customer's pickup SMS is queued, once (dedupe key per order). Each
production service checks the acting user's role through the step map
(frontdesk.workflow.PRODUCTION_STEPS) before it locks anything; the item's move_to refuses the
wrong state.

Walk-outs: a prospect who left without ordering is recorded with the reason; the follow-up calls
belong to callbacks, which hears `walkout_recorded` on commit and also sweeps (DESIGN principle 1).
Converting or giving up a walk-out by hand announces `walkout_closed`; callbacks cancels the calls.
"""
import logging
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import partial

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.db.models.functions import TruncDate
from django.utils import timezone
from django.utils.translation import gettext as _

from customers.models import SourceChannel, Title
from customers.services import customer_find_or_create
from messaging.services import message_queue
from orders.models import Order, OrderStage, OrderStatus, StageKind, StageStatus
from staff.models import Store
from staff.scoping import scope_for
from studio.errors import DomainError
from studio.models import SmsMessage
from studio.workflow import CREATE

from .models import (
    ProductionItem,
    ProductionStatus,
    ProductKind,
    WalkOut,
    WalkOutReason,
    WalkOutStatus,
)
from .signals import walkout_closed, walkout_recorded
from .workflow import PRODUCTION_STEPS

logger = logging.getLogger(__name__)

# A product counts as having passed its check once it passed or was picked up.
PASSED_STATUSES = (ProductionStatus.QC_PASSED, ProductionStatus.PICKED_UP)
PICKUP_SMS = ("【{store}】{customer}，您好！您订单 #{order} 的相册、相框等产品已全部到店并通过质检，"
              "欢迎您前来取件。")
# A clock a little ahead of the server's is not a visit in the future.
CLOCK_SKEW = timedelta(minutes=10)


def pickup_sms_key(order_id: int) -> str:
    return f"pickup:{order_id}"


# --- Production: selectors ---------------------------------------------------------------------

def production_visible_to(user) -> QuerySet[ProductionItem]:
    """Products of the orders `user` may see (same rule as orders_visible_to)."""
    return scope_for(user).apply(ProductionItem.objects.all(), store_field="order__store_id",
                                 owner_field="order__customer__assigned_to_id")


def production_list_for_production(user, *, status: str = "", kind: str = ""
                                   ) -> QuerySet[ProductionItem]:
    """催件 list: every product in scope with its order and customer, one query a page."""
    items = (production_visible_to(user)
             .exclude(order__status=OrderStatus.CANCELLED)
             .select_related("order__customer", "order__package", "order__store", "qc_by"))
    if status:
        items = items.filter(status=status)
    if kind:
        items = items.filter(kind=kind)
    return items.order_by("status", "due_on", "-order_id", "pk")


def production_late(user, *, today: date) -> QuerySet[ProductionItem]:
    """Late production: at the lab past its due date (today in the store's local time)."""
    return (production_visible_to(user)
            .filter(status=ProductionStatus.SENT, due_on__lt=today)
            .exclude(order__status=OrderStatus.CANCELLED)
            .select_related("order__customer", "order__package", "order__store")
            .order_by("due_on", "pk"))


def production_items_of_order(order: Order) -> QuerySet[ProductionItem]:
    return order.production_items.select_related("qc_by").order_by("pk")


def pickup_sms_of(order: Order) -> SmsMessage | None:
    """The pickup notice queued for the order, if any."""
    return SmsMessage.objects.filter(dedupe_key=pickup_sms_key(order.pk)).first()


# --- Production: services ----------------------------------------------------------------------

def _lock_item(item: ProductionItem) -> tuple[Order, ProductionItem]:
    """Lock the order, then the item: checks of one order's products run one at a time, so the
    "every product passed" decision sees the others' outcome."""
    order = Order.objects.select_for_update().select_related("customer", "store").get(
        pk=item.order_id)
    order.ensure_active()
    return order, ProductionItem.objects.select_for_update().get(pk=item.pk)


@transaction.atomic
def production_item_add(*, order: Order, by, kind: str, quantity: int = 1,
                        description: str = "") -> ProductionItem:
    """Add one product (album, frames, files...) to chase for an order that is not cancelled."""
    PRODUCTION_STEPS.check("add", state=CREATE, user=by)
    order = Order.objects.select_for_update().get(pk=order.pk)
    order.ensure_active()
    if kind not in ProductKind.values:
        raise ValidationError({"kind": _("请选择产品。")})
    if quantity is None or quantity < 1:
        raise ValidationError({"quantity": _("数量至少为 1。")})
    item = ProductionItem(order=order, kind=kind, quantity=quantity,
                          description=(description or "").strip())
    item.full_clean(exclude=["order"])
    item.save()
    logger.info("production item %s added to order %s by %s", item.pk, order.pk, getattr(by, "pk", None))
    return item


@transaction.atomic
def production_send(*, item: ProductionItem, by, due_on: date,
                    now: datetime | None = None) -> ProductionItem:
    """Send a product to the lab (again, after a failed check) with the day it is due back.
    Only after photo selection is done: products are made from the selected photos."""
    PRODUCTION_STEPS.check_permission("send", user=by)
    now = now or timezone.now()
    order, item = _lock_item(item)
    item.move_to(ProductionStatus.SENT)
    selected = OrderStage.objects.filter(order=order, kind=StageKind.SELECTION,
                                         status=StageStatus.DONE).exists()
    if not selected:
        raise DomainError(_("请先登记选片完成，再送厂制作。"), code="selection_not_done")
    if due_on is None or due_on < timezone.localdate(now):
        raise ValidationError({"due_on": _("预计到店日期不能早于今天。")})
    item.sent_at, item.due_on, item.arrived_at = now, due_on, None
    item.save(update_fields=["status", "sent_at", "due_on", "arrived_at", "updated_at"])
    logger.info("production item %s sent, due %s, by %s", item.pk, due_on, getattr(by, "pk", None))
    return item


@transaction.atomic
def production_arrive(*, item: ProductionItem, by, now: datetime | None = None) -> ProductionItem:
    """The product is back from the lab; it waits for its check."""
    PRODUCTION_STEPS.check_permission("arrive", user=by)
    _order, item = _lock_item(item)
    item.move_to(ProductionStatus.ARRIVED)
    item.arrived_at = now or timezone.now()
    item.save(update_fields=["status", "arrived_at", "updated_at"])
    logger.info("production item %s arrived, by %s", item.pk, getattr(by, "pk", None))
    return item


@transaction.atomic
def production_qc(*, item: ProductionItem, by, count: int, passed: bool, note: str = "",
                  now: datetime | None = None) -> ProductionItem:
    """Check an arrived product: count and quality. It passes only when the count matches the
    quantity ordered; a failed one needs a note and goes back to the lab (send again).
    When every product of the order has passed, the pickup SMS is queued, once per order."""
    PRODUCTION_STEPS.check_permission("qc", user=by)
    now = now or timezone.now()
    order, item = _lock_item(item)
    note = (note or "").strip()
    item.move_to(ProductionStatus.QC_PASSED if passed else ProductionStatus.QC_FAILED)
    if count is None or count < 0:
        raise ValidationError({"count": _("请填写清点数量。")})
    if passed and count != item.quantity:
        raise ValidationError({"count": _(
            "清点数量 %(count)s 与应交数量 %(quantity)s 不符，不能判定合格。") % {
            "count": count, "quantity": item.quantity}})
    if not passed and not note:
        raise ValidationError({"note": _("不合格时请说明问题，以便返厂重做。")})
    item.qc_count, item.qc_note, item.qc_by, item.qc_at = count, note[:200], by, now
    item.save(update_fields=["status", "qc_count", "qc_note", "qc_by", "qc_at", "updated_at"])
    logger.info("production item %s checked %s by %s", item.pk, item.status, getattr(by, "pk", None))
    if passed:
        _notify_pickup_if_all_passed(order=order, by=by)
    return item


def _notify_pickup_if_all_passed(*, order: Order, by) -> SmsMessage | None:
    waiting = ProductionItem.objects.filter(order=order).exclude(status__in=PASSED_STATUSES)
    if waiting.exists():
        return None
    customer = order.customer
    values = {"store": order.store.name, "customer": str(customer), "order": order.pk}
    return message_queue(purpose="production:pickup", mobile=customer.mobile,
                         store_id=order.store_id, values=values,
                         default_body=PICKUP_SMS.format(**values), customer=customer, by=by,
                         dedupe_key=pickup_sms_key(order.pk), record_refusal=True)


@transaction.atomic
def production_pickup(*, item: ProductionItem, by, picked_up_by: str,
                      now: datetime | None = None) -> ProductionItem:
    """The customer (or whoever they sent) took a product that passed its check."""
    PRODUCTION_STEPS.check_permission("pickup", user=by)
    _order, item = _lock_item(item)
    item.move_to(ProductionStatus.PICKED_UP)
    picked_up_by = (picked_up_by or "").strip()
    if not picked_up_by:
        raise ValidationError({"picked_up_by": _("请填写取件人。")})
    item.picked_up_by, item.picked_up_at = picked_up_by[:64], now or timezone.now()
    item.save(update_fields=["status", "picked_up_by", "picked_up_at", "updated_at"])
    logger.info("production item %s picked up by %s, recorded by %s", item.pk, picked_up_by,
                getattr(by, "pk", None))
    return item


# --- Walk-outs: selectors ----------------------------------------------------------------------

def walkouts_visible_to(user) -> QuerySet[WalkOut]:
    return scope_for(user).apply(WalkOut.objects.all(), store_field="store_id",
                                 owner_field="customer__assigned_to_id")


def walkouts_list_for_walkouts(user, *, status: str = "", reason: str = "", q: str = "",
                               visited_from: date | None = None, visited_to: date | None = None,
                               store_id: int | None = None) -> QuerySet[WalkOut]:
    """The 走单 list; visited_from/visited_to (local dates) and the store are what the
    visitors report's figures link with (客流统计: each figure is this list's rows)."""
    walkouts = (walkouts_visible_to(user)
                .select_related("customer", "store", "consultant", "converted_order"))
    if visited_from is not None:
        walkouts = walkouts.filter(visited_at__gte=_local_midnight(visited_from))
    if visited_to is not None:
        walkouts = walkouts.filter(visited_at__lt=_local_midnight(visited_to + timedelta(days=1)))
    if store_id is not None:
        walkouts = walkouts.filter(store_id=store_id)
    if status:
        walkouts = walkouts.filter(status=status)
    if reason:
        walkouts = walkouts.filter(reason=reason)
    if q:
        walkouts = walkouts.filter(Q(customer__name__contains=q) | Q(customer__mobile__contains=q))
    return walkouts.order_by("-visited_at", "-pk")


def _local_midnight(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def walkout_orders_to_convert(walkout: WalkOut) -> QuerySet[Order]:
    """The orders that can close a walk-out: the customer's, booked after the visit."""
    return (Order.objects.filter(customer_id=walkout.customer_id,
                                 created_at__gt=walkout.visited_at)
            .exclude(status=OrderStatus.CANCELLED).select_related("package")
            .order_by("created_at"))


# --- Walk-outs: services -----------------------------------------------------------------------

@transaction.atomic
def walkout_record(*, store: Store, by, name: str, mobile: str, title: str = Title.MS,
                   reason: str, reason_note: str = "", visited_at: datetime,
                   now: datetime | None = None) -> WalkOut:
    """Record a prospect who left without ordering. Their file is the store's customer with
    that mobile, or a new walk-in customer (customers.services.customer_find_or_create: looked
    after by nobody yet, as the front desk records it). Announces `walkout_recorded` on commit
    (callbacks schedules the week of follow-up calls)."""
    now = now or timezone.now()
    errors: dict[str, list[str] | str] = {}
    try:  # bad input is reported whole; a customer made meanwhile is rolled back with the rest
        customer, _created = customer_find_or_create(
            store=store, mobile=mobile, name=name, by=by, title=title,
            source=SourceChannel.WALK_IN)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if reason not in WalkOutReason.values:
        errors["reason"] = _("请选择流失原因。")
    elif reason == WalkOutReason.OTHER and not (reason_note or "").strip():
        errors["reason_note"] = _("原因为「其他」时请说明。")
    if visited_at is None:
        errors["visited_at"] = _("请填写到店时间。")
    elif visited_at > now + CLOCK_SKEW:
        errors["visited_at"] = _("到店时间不能晚于现在。")
    if errors:
        raise ValidationError(errors)
    day = timezone.localdate(visited_at)
    day_start = timezone.make_aware(datetime.combine(day, time.min))
    if WalkOut.objects.filter(customer=customer, visited_at__gte=day_start,
                              visited_at__lt=day_start + timedelta(days=1)).exists():
        raise DomainError(_("%(customer)s 在 %(day)s 已登记过走单。") % {
            "customer": customer, "day": day.isoformat()}, code="walkout_exists")
    walkout = WalkOut(store=store, customer=customer, visited_at=visited_at, reason=reason,
                      reason_note=(reason_note or "").strip()[:200], consultant=by)
    walkout.save()
    transaction.on_commit(partial(walkout_recorded.send, sender=WalkOut, walkout_id=walkout.pk))
    return walkout


def _lock_following(walkout: WalkOut) -> WalkOut:
    walkout = WalkOut.objects.select_for_update().get(pk=walkout.pk)
    if walkout.status != WalkOutStatus.FOLLOWING:
        raise DomainError(_("该走单已是「%(status)s」，不能再办理。") % {
            "status": walkout.get_status_display()}, code="walkout_closed")
    return walkout


@transaction.atomic
def walkout_convert(*, walkout: WalkOut, by, order: Order, now: datetime | None = None
                    ) -> WalkOut:
    """已成交: the prospect booked `order` (theirs, after the visit, not cancelled). Closes the
    walk-out; callbacks cancels the open follow-up calls on `walkout_closed`."""
    walkout = _lock_following(walkout)
    if order is None or not walkout_orders_to_convert(walkout).filter(pk=order.pk).exists():
        raise ValidationError({"order": _("请选择该客户在到店之后下的订单。")})
    walkout.status, walkout.converted_order = WalkOutStatus.CONVERTED, order
    walkout.closed_at = now or timezone.now()
    walkout.save(update_fields=["status", "converted_order", "closed_at", "updated_at"])
    logger.info("walkout %s converted to order %s by %s", walkout.pk, order.pk, getattr(by, "pk", None))
    transaction.on_commit(partial(walkout_closed.send, sender=WalkOut, walkout_id=walkout.pk,
                                  status=walkout.status))
    return walkout


@transaction.atomic
def walkout_give_up(*, walkout: WalkOut, by, note: str, now: datetime | None = None) -> WalkOut:
    """已流失: stop following the prospect; the reason note is kept with the walk-out."""
    walkout = _lock_following(walkout)
    note = (note or "").strip()
    if not note:
        raise ValidationError({"note": _("请说明放弃跟进的原因。")})
    walkout.status, walkout.closed_at = WalkOutStatus.LOST, now or timezone.now()
    walkout.reason_note = (f"{walkout.reason_note}；{note}" if walkout.reason_note else note)[:200]
    walkout.save(update_fields=["status", "closed_at", "reason_note", "updated_at"])
    logger.info("walkout %s given up by %s", walkout.pk, getattr(by, "pk", None))
    transaction.on_commit(partial(walkout_closed.send, sender=WalkOut, walkout_id=walkout.pk,
                                  status=walkout.status))
    return walkout


# --- Visitors report (L182 每日统计客流量,了解顾客流失原因) ----------------------------------------

class _Visitors:
    """Who came, of a day or of a period: those who ordered and those who walked out."""

    ordered: int
    walked_out: int

    @property
    def visitors(self) -> int:
        return self.ordered + self.walked_out

    @property
    def order_rate(self) -> float | None:
        return round(100 * self.ordered / self.visitors, 1) if self.visitors else None


@dataclass
class VisitorDay(_Visitors):
    day: date
    store: str
    ordered: int = 0
    walked_out: int = 0
    store_id: int | None = None  # the lists' store filter


@dataclass
class ReasonRow:
    reason: str
    label: str
    count: int
    converted: int
    share: float


@dataclass
class VisitorReport(_Visitors):
    start: date
    end: date
    days: list[VisitorDay] = field(default_factory=list)
    reasons: list[ReasonRow] = field(default_factory=list)

    @property
    def ordered(self) -> int:
        return sum(d.ordered for d in self.days)

    @property
    def walked_out(self) -> int:
        return sum(d.walked_out for d in self.days)


def visitor_report(user, *, start: date, end: date, store: Store | None = None) -> VisitorReport:
    """Each day's visitors per store: new customers' first orders booked that day (not
    cancelled: the 定单 list's first_order=yes rows) plus the walk-outs of that day (the 走单
    list by visit date), and why the walk-outs left. Three grouped queries at any size."""
    since, until = _local_midnight(start), _local_midnight(end + timedelta(days=1))
    orders = scope_for(user).apply(Order.objects.all(), store_field="store_id",
                                   owner_field="customer__assigned_to_id")
    walkouts = walkouts_visible_to(user)
    if store is not None:
        orders, walkouts = orders.filter(store=store), walkouts.filter(store=store)
    earlier = Order.objects.filter(customer_id=OuterRef("customer_id"),
                                   created_at__lt=OuterRef("created_at"))
    first_orders = (orders.filter(created_at__gte=since, created_at__lt=until)
                    .exclude(status=OrderStatus.CANCELLED)
                    .filter(~Exists(earlier))
                    .annotate(day=TruncDate("created_at"))
                    .values("day", "store__name", "store_id").annotate(n=Count("pk")))
    walkouts = walkouts.filter(visited_at__gte=since, visited_at__lt=until)
    per_day = (walkouts.annotate(day=TruncDate("visited_at"))
               .values("day", "store__name", "store_id").annotate(n=Count("pk")))
    days: dict[tuple[date, str], VisitorDay] = {}
    for row in first_orders:
        key = (row["day"], row["store__name"])
        days.setdefault(key, VisitorDay(*key, store_id=row["store_id"])).ordered += row["n"]
    for row in per_day:
        key = (row["day"], row["store__name"])
        days.setdefault(key, VisitorDay(*key, store_id=row["store_id"])).walked_out += row["n"]
    by_reason: Counter = Counter()
    converted: dict[str, int] = defaultdict(int)
    for row in walkouts.values("reason").annotate(
            n=Count("pk"), c=Count("pk", filter=Q(status=WalkOutStatus.CONVERTED))):
        by_reason[row["reason"]] += row["n"]
        converted[row["reason"]] += row["c"]
    total = sum(by_reason.values())
    reasons = [ReasonRow(reason=value, label=str(label), count=by_reason[value],
                         converted=converted[value],
                         share=round(100 * by_reason[value] / total, 1) if total else 0.0)
               for value, label in WalkOutReason.choices]
    reasons.sort(key=lambda r: -r.count)
    return VisitorReport(start=start, end=end, days=[days[k] for k in sorted(days)],
                         reasons=reasons)
