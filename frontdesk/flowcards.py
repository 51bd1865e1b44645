"""Flow cards （流程卡） and rework （返工）: services and selectors.

Flow cards. At the end of a shoot the front desk records who photographed and who did makeup;
the card credits their performance （业绩） for the order:

* the performance base is the order's agreed price, ``amount - discount`` (add-ons bought later
  at gown or photo selection are not shoot performance);
* the photographer is credited ``base × photographer_share %`` and the makeup artist
  ``base × makeup_share %`` (the store's ScheduleSettings; 60/40 when the store has none);
  both are rounded to cents so that they add up exactly to ``base × (share total) %`` rounded
  to cents: with 60/40 the two credits always sum to the base. With no makeup artist the makeup
  share is not credited to anyone;
* a card needs the shoot done, or completes the shoot itself (``complete_shoot=True``: the
  shoot-done action and the card in one transaction); one card per shoot (the stage is a
  OneToOne), so a second attempt is refused with a DomainError;
* the card and its credits are dated the day the shoot was done (local time): performance
  belongs to the day the work was done, whenever the paperwork is entered; the cashier's
  hand-over of a day lists that day's cards, each with the time it was registered.

Rework. The front desk records a rework request on an order whose shoot is done (reason, what
is redone); only a user holding ``frontdesk.approve_rework`` within the order's scope (the store's
manager, the general manager) approves or rejects it, else PermissionDenied; an approved rework
is marked done when finished. The row itself keeps who asked, who decided, when and why. Each
rework service checks the acting user's role and the rework's state through the step map
(frontdesk.workflow.REWORK_STEPS); None is the system.
"""
from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Case, Count, IntegerField, Q, QuerySet, Sum, Value, When
from django.utils import timezone
from django.utils.translation import gettext as _

from orders.models import ZERO, Order, OrderStage, StageKind, StageStatus
from orders.selectors import orders_visible_to
from orders.services import stage_complete
from staff.models import Role, StaffMember, User
from staff.scoping import scope_for
from studio.errors import DomainError
from studio.workflow import CREATE

from .models import (
    Booking,
    BookingStatus,
    FlowCard,
    PerformanceCredit,
    Rework,
    ReworkStatus,
    ScheduleSettings,
)
from .schedule import booking_follow_actual
from .workflow import REWORK_STEPS

CENT = Decimal("0.01")
HUNDRED = Decimal(100)
DEFAULT_PHOTOGRAPHER_SHARE = Decimal("60.00")
DEFAULT_MAKEUP_SHARE = Decimal("40.00")


# ---- the split ------------------------------------------------------------------------------

@dataclass(frozen=True)
class CreditSplit:
    base: Decimal
    photographer_share: Decimal
    makeup_share: Decimal
    photographer: Decimal
    makeup: Decimal

    @property
    def total(self) -> Decimal:
        return self.photographer + self.makeup


def credit_split(*, base: Decimal, photographer_share: Decimal, makeup_share: Decimal,
                 with_makeup: bool = True) -> CreditSplit:
    """Split `base` by the two percentages, in cents, so that the parts add up exactly to
    base × (photographer_share + makeup_share) % rounded to cents (half up).

    The photographer's part is rounded on its own; the makeup part is the rest, so it is
    never more than a cent from its exact value and never negative."""
    photographer = (base * photographer_share / HUNDRED).quantize(CENT, ROUND_HALF_UP)
    if not with_makeup:
        return CreditSplit(base, photographer_share, makeup_share, photographer, ZERO)
    total = (base * (photographer_share + makeup_share) / HUNDRED).quantize(CENT, ROUND_HALF_UP)
    return CreditSplit(base, photographer_share, makeup_share, photographer, total - photographer)


def performance_base(order: Order) -> Decimal:
    """What a shoot's performance is computed on: the order's agreed price."""
    return order.amount - order.discount


def store_shares(store_id: int) -> tuple[Decimal, Decimal]:
    """(photographer %, makeup %) of a store; 60/40 when it has no schedule settings yet."""
    row = (ScheduleSettings.objects.filter(store_id=store_id)
           .values_list("photographer_share", "makeup_share").first())
    return row if row is not None else (DEFAULT_PHOTOGRAPHER_SHARE, DEFAULT_MAKEUP_SHARE)


def flow_card_preview(order: Order, *, with_makeup: bool = True) -> CreditSplit:
    """The split a card for `order` would credit now (for the form)."""
    photographer_share, makeup_share = store_shares(order.store_id)
    return credit_split(base=performance_base(order), photographer_share=photographer_share,
                        makeup_share=makeup_share, with_makeup=with_makeup)


# ---- flow card services ---------------------------------------------------------------------

def _check_staff_of_store(user: User | None, *, store_id: int, field: str, label: str) -> None:
    if user is None:
        return
    works_here = StaffMember.objects.active().filter(user=user, store_id=store_id).exists()
    if not works_here:
        raise ValidationError({field: _("%(label)s须为本店在职员工。") % {"label": label}})


@transaction.atomic
def flow_card_create(
    *, order: Order, by: User, photographer: User, makeup_artist: User | None = None,
    complete_shoot: bool = False, at: datetime | None = None, confirm: bool = False,
) -> FlowCard:
    """Record the shoot's flow card and credit the photographer's and makeup artist's
    performance. The shoot must be done, unless `complete_shoot` records it done first (same
    transaction, same rules as stage_complete). One card per shoot: a second is refused. The
    card's people are who did the shoot: a shoot booked with others (or done earlier than
    booked) needs `confirm`, and then its booking follows (booking_follow_actual)."""
    order = Order.objects.select_for_update().get(pk=order.pk)
    order.ensure_active()
    try:
        stage = OrderStage.objects.get(order=order, kind=StageKind.SHOOT)
    except OrderStage.DoesNotExist:
        raise DomainError(_("该订单没有拍摄阶段。"), code="stage_not_in_package") from None
    existing = FlowCard.objects.filter(stage=stage).select_related("photographer").first()
    if existing is not None:
        raise DomainError(_("该订单的拍摄已于 %(on)s 登记流程卡（摄影师：%(name)s），不能重复登记。") % {
            "on": existing.on.isoformat(), "name": existing.photographer.display_name},
            code="flow_card_exists")
    if photographer is None:
        raise ValidationError({"photographer": _("请选择摄影师。")})
    _check_staff_of_store(photographer, store_id=order.store_id, field="photographer",
                          label=_("摄影师"))
    _check_staff_of_store(makeup_artist, store_id=order.store_id, field="makeup_artist",
                          label=_("化妆师"))
    if stage.status != StageStatus.DONE:
        if not complete_shoot:
            raise DomainError(_("拍摄尚未登记完成，不能登记流程卡。"), code="shoot_not_done")
        stage = stage_complete(order=order, kind=StageKind.SHOOT, by=by, at=at,
                               assigned_to=photographer, makeup_artist=makeup_artist,
                               confirm=confirm)
    else:
        _shoot_follows_card(stage, photographer=photographer, makeup_artist=makeup_artist,
                            by=by, confirm=confirm)
    split = flow_card_preview(order, with_makeup=makeup_artist is not None)
    on = timezone.localdate(stage.completed_at)
    card = FlowCard(stage=stage, order=order, store_id=order.store_id, on=on,
                    photographer=photographer, makeup_artist=makeup_artist, amount=split.base,
                    created_by=by)
    try:
        with transaction.atomic():  # a concurrent second card (where rows are not locked)
            card.save()
    except IntegrityError:
        raise DomainError(_("该订单的拍摄已登记流程卡，不能重复登记。"),
                          code="flow_card_exists") from None
    credits = [PerformanceCredit(flow_card=card, user=photographer, role=Role.PHOTOGRAPHER,
                                 amount=split.photographer, on=on)]
    if makeup_artist is not None:
        credits.append(PerformanceCredit(flow_card=card, user=makeup_artist,
                                         role=Role.MAKEUP_ARTIST, amount=split.makeup, on=on))
    PerformanceCredit.objects.bulk_create(credits)
    return card


def _shoot_follows_card(stage: OrderStage, *, photographer: User, makeup_artist: User | None,
                        by: User, confirm: bool) -> None:
    """A shoot recorded done before its flow card: the card names who photographed and did
    makeup, so the shoot and its booking (once confirmed, if booked with others) say so too."""
    stage.assigned_to = photographer
    stage.makeup_artist = makeup_artist or stage.makeup_artist
    booking = (Booking.objects.select_for_update(of=("self",))
               .select_related("photographer", "makeup_artist")
               .filter(stage=stage).exclude(status=BookingStatus.CANCELLED).first())
    if booking is not None:
        booking_follow_actual(booking=booking, stage=stage, by=by, confirmed=confirm)
    stage.save(update_fields=["assigned_to", "makeup_artist"])


# ---- rework services ------------------------------------------------------------------------

def _text(value: str | None, *, field: str, message: str, limit: int | None = None) -> str:
    text = (value or "").strip()
    if not text:
        raise ValidationError({field: message})
    if limit is not None and len(text) > limit:
        raise ValidationError({field: _("不能超过 %(n)d 个字。") % {"n": limit}})
    return text


@transaction.atomic
def rework_request(*, order: Order, by: User, reason: str, items: str) -> Rework:
    """Ask for a rework of an order whose shoot is done; it waits for the store manager."""
    REWORK_STEPS.check("request", state=CREATE, user=by)
    reason = _text(reason, field="reason", message=_("请填写返工原因。"))
    items = _text(items, field="items", message=_("请填写返工内容。"), limit=200)
    order = Order.objects.select_for_update().get(pk=order.pk)
    order.ensure_active()
    shot = OrderStage.objects.filter(order=order, kind=StageKind.SHOOT,
                                     status=StageStatus.DONE).exists()
    if not shot:
        raise DomainError(_("拍摄尚未完成，还没有可以返工的内容。"), code="shoot_not_done")
    return Rework.objects.create(order=order, reason=reason, items=items, requested_by=by)


def _lock_rework(rework: Rework) -> Rework:
    return Rework.objects.select_for_update().get(pk=rework.pk)


@transaction.atomic
def rework_decide(*, rework: Rework, by: User, approve: bool, note: str = "") -> Rework:
    """The store manager approves or rejects a requested rework (a rejection says why).
    Anyone without frontdesk.approve_rework for the order's store gets PermissionDenied."""
    step = REWORK_STEPS["decide"]
    if by is not None and not (step.permits(by)
                               and orders_visible_to(by).filter(pk=rework.order_id).exists()):
        raise PermissionDenied(_("只有店长可以审批返工。"))
    note = (note or "").strip()
    if len(note) > 200:
        raise ValidationError({"note": _("不能超过 %(n)d 个字。") % {"n": 200}})
    if not approve and not note:
        raise ValidationError({"note": _("不批准时请填写原因。")})
    rework = _lock_rework(rework)
    REWORK_STEPS.check("decide", state=rework.status, user=by)
    rework.move_to(ReworkStatus.APPROVED if approve else ReworkStatus.REJECTED)
    rework.decided_by, rework.decided_at, rework.decision_note = by, timezone.now(), note
    rework.save(update_fields=["status", "decided_by", "decided_at", "decision_note",
                               "updated_at"])
    return rework


@transaction.atomic
def rework_done(*, rework: Rework, by: User, at: datetime | None = None) -> Rework:
    """An approved rework is finished."""
    REWORK_STEPS.check_permission("done", user=by)
    rework = _lock_rework(rework)
    REWORK_STEPS.check("done", state=rework.status, user=by)
    rework.move_to(ReworkStatus.DONE)
    rework.done_at = at or timezone.now()
    rework.save(update_fields=["status", "done_at", "updated_at"])
    return rework


# ---- selectors ------------------------------------------------------------------------------

def flow_cards_visible_to(user) -> QuerySet[FlowCard]:
    """Flow cards of the orders `user` may see (same rule as orders_visible_to)."""
    return scope_for(user).apply(FlowCard.objects.all(), store_field="store_id",
                                 owner_field="order__customer__assigned_to_id")


def credits_visible_to(user) -> QuerySet[PerformanceCredit]:
    return scope_for(user).apply(PerformanceCredit.objects.all(),
                                 store_field="flow_card__store_id",
                                 owner_field="flow_card__order__customer__assigned_to_id")


def reworks_visible_to(user) -> QuerySet[Rework]:
    return scope_for(user).apply(Rework.objects.all(), store_field="order__store_id",
                                 owner_field="order__customer__assigned_to_id")


def flow_cards_list_for_handover(user, *, on: date, store_id: int) -> QuerySet[FlowCard]:
    """The cashier's hand-over: one store's cards of one day, with their people and credits."""
    return (flow_cards_visible_to(user)
            .filter(on=on, store_id=store_id)
            .select_related("order__customer", "order__package", "photographer",
                            "makeup_artist", "created_by")
            .prefetch_related("credits")
            .order_by("created_at", "pk"))


def performance_totals_for_handover(user, *, on: date, store_id: int) -> QuerySet[User]:
    """Each person credited on the day's cards, with what they earned (by role) and on how
    many cards; highest first. One query."""
    day = credits_visible_to(user).filter(on=on, flow_card__store_id=store_id)
    # filter() then annotate(): the sums run over the filtered credits only (one join).
    return (User.objects.filter(performance_credits__in=day)
            .annotate(total=Sum("performance_credits__amount", default=ZERO),
                      as_photographer=Sum("performance_credits__amount", default=ZERO,
                                          filter=Q(performance_credits__role=Role.PHOTOGRAPHER)),
                      as_makeup=Sum("performance_credits__amount", default=ZERO,
                                    filter=Q(performance_credits__role=Role.MAKEUP_ARTIST)),
                      cards=Count("performance_credits__flow_card", distinct=True))
            .order_by("-total", "username"))


def performance_credits_for_person(user, *, person: User, start_on: date,
                                   end_on: date) -> QuerySet[PerformanceCredit]:
    """One person's credits from `start_on` to `end_on` (both included), as far as `user`
    may see them, newest first."""
    return (credits_visible_to(user)
            .filter(user=person, on__gte=start_on, on__lte=end_on)
            .select_related("flow_card__order__customer", "flow_card__order__package",
                            "flow_card__store")
            .order_by("-on", "-pk"))


def performance_summary_for_person(user, *, person: User, start_on: date, end_on: date) -> dict:
    """Total, per-role totals and card count of one person's credits over a period."""
    credits = credits_visible_to(user).filter(user=person, on__gte=start_on, on__lte=end_on)
    return credits.aggregate(
        total=Sum("amount", default=ZERO),
        as_photographer=Sum("amount", filter=Q(role=Role.PHOTOGRAPHER), default=ZERO),
        as_makeup=Sum("amount", filter=Q(role=Role.MAKEUP_ARTIST), default=ZERO),
        cards=Count("flow_card", distinct=True))


def staff_with_performance_visible_to(user) -> QuerySet[User]:
    """People whose performance `user` may look up: staff of the stores `user` sees."""
    members = scope_for(user).apply(StaffMember.objects.all(), store_field="store_id",
                                    owner_field=None)
    return (User.objects.filter(staff_profile__in=members)
            .select_related("staff_profile__store")
            .order_by("staff_profile__store__code", "staff_profile__role", "username"))


def reworks_list_for_desk(user, *, status: str | None = None) -> QuerySet[Rework]:
    """The rework list: requests awaiting approval first, then the newest."""
    reworks = reworks_visible_to(user)
    if status:
        reworks = reworks.filter(status=status)
    return (reworks.select_related("order__customer", "order__package", "order__store",
                                   "requested_by", "decided_by")
            .order_by(_status_rank(), "-created_at", "-pk"))


def _status_rank() -> Case:
    order = [ReworkStatus.REQUESTED, ReworkStatus.APPROVED, ReworkStatus.REJECTED,
             ReworkStatus.DONE]
    return Case(*[When(status=s, then=Value(i)) for i, s in enumerate(order)],
                output_field=IntegerField())
