"""Writes for orders: creation, payments and every stage change go through here.

Each service checks the acting user's role through the step map (orders.workflow: `by`, or
`received_by` for a payment; None is the system), locks the order row, checks the rule, writes
the change and its history row, and announces it on commit. The wrong role raises
PermissionDenied (403), bad input ValidationError (400), a refused move a DomainError (409).
Either way nothing is saved.
"""
from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal
from functools import partial

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import F, OuterRef, Q, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

from customers.models import Customer
from studio.errors import DomainError, TransitionNotAllowed
from studio.money import money_parse

from .models import (
    ZERO,
    FollowUpStatus,
    LateFollowUp,
    Order,
    OrderStage,
    OrderStatus,
    Package,
    Payment,
    PaymentKind,
    StageEvent,
    StageEventAction,
    StageKind,
    StageStatus,
)
from .signals import payment_recorded, stage_completed, stage_completing
from .workflow import ORDER_CANCEL, ORDER_PAYMENT, STAGE_STEPS, order_step_check


def _lock_order(order: Order) -> Order:
    return Order.objects.select_for_update().get(pk=order.pk)


@transaction.atomic
def order_create(
    *, customer: Customer, package: Package, by, amount: Decimal | None = None,
    discount: Decimal = ZERO, scene: str = "", consultant=None, at: datetime | None = None,
) -> Order:
    """Book an order: its stages are laid out from the package, the 定单 stage done at once."""
    at = at or timezone.now()
    if not package.is_active:
        raise ValidationError({"package": _("该套系已停售。")})
    amount = money_parse(package.price if amount is None else amount, field="amount")
    discount = money_parse(discount, field="discount", blank=ZERO)
    order = Order(customer=customer, store=customer.store, package=package, amount=amount,
                  discount=discount, scene=scene, consultant=consultant or by)
    order.full_clean()
    if discount > amount:
        raise ValidationError({"discount": _("优惠不能超过订单金额。")})
    order.save()
    stages = OrderStage.objects.bulk_create(
        OrderStage(order=order, store_id=order.store_id, specialist_id=customer.assigned_to_id,
                   kind=kind, sequence=i)
        for i, kind in enumerate(package.stage_kinds)
    )
    first = stages[0]
    first.complete(at=at, by=by)
    first.assigned_to = order.consultant
    first.save(update_fields=["status", "completed_at", "completed_by", "assigned_to"])
    StageEvent.objects.create(stage=first, action=StageEventAction.COMPLETED,
                              before=StageStatus.PENDING, after=StageStatus.DONE, by=by, at=at)
    order.current_stage = stages[1].kind
    order.save(update_fields=["current_stage", "updated_at"])
    return order


@transaction.atomic
def payment_record(
    *, order: Order, kind: str, amount, received_by, method: str = "wechat",
    paid_at: datetime | None = None, note: str = "", request_key: str | None = None,
) -> Payment:
    """Add one entry to the order's payment ledger. A refund cannot exceed what was paid.
    With a `request_key` (the form's one-time key, the API's Idempotency-Key), a request sent
    again returns the payment it recorded the first time instead of taking the money twice."""
    order_step_check(ORDER_PAYMENT, user=received_by)
    order = _lock_order(order)
    if request_key:
        earlier = Payment.objects.filter(request_key=request_key).first()
        if earlier is not None:
            if earlier.order_id != order.pk:
                raise ValidationError({"request_key": _("该请求编号已用于另一订单。")})
            return earlier
    order.ensure_active()
    if kind not in PaymentKind.values:
        raise ValidationError({"kind": _("未知的款项类型：%(kind)s") % {"kind": kind}})
    amount = money_parse(amount, field="amount")
    if amount <= ZERO:
        raise ValidationError({"amount": _("金额必须大于 0。")})
    if kind == PaymentKind.REFUND and amount > order.paid_total:
        raise ValidationError({"amount": _("退款 ¥%(amount)s 超过已收款 ¥%(paid)s。") % {
            "amount": amount, "paid": order.paid_total}})
    payment = Payment(order=order, store_id=order.store_id, kind=kind, amount=amount, method=method,
                      received_by=received_by, paid_at=paid_at or timezone.now(), note=note,
                      request_key=request_key or None)
    payment.full_clean()
    payment.save()
    Order.objects.filter(pk=order.pk).update(
        paid_total=F("paid_total") + payment.signed_amount, updated_at=timezone.now())
    transaction.on_commit(partial(payment_recorded.send, sender=Payment, payment_id=payment.pk))
    return payment


def _stage_of(order: Order, kind: str) -> OrderStage:
    if kind not in StageKind.values:
        raise ValidationError({"kind": _("未知的服务阶段：%(kind)s") % {"kind": kind}})
    try:
        return OrderStage.objects.select_for_update().get(order=order, kind=kind)
    except OrderStage.DoesNotExist:
        raise DomainError(_("该订单的套系不含「%(stage)s」。") % {"stage": StageKind(kind).label},
                          code="stage_not_in_package") from None


@transaction.atomic
def stage_schedule(
    *, order: Order, kind: str, at: datetime, by, assigned_to=None, makeup_artist=None,
    location: str | None = None, now: datetime | None = None, note: str = "",
) -> OrderStage:
    """Book or move a stage's time; it cannot be booked into the past. History is kept."""
    STAGE_STEPS.check_permission("schedule", user=by)
    now = now or timezone.now()
    order = _lock_order(order)
    order.ensure_active()
    stage = _stage_of(order, kind)
    if at is None or at < now:
        raise ValidationError({"scheduled_at": _("预约时间不能早于现在。")})
    before = stage.status
    action = (StageEventAction.RESCHEDULED if before == StageStatus.SCHEDULED
              else StageEventAction.SCHEDULED)
    stage.schedule(at=at)
    if assigned_to is not None:
        stage.assigned_to = assigned_to
    if makeup_artist is not None:
        stage.makeup_artist = makeup_artist
    if location is not None:
        stage.location = location
    stage.save()
    StageEvent.objects.create(stage=stage, action=action, before=before, after=stage.status,
                              scheduled_at=at, by=by, note=note)
    return stage


@transaction.atomic
def stage_complete(
    *, order: Order, kind: str, by, at: datetime | None = None, assigned_to=None,
    makeup_artist=None, location: str | None = None, extra_amount=None, extra_note: str = "",
    picked_up_by: str = "", notes: str = "",
) -> OrderStage:
    """Record a stage done, in order: every earlier stage of the package must be done first.

    Add-ons (加选) and selection spending (选片消费) raise what the customer owes. Completing
    the pickup completes the order. Announces `stage_completed` on commit.
    """
    STAGE_STEPS.check_permission("complete", user=by)
    at = at or timezone.now()
    order = _lock_order(order)
    order.ensure_active()
    stage = _stage_of(order, kind)
    before = stage.status
    stage.complete(at=at, by=by)  # refuses a stage already done
    earlier = (OrderStage.objects.filter(order=order, sequence__lt=stage.sequence)
               .exclude(status=StageStatus.DONE).order_by("sequence").first())
    if earlier is not None:
        raise TransitionNotAllowed(_("请先完成「%(earlier)s」，再登记「%(stage)s」。") % {
            "earlier": earlier.get_kind_display(), "stage": stage.get_kind_display()})
    extra = money_parse(extra_amount, field="extra_amount", blank=ZERO)
    if extra < ZERO:
        raise ValidationError({"extra_amount": _("金额不能为负数。")})
    if extra and kind not in (StageKind.GOWN, StageKind.SELECTION):
        raise ValidationError({"extra_amount": _("只有礼服挑选和选片可以登记加选消费。")})
    if kind == StageKind.PICKUP and not picked_up_by:
        raise ValidationError({"picked_up_by": _("请填写取件人。")})
    stage.assigned_to = assigned_to or stage.assigned_to or by
    stage.makeup_artist = makeup_artist or stage.makeup_artist
    if location is not None:
        stage.location = location
    stage.extra_amount, stage.extra_note = extra, extra_note
    stage.picked_up_by = picked_up_by
    if notes:
        stage.notes = notes
    stage.full_clean(exclude=["order", "completed_by", "assigned_to", "makeup_artist"])
    stage.save()
    StageEvent.objects.create(stage=stage, action=StageEventAction.COMPLETED, before=before,
                              after=stage.status, by=by, at=at, note=notes[:200])
    # In the same transaction: the front desk closes the stage's schedule slot (档期).
    stage_completing.send(sender=OrderStage, stage=stage)
    following = (OrderStage.objects.filter(order=order, sequence__gt=stage.sequence)
                 .order_by("sequence").values_list("kind", flat=True).first())
    order.current_stage = following or ""
    order.extras_total = F("extras_total") + extra
    if following is None:
        order.status = OrderStatus.COMPLETED
    order.save(update_fields=["current_stage", "extras_total", "status", "updated_at"])
    transaction.on_commit(partial(stage_completed.send, sender=OrderStage, stage_id=stage.pk,
                                  kind=stage.kind))
    return stage


@transaction.atomic
def order_cancel(*, order: Order, by, reason: str) -> Order:
    """Cancel an order that is still running; payments stay in the ledger (refund separately)."""
    order_step_check(ORDER_CANCEL, user=by)
    order = _lock_order(order)
    if order.status != OrderStatus.ACTIVE:
        raise TransitionNotAllowed(_("只有进行中的订单可以取消。"))
    if not reason.strip():
        raise ValidationError({"reason": _("请填写取消原因。")})
    order.status, order.cancelled_reason = OrderStatus.CANCELLED, reason.strip()[:200]
    order.save(update_fields=["status", "cancelled_reason", "updated_at"])
    order.stages.update(order_cancelled=True)
    stage = order.stages.filter(kind=order.current_stage).first() or order.stages.last()
    StageEvent.objects.create(stage=stage, action=StageEventAction.CANCELLED, before=stage.status,
                              after=stage.status, by=by, note=reason[:200])
    return order


def stages_follow_customers(customer_ids: Iterable[int] | None = None) -> int:
    """Copy each customer's specialist onto the stages of their orders (OrderStage.specialist):
    for `customer_ids` after a reassignment, or, with None, wherever a copy drifted (the nightly
    repair). One UPDATE; returns the stages changed."""
    specialist = Subquery(Customer.objects.filter(orders=OuterRef("order_id"))
                          .values("assigned_to_id")[:1])
    if customer_ids is not None:
        stages = OrderStage.objects.filter(order__customer_id__in=list(customer_ids))
    else:
        owner = "order__customer__assigned_to"
        drifted = (Q(specialist__isnull=True, **{f"{owner}__isnull": False})
                   | Q(specialist__isnull=False, **{f"{owner}__isnull": True})
                   | (Q(specialist__isnull=False, **{f"{owner}__isnull": False})
                      & ~Q(specialist_id=F(f"{owner}_id"))))
        stages = OrderStage.objects.filter(pk__in=OrderStage.objects.filter(drifted).values("pk"))
    return stages.update(specialist_id=specialist)


def on_customers_reassigned(sender, *, customer_ids: list[int], **kwargs) -> None:
    stages_follow_customers(customer_ids)


def late_stages_find(*, now: datetime) -> int:
    """Open a follow-up for every late stage not yet followed up, for the customer's specialist.

    One INSERT … SELECT … ON CONFLICT DO NOTHING (SQLite and PostgreSQL alike): safe to run
    twice or concurrently. Follow-ups of stages since done or moved are closed first.
    """
    stage_t, followup_t = OrderStage._meta.db_table, LateFollowUp._meta.db_table
    with transaction.atomic():
        LateFollowUp.objects.open().exclude(
            stage__status=StageStatus.SCHEDULED, stage__scheduled_at=F("scheduled_at"),
        ).update(status=FollowUpStatus.OBSOLETE, resolved_at=now)
        with connection.cursor() as cursor:
            cursor.execute(
                f"""
                INSERT INTO {followup_t} (stage_id, scheduled_at, assigned_to_id, status,
                                          created_at, note)
                SELECT s.id, s.scheduled_at, s.specialist_id, %s, %s, ''
                FROM {stage_t} s
                WHERE s.status = %s AND s.scheduled_at < %s AND NOT s.order_cancelled
                ON CONFLICT (stage_id, scheduled_at) DO NOTHING
                """,
                # The stage keeps its order's cancellation and its customer's specialist: a
                # booked stage of an order not cancelled is a running order's. No join.
                [FollowUpStatus.OPEN, now, StageStatus.SCHEDULED, now],
            )
            return cursor.rowcount


@transaction.atomic
def followup_resolve(*, followup: LateFollowUp, by, note: str) -> LateFollowUp:
    """The specialist records what the customer said; the follow-up is done."""
    followup = LateFollowUp.objects.select_for_update().get(pk=followup.pk)
    if followup.status != FollowUpStatus.OPEN:
        raise TransitionNotAllowed(_("该跟进已处理。"))
    if not note.strip():
        raise ValidationError({"note": _("请填写跟进结果。")})
    followup.status, followup.resolved_at, followup.resolved_by = (
        FollowUpStatus.DONE, timezone.now(), by)
    followup.note = note.strip()[:200]
    followup.save(update_fields=["status", "resolved_at", "resolved_by", "note"])
    return followup
