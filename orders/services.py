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
from typing import Any

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Count, F, OuterRef, Q, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

from customers.models import Customer
from staff.models import Store
from studio.errors import DomainError, TransitionNotAllowed
from studio.money import money_parse
from webhooks.models import WebhookEvent
from webhooks.services import webhook_emit

from .models import (
    ZERO,
    FollowUpStatus,
    LateFollowUp,
    Order,
    OrderAddOn,
    OrderEvent,
    OrderEventAction,
    OrderStage,
    OrderStatus,
    Package,
    Payment,
    PaymentKind,
    Receipt,
    ReceiptSequence,
    StageEvent,
    StageEventAction,
    StageKind,
    StageStatus,
)
from .signals import order_cancelling, payment_recorded, stage_completed, stage_completing
from .workflow import (
    ORDER_APPROVE,
    ORDER_CANCEL,
    ORDER_CHANGE,
    ORDER_CREATE,
    ORDER_PAYMENT,
    STAGE_STEPS,
    order_step_check,
)


def _lock_order(order: Order) -> Order:
    return Order.objects.select_for_update().get(pk=order.pk)


def _discount_limit(order: Order) -> Decimal:
    return order.store.discount_limit


def _needs_approval(order: Order, by) -> bool:
    """A discount above the store's limit waits for someone who may approve it."""
    return order.discount > _discount_limit(order) and not (
        by is not None and by.has_perm("orders.approve_discount"))


def _event(order: Order, action: str, by, *, before="", after="", note="", at=None) -> OrderEvent:
    return OrderEvent.objects.create(order=order, action=action, before=str(before)[:200],
                                     after=str(after)[:200], by=by, note=str(note)[:200],
                                     at=at or timezone.now())


def _check_consultant(consultant, store_id: int) -> None:
    """A consultant works in the order's store (a general manager's pickers offer every store's
    people): a field error otherwise."""
    profile = getattr(consultant, "staff_profile", None)
    if consultant is not None and (profile is None or profile.store_id != store_id):
        raise ValidationError({"consultant": _("门市顾问须为订单所在门店的员工。")})


def _check_addons(addons: Iterable[tuple[str, Any]]) -> list[tuple[str, Decimal]]:
    checked = []
    for name, amount in addons:
        name = (name or "").strip()
        if not name:
            raise ValidationError({"addons": _("请填写加购项目名称。")})
        amount = money_parse(amount, field="addons")
        if amount <= ZERO:
            raise ValidationError({"addons": _("加购金额必须大于 0。")})
        checked.append((name[:100], amount))
    return checked


def _lay_out_stages(order: Order, kinds: list[str], *, specialist_id) -> list[OrderStage]:
    return OrderStage.objects.bulk_create(
        OrderStage(order=order, store_id=order.store_id, specialist_id=specialist_id,
                   kind=kind, sequence=i)
        for i, kind in enumerate(kinds))


def _complete_order_stage(order: Order, *, by, at: datetime) -> None:
    """The 定单 stage done (the sale stands): the order moves on to its next stage."""
    first = OrderStage.objects.get(order=order, kind=StageKind.ORDER)
    first.complete(at=at, by=by)
    first.assigned_to = order.consultant
    first.save(update_fields=["status", "completed_at", "completed_by", "assigned_to"])
    StageEvent.objects.create(stage=first, action=StageEventAction.COMPLETED,
                              before=StageStatus.PENDING, after=StageStatus.DONE, by=by, at=at)
    order.current_stage = (order.stages.filter(sequence__gt=first.sequence).order_by("sequence")
                           .values_list("kind", flat=True).first() or "")


@transaction.atomic
def order_create(
    *, customer: Customer, package: Package, by, amount: Decimal | None = None,
    discount: Decimal = ZERO, scene: str = "", consultant=None, at: datetime | None = None,
    addons: Iterable[tuple[str, Any]] = (), planned_on=None, notes: str = "",
    deposit=None, deposit_method: str = "wechat", request_key: str | None = None,
) -> Order:
    """开单: the order, its stages laid out from the package, its add-ons and the deposit taken
    into the payment ledger — one transaction. The 定单 stage is done at once, unless the
    discount is above the store's limit and `by` may not approve it: then the order waits
    (待审批) for order_approve. With a `request_key` (the form's one-time key, the API's
    Idempotency-Key) the same request sent twice makes one order."""
    order_step_check(ORDER_CREATE, user=by)
    at = at or timezone.now()
    if request_key:
        earlier = Order.objects.filter(request_key=request_key).first()
        if earlier is not None:
            if earlier.customer_id != customer.pk:
                raise ValidationError({"request_key": _("该请求编号已用于另一客户的订单。")})
            return earlier
    if customer.merged_into_id:
        raise ValidationError({"customer": _("该客户记录已合并，请为合并后的客户开单。")})
    if not package.is_active:
        raise ValidationError({"package": _("该套系已停售。")})
    if package.store_id not in (None, customer.store_id):
        raise ValidationError({"package": _("该套系不在本门店销售。")})
    amount = money_parse(package.price if amount is None else amount, field="amount")
    discount = money_parse(discount, field="discount", blank=ZERO)
    if discount > amount:
        raise ValidationError({"discount": _("优惠不能超过订单金额。")})
    addons = _check_addons(addons)
    _check_consultant(consultant, customer.store_id)
    order = Order(customer=customer, store=customer.store, package=package, amount=amount,
                  discount=discount, scene=(scene or "").strip()[:100],
                  consultant=consultant or by, planned_on=planned_on,
                  notes=(notes or "").strip(), created_by=by, request_key=request_key or None,
                  current_stage=StageKind.ORDER)
    order.full_clean(exclude=["consultant"])
    pending = _needs_approval(order, by)
    if pending:
        order.status = OrderStatus.PENDING_APPROVAL
    elif discount > _discount_limit(order):
        order.approved_by, order.approved_at = by, at
    order.save()
    if addons:
        OrderAddOn.objects.bulk_create(OrderAddOn(order=order, name=name, amount=value, by=by, at=at)
                                       for name, value in addons)
        order.extras_total = sum((value for _n, value in addons), ZERO)
    _lay_out_stages(order, package.stage_kinds, specialist_id=customer.assigned_to_id)
    _event(order, OrderEventAction.CREATED, by, after=f"{package.name} ¥{amount - discount:,.2f}",
           at=at, note=_("待店长审批优惠") if pending else "")
    if not pending:
        _complete_order_stage(order, by=by, at=at)
    # The order is dated when it was sold (`at`: an old order imported or seeded keeps its
    # date), as its 定单 stage is: 本月订单 and the 定单 list count by it (issue 17 item 9).
    order.created_at = at
    order.save(update_fields=["current_stage", "extras_total", "created_at", "updated_at"])
    if deposit not in (None, ""):
        deposit = money_parse(deposit, field="deposit")
        if deposit > ZERO:
            try:
                payment_record(order=order, kind=PaymentKind.DEPOSIT, amount=deposit,
                               received_by=by, method=deposit_method, paid_at=at,
                               request_key=f"{request_key}:deposit" if request_key else None)
            except ValidationError as exc:  # the deposit's errors are the form's deposit field's
                raise ValidationError({"deposit": exc.messages}) from None
    order.refresh_from_db()
    webhook_emit(event=WebhookEvent.ORDER_CREATED, store_id=order.store_id, data=order)
    return order


@transaction.atomic
def order_approve(*, order: Order, by, note: str = "") -> Order:
    """The manager approves the discount of an order waiting for it: the sale stands."""
    order_step_check(ORDER_APPROVE, user=by)
    order = _lock_order(order)
    if order.status != OrderStatus.PENDING_APPROVAL:
        raise TransitionNotAllowed(_("订单 #%(pk)s 不在待审批状态。") % {"pk": order.pk},
                                   code="order_not_pending")
    now = timezone.now()
    order.status, order.approved_by, order.approved_at = OrderStatus.ACTIVE, by, now
    _complete_order_stage(order, by=by, at=now)
    order.save(update_fields=["status", "approved_by", "approved_at", "current_stage", "updated_at"])
    _event(order, OrderEventAction.APPROVED, by, after=f"¥{order.discount:,.2f}", note=note, at=now)
    return order


def _ensure_changeable(order: Order) -> None:
    order.ensure_active(waiting_ok=True)
    picked_up = order.stages.filter(kind=StageKind.PICKUP, status=StageStatus.DONE).exists()
    if order.status == OrderStatus.COMPLETED or picked_up:
        raise TransitionNotAllowed(_("订单 #%(pk)s 已取件，不能再修改。") % {"pk": order.pk},
                                   code="order_picked_up")


def _relay_stages(order: Order, package: Package) -> None:
    """The stages follow a new package: a stage the new package has and the order lacks is
    added, one it lacks is removed (refused once done); the sequence follows the package."""
    stages = {s.kind: s for s in order.stages.all()}
    wanted = package.stage_kinds
    for kind, stage in stages.items():
        if kind not in wanted:
            if stage.status == StageStatus.DONE:
                raise TransitionNotAllowed(
                    _("「%(stage)s」已完成，不能换成不含它的套系。") % {"stage": stage.get_kind_display()},
                    code="stage_done")
            stage.delete()
    for i, kind in enumerate(wanted):
        if kind in stages:
            OrderStage.objects.filter(pk=stages[kind].pk).update(sequence=100 + i)
        else:
            OrderStage.objects.create(order=order, store_id=order.store_id, kind=kind,
                                      sequence=100 + i,
                                      specialist_id=order.customer.assigned_to_id,
                                      order_cancelled=False)
    OrderStage.objects.filter(order=order).update(sequence=F("sequence") - 100)
    order.current_stage = (order.stages.exclude(status=StageStatus.DONE).order_by("sequence")
                           .values_list("kind", flat=True).first() or "")


@transaction.atomic
def order_change(
    *, order: Order, by, package: Package | None = None, amount=None, discount=None,
    consultant=None, scene: str | None = None, planned_on=None, notes: str | None = None,
    addons: Iterable[tuple[str, Any]] = (), note: str = "",
) -> Order:
    """Change a sold order: another package (its price, unless `amount` is given; the stages
    follow), the discount, add-ons sold after the sale, another consultant or scene, the
    planned date, the notes. Each change is one OrderEvent (before, after, who); the balance
    owed follows. Nothing changes once the order is picked up or cancelled (409)."""
    order_step_check(ORDER_CHANGE, user=by)
    order = _lock_order(order)
    _ensure_changeable(order)
    now = timezone.now()
    changed: list[tuple[str, Any, Any]] = []
    amount = None if amount is None else money_parse(amount, field="amount")
    if package is not None and package.pk != order.package_id:
        if not package.is_active:
            raise ValidationError({"package": _("该套系已停售。")})
        if package.store_id not in (None, order.store_id):
            raise ValidationError({"package": _("该套系不在本门店销售。")})
        new_amount = package.price if amount is None else amount
        changed.append((OrderEventAction.PACKAGE, f"{order.package.name} ¥{order.amount:,.2f}",
                        f"{package.name} ¥{new_amount:,.2f}"))
        order.package, order.amount = package, new_amount
        _relay_stages(order, package)
    elif amount is not None and amount != order.amount:
        changed.append((OrderEventAction.PACKAGE, f"¥{order.amount:,.2f}", f"¥{amount:,.2f}"))
        order.amount = amount
    if discount is not None:
        discount = money_parse(discount, field="discount", blank=ZERO)
        if discount != order.discount:
            changed.append((OrderEventAction.DISCOUNT, f"¥{order.discount:,.2f}",
                            f"¥{discount:,.2f}"))
            order.discount = discount
    if order.discount > order.amount:
        raise ValidationError({"discount": _("优惠不能超过订单金额。")})
    discount_changed = any(action == OrderEventAction.DISCOUNT for action, _b, _a in changed)
    if order.status == OrderStatus.ACTIVE and discount_changed and _needs_approval(order, by):
        raise ValidationError({"discount": _("优惠超过本店门市可直接给的 ¥%(limit)s，请店长修改。") % {
            "limit": f"{_discount_limit(order):,.2f}"}})
    _check_consultant(consultant, order.store_id)
    if consultant is not None and consultant.pk != order.consultant_id:
        changed.append((OrderEventAction.CONSULTANT, name_or_blank(order.consultant),
                        name_or_blank(consultant)))
        order.consultant = consultant
    if scene is not None and scene.strip() != order.scene:
        changed.append((OrderEventAction.SCENE, order.scene, scene.strip()[:100]))
        order.scene = scene.strip()[:100]
    if planned_on is not None and planned_on != order.planned_on:
        changed.append((OrderEventAction.PLANNED, order.planned_on or "", planned_on))
        order.planned_on = planned_on
    if notes is not None and notes.strip() != order.notes:
        changed.append((OrderEventAction.NOTES, order.notes[:200], notes.strip()[:200]))
        order.notes = notes.strip()
    added = _check_addons(addons)
    for name, value in added:
        OrderAddOn.objects.create(order=order, name=name, amount=value, by=by, at=now)
        changed.append((OrderEventAction.ADDON, "", f"{name} ¥{value:,.2f}"))
        order.extras_total += value
    if not changed:
        raise ValidationError(_("没有要修改的内容。"))
    if order.amount - order.discount + order.extras_total < order.paid_total:
        raise ValidationError({"amount": _(
            "修改后应收 ¥%(due)s 少于已收款 ¥%(paid)s，请先退款。") % {
                "due": f"{order.amount - order.discount + order.extras_total:,.2f}",
                "paid": f"{order.paid_total:,.2f}"}})
    order.full_clean(exclude=["consultant", "customer", "store", "package"])
    # A discount brought back within the limit needs no approval: the sale stands.
    stands = order.status == OrderStatus.PENDING_APPROVAL and order.discount <= _discount_limit(order)
    if stands:
        order.status = OrderStatus.ACTIVE
        _complete_order_stage(order, by=by, at=now)
    order.save()
    for action, before, after in changed:
        _event(order, action, by, before=before, after=after, note=note, at=now)
    order.refresh_from_db()
    return order


def name_or_blank(user) -> str:
    return user.display_name if user is not None else ""


def receipt_issue(payment: Payment) -> Receipt:
    """The payment's receipt, numbered next in its store's year under the sequence's row lock
    (inside the payment's transaction: a rolled-back payment gives its number back)."""
    year = timezone.localtime(payment.paid_at).year
    ReceiptSequence.objects.get_or_create(store_id=payment.store_id, year=year)  # no-op when there
    sequence = ReceiptSequence.objects.select_for_update().get(store_id=payment.store_id, year=year)
    sequence.last += 1
    sequence.save(update_fields=["last"])
    code = Store.objects.filter(pk=payment.store_id).values_list("code", flat=True).get()
    return Receipt.objects.create(payment=payment, store_id=payment.store_id, year=year,
                                  serial=sequence.last,
                                  number=f"{code}-{year}-{sequence.last:06d}",
                                  issued_at=timezone.now())


@transaction.atomic
def payment_record(
    *, order: Order, kind: str, amount, received_by, method: str = "wechat",
    paid_at: datetime | None = None, note: str = "", request_key: str | None = None,
) -> Payment:
    """Add one entry to the order's payment ledger, with its receipt. Money in cannot exceed
    what is owed, a refund what was paid. With a `request_key` (the form's one-time key, the
    API's Idempotency-Key), a request sent again returns the payment it recorded the first time
    instead of taking the money twice. A cancelled order takes refunds only."""
    order_step_check(ORDER_PAYMENT, user=received_by)
    order = _lock_order(order)
    if request_key:
        earlier = Payment.objects.filter(request_key=request_key).first()
        if earlier is not None:
            if earlier.order_id != order.pk:
                raise ValidationError({"request_key": _("该请求编号已用于另一订单。")})
            return earlier
    if kind != PaymentKind.REFUND:
        order.ensure_active(waiting_ok=True)
    if kind not in PaymentKind.values:
        raise ValidationError({"kind": _("未知的款项类型：%(kind)s") % {"kind": kind}})
    amount = money_parse(amount, field="amount")
    if amount <= ZERO:
        raise ValidationError({"amount": _("金额必须大于 0。")})
    if kind == PaymentKind.REFUND and amount > order.paid_total:
        raise ValidationError({"amount": _("退款 ¥%(amount)s 超过已收款 ¥%(paid)s。") % {
            "amount": f"{amount:,.2f}", "paid": f"{order.paid_total:,.2f}"}})
    if kind != PaymentKind.REFUND and amount > order.balance_owed:
        raise ValidationError({"amount": _(
            "收款 ¥%(amount)s 超过欠款：该订单还欠 ¥%(owed)s。") % {
                "amount": f"{amount:,.2f}", "owed": f"{max(order.balance_owed, ZERO):,.2f}"}})
    payment = Payment(order=order, store_id=order.store_id, kind=kind, amount=amount, method=method,
                      received_by=received_by, paid_at=paid_at or timezone.now(), note=note,
                      request_key=request_key or None)
    payment.full_clean()
    payment.save()
    Order.objects.filter(pk=order.pk).update(
        paid_total=F("paid_total") + payment.signed_amount, updated_at=timezone.now())
    receipt_issue(payment)
    webhook_emit(event=WebhookEvent.PAYMENT_RECORDED, store_id=payment.store_id, data=payment)
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
    picked_up_by: str = "", notes: str = "", confirm: bool = False,
) -> OrderStage:
    """Record a stage done, in order: every earlier stage of the package must be done first.
    A stage booked on the schedule and done earlier, or by other people, than booked needs
    `confirm` (the front desk's receiver of `stage_completing` asks for it, then updates the
    booking to what happened).

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
    stage_completing.send(sender=OrderStage, stage=stage, by=by, confirmed=confirm)
    following = (OrderStage.objects.filter(order=order, sequence__gt=stage.sequence)
                 .order_by("sequence").values_list("kind", flat=True).first())
    order.current_stage = following or ""
    order.extras_total = F("extras_total") + extra
    if following is None:
        order.status = OrderStatus.COMPLETED
    order.save(update_fields=["current_stage", "extras_total", "status", "updated_at"])
    webhook_emit(event=WebhookEvent.STAGE_COMPLETED, store_id=order.store_id, data=stage)
    transaction.on_commit(partial(stage_completed.send, sender=OrderStage, stage_id=stage.pk,
                                  kind=stage.kind))
    return stage


@transaction.atomic
def order_cancel(*, order: Order, by, reason: str, refund=None, refund_method: str = "wechat",
                 request_key: str | None = None) -> Order:
    """Cancel an order not picked up yet (or a discount refused: an order waiting for
    approval), with a reason and, optionally, a refund (never more than was paid; through the
    ledger, with its receipt). The order leaves the stage lists; its open late follow-ups close;
    the apps above undo the rest in the same transaction (order_cancelling: open callbacks
    closed with the reason, bookings freed, points taken back and the tier recomputed)."""
    order_step_check(ORDER_CANCEL, user=by)
    order = _lock_order(order)
    if order.status not in ORDER_CANCEL.sources:
        raise TransitionNotAllowed(_("订单 #%(pk)s 已是「%(status)s」，不能取消。") % {
            "pk": order.pk, "status": order.get_status_display()}, code="order_not_cancellable")
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("请填写取消原因。")})
    refund = money_parse(refund, field="refund", blank=ZERO)
    if refund < ZERO:
        raise ValidationError({"refund": _("金额不能为负数。")})
    if refund > order.paid_total:
        raise ValidationError({"refund": _("退款 ¥%(amount)s 超过已收款 ¥%(paid)s。") % {
            "amount": f"{refund:,.2f}", "paid": f"{order.paid_total:,.2f}"}})
    if refund > ZERO:
        payment_record(order=order, kind=PaymentKind.REFUND, amount=refund, received_by=by,
                       method=refund_method, note=_("取消订单退款：%(reason)s") % {"reason": reason},
                       request_key=f"{request_key}:refund" if request_key else None)
    now = timezone.now()
    order.refresh_from_db()
    order.status, order.cancelled_reason = OrderStatus.CANCELLED, reason[:200]
    order.save(update_fields=["status", "cancelled_reason", "updated_at"])
    order.stages.update(order_cancelled=True)
    LateFollowUp.objects.open().filter(stage__order=order).update(
        status=FollowUpStatus.OBSOLETE, resolved_at=now, resolved_by=by,
        note=(_("订单已取消：%(reason)s") % {"reason": reason})[:200])
    stage = order.stages.filter(kind=order.current_stage).first() or order.stages.last()
    StageEvent.objects.create(stage=stage, action=StageEventAction.CANCELLED, before=stage.status,
                              after=stage.status, by=by, note=reason[:200])
    _event(order, OrderEventAction.CANCELLED, by, after=order.get_status_display(), note=reason,
           at=now)
    order_cancelling.send(sender=Order, order=order, by=by, reason=reason)
    webhook_emit(event=WebhookEvent.ORDER_CANCELLED, store_id=order.store_id, data=order)
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


def followups_follow_customers(customer_ids: Iterable[int] | None = None) -> dict[int, int]:
    """Give the open late follow-ups of `customer_ids` to the specialist their stage keeps (the
    customer's, once stages_follow_customers ran), or, with None, every open one that drifted
    from it (the nightly repair). One UPDATE (and one count per customer, for the assignment
    history); returns {customer id: follow-ups moved}."""
    followups = (LateFollowUp.objects.open().filter(stage__specialist__isnull=False)
                 .exclude(assigned_to_id=F("stage__specialist_id")))
    if customer_ids is not None:
        followups = followups.filter(stage__order__customer_id__in=list(customer_ids))
    moved = dict(followups.order_by().values("stage__order__customer_id").annotate(n=Count("pk"))
                 .values_list("stage__order__customer_id", "n"))
    if moved:
        LateFollowUp.objects.filter(pk__in=followups.values("pk")).update(
            assigned_to_id=Subquery(OrderStage.objects.filter(pk=OuterRef("stage_id"))
                                    .values("specialist_id")[:1]))
    return moved


def on_customers_reassigned(sender, *, customer_ids: list[int], **kwargs) -> dict[int, str]:
    """customers.signals.customers_reassigned, inside the reassignment's transaction: the
    customers' stages and open late follow-ups follow the new specialist. Answers what moved,
    per customer, for the assignment history."""
    stages_follow_customers(customer_ids)
    return {customer_id: _("%(n)d 个逾期跟进") % {"n": n}
            for customer_id, n in followups_follow_customers(customer_ids).items()}


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
