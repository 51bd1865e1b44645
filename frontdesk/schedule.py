"""The schedule (档期, seed L186): bookings of shoots, gown fittings and selections, the people,
gowns and outdoor locations they take, and the reads of the calendar and the day sheet.

Every write locks the store's row first, so two front desks booking the same store at once are
served one after the other (on PostgreSQL): the conflict check and the write see the same
bookings. A booking keeps its stage's scheduled time in step through `stage_schedule`, which
also writes the stage's history; the booking's own history is its BookingChange rows.
"""
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, F, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from messaging.services import message_queue
from orders.models import ZERO, OrderStage, OrderStatus, StageKind, StageStatus
from orders.selectors import stages_visible_to
from orders.services import stage_complete, stage_schedule
from staff.models import Role, StaffMember, Store, User
from staff.scoping import scope_for
from studio.errors import ConfirmationRequired, DomainError

from .models import (
    Booking,
    BookingChange,
    BookingStatus,
    Gown,
    GownCondition,
    OutdoorLocation,
    ScheduleSettings,
)

DEFAULT_DAILY_CAPACITY = 8  # shoots a day when the store has no ScheduleSettings row
BOOKABLE_KINDS: tuple[str, ...] = (StageKind.GOWN, StageKind.SHOOT, StageKind.SELECTION)
DEFAULT_DURATION: dict[str, timedelta] = {
    StageKind.GOWN: timedelta(hours=2),
    StageKind.SHOOT: timedelta(hours=4),
    StageKind.SELECTION: timedelta(hours=2),
}
MAX_DURATION = timedelta(hours=14)
PEOPLE_ROLES = (Role.PHOTOGRAPHER, Role.MAKEUP_ARTIST)


class _Keep:
    """A move leaves this field as it is."""

    def __repr__(self) -> str:
        return "KEEP"


KEEP = _Keep()


def on_stage_completing(sender, stage: OrderStage, by=None, confirmed: bool = False,
                        **kwargs) -> None:
    """orders.signals.stage_completing: the stage's schedule slot (档期) is done with it, in
    the same transaction as the stage, and says what happened (booking_follow_actual)."""
    booking = (Booking.objects.select_for_update(of=("self",))
               .select_related("photographer", "makeup_artist")
               .filter(stage=stage, status=BookingStatus.BOOKED).first())
    if booking is None:
        return
    booking_follow_actual(booking=booking, stage=stage, by=by, confirmed=confirmed)
    booking.status = BookingStatus.DONE
    booking.save(update_fields=["status", "updated_at"])


def _booking_differences(booking: Booking, *, at: datetime, photographer: User | None,
                         makeup_artist: User | None) -> list[str]:
    """What was done otherwise than booked: earlier than the slot, or by other people."""
    lines = []
    if at < booking.starts_at:
        lines.append(_("预约 %(booked)s，实际 %(actual)s 已完成") % {
            "booked": f"{_day(booking.starts_at)} {_hm(booking.starts_at)}",
            "actual": f"{_day(at)} {_hm(at)}"})
    for label, booked, actual in ((_("摄影师"), booking.photographer, photographer),
                                  (_("化妆师"), booking.makeup_artist, makeup_artist)):
        if booked is not None and actual is not None and actual.pk != booked.pk:
            lines.append(_("预约%(role)s %(booked)s，实际 %(actual)s") % {
                "role": label, "booked": booked.display_name, "actual": actual.display_name})
    return lines


def booking_follow_actual(*, booking: Booking, stage: OrderStage, by, confirmed: bool) -> bool:
    """A booked stage done earlier than booked, or by other people than booked, moves its booking
    to what happened — it ends at the completion, as long as booked but not before that day,
    with the people who did it — so the calendar, the flow card and the performance credit say
    the same. Such a change must be confirmed (ConfirmationRequired until `confirmed`); a
    history row keeps the booked time and people. The caller holds the booking's row lock.
    Returns whether it changed."""
    at = stage.completed_at
    photographer = stage.assigned_to if stage.kind == StageKind.SHOOT else None
    makeup_artist = stage.makeup_artist
    differences = _booking_differences(booking, at=at, photographer=photographer,
                                       makeup_artist=makeup_artist)
    if not differences:
        return False
    if not confirmed:
        raise ConfirmationRequired(
            _("「%(stage)s」与档期不一致：%(what)s。确认后档期将按实际时间和人员更新"
              "（日历、流程卡和业绩一致）。") % {
                "stage": stage.get_kind_display(), "what": "；".join(differences)},
            code="booking_differs")
    before = booking.starts_at
    if at < booking.starts_at:  # on the day it was done, ending then (as long, from midnight)
        midnight = day_bounds(timezone.localdate(at))[0]
        booking.starts_at = max(at - (booking.ends_at - booking.starts_at), midnight)
        booking.ends_at = max(at, booking.starts_at + timedelta(minutes=1))
    if photographer is not None:
        booking.photographer = photographer
    if makeup_artist is not None:
        booking.makeup_artist = makeup_artist
    booking.save(update_fields=["starts_at", "ends_at", "photographer", "makeup_artist",
                                "updated_at"])
    BookingChange.objects.create(
        booking=booking, before_starts_at=before, after_starts_at=booking.starts_at, by=by,
        note=(_("按实际更新：%(what)s") % {"what": "；".join(differences)})[:200])
    return True


def on_order_cancelling(sender, order, by, reason: str, **kwargs) -> None:
    """orders.signals.order_cancelling: the cancelled order's booked slots are freed, in the
    same transaction as the cancellation (each with its history row)."""
    for booking in Booking.objects.filter(stage__order=order, status=BookingStatus.BOOKED):
        booking_cancel(booking=booking, by=by, reason=_("订单已取消：%(reason)s") % {"reason": reason})


# --- time helpers ---------------------------------------------------------------------------

def day_bounds(on: date) -> tuple[datetime, datetime]:
    """[00:00, next 00:00) of a local day, as aware datetimes (DESIGN principle 5)."""
    start = timezone.make_aware(datetime.combine(on, time.min))
    return start, timezone.make_aware(datetime.combine(on + timedelta(days=1), time.min))


def _hm(moment: datetime) -> str:
    return timezone.localtime(moment).strftime("%H:%M")


def _day(moment: datetime | date) -> str:
    on = timezone.localtime(moment).date() if isinstance(moment, datetime) else moment
    return on.strftime("%Y-%m-%d")


def daily_capacity(store_id: int) -> int:
    """Shoots the store takes a day: its ScheduleSettings, or 8."""
    value = (ScheduleSettings.objects.filter(store_id=store_id)
             .values_list("daily_shoot_capacity", flat=True).first())
    return DEFAULT_DAILY_CAPACITY if value is None else value


# --- the one conflict check -----------------------------------------------------------------

def _active() -> QuerySet[Booking]:
    return Booking.objects.filter(status=BookingStatus.BOOKED)


def _who(booking: Booking) -> str:
    return _("%(customer)s的%(stage)s") % {"customer": booking.stage.order.customer,
                                          "stage": booking.stage.get_kind_display()}


def booking_conflicts(
    *, store: Store, kind: str, starts_at: datetime, ends_at: datetime,
    photographer: User | None = None, makeup_artist: User | None = None,
    gowns: Iterable[Gown] = (), location: OutdoorLocation | None = None,
    exclude: Booking | None = None,
) -> None:
    """Refuse a slot that takes a person twice at the same time, a shoot beyond the store's
    daily capacity, a gown already reserved for another shoot that day, or an outdoor location
    that is full that day. Raises one ValidationError naming every conflict (by field); the
    booking being moved (`exclude`) does not conflict with itself."""
    others = _active().exclude(pk=exclude.pk) if exclude is not None else _active()
    day_start, day_end = day_bounds(timezone.localtime(starts_at).date())
    same_day = others.filter(starts_at__gte=day_start, starts_at__lt=day_end)
    errors: dict[str, list[str]] = {}

    overlapping = others.filter(starts_at__lt=ends_at, ends_at__gt=starts_at).select_related(
        "stage__order__customer")
    for name, person, label in (("photographer", photographer, _("摄影师")),
                                ("makeup_artist", makeup_artist, _("化妆师"))):
        if person is None:
            continue
        clash = (overlapping.filter(Q(photographer=person) | Q(makeup_artist=person))
                 .order_by("starts_at").first())
        if clash is not None:
            errors.setdefault(name, []).append(
                _("%(role)s %(name)s 在 %(day)s %(start)s-%(end)s 已有档期（%(who)s），"
                  "同一时间不能重复预约。") % {
                    "role": label, "name": person.display_name, "day": _day(clash.starts_at),
                    "start": _hm(clash.starts_at), "end": _hm(clash.ends_at), "who": _who(clash)})

    if kind == StageKind.SHOOT:
        capacity = daily_capacity(store.pk)
        shoots = same_day.filter(store=store, stage__kind=StageKind.SHOOT).count()
        if shoots >= capacity:
            errors.setdefault("starts_at", []).append(
                _("%(day)s 本店拍摄档期已满（每日 %(capacity)d 组），请选择其他日期。") % {
                    "day": _day(starts_at), "capacity": capacity})
        gown_ids = [g.pk for g in gowns]
        if gown_ids:
            taken = (Booking.gowns.through.objects
                     .filter(gown_id__in=gown_ids,
                             booking__in=same_day.filter(stage__kind=StageKind.SHOOT))
                     .select_related("gown", "booking__stage__order__customer")
                     .order_by("gown__code"))
            for row in taken:
                errors.setdefault("gowns", []).append(
                    _("礼服 %(code)s（%(style)s）%(day)s 已被%(who)s预订，同一天不能重复预订。") % {
                        "code": row.gown.code, "style": row.gown.style,
                        "day": _day(starts_at), "who": _who(row.booking)})

    if location is not None:
        used = same_day.filter(location=location).count()
        if used >= location.daily_capacity:
            errors.setdefault("location", []).append(
                _("外景点 %(name)s %(day)s 已约满（每日 %(capacity)d 组），请换一个外景点或日期。") % {
                    "name": location.name, "day": _day(starts_at),
                    "capacity": location.daily_capacity})
    if errors:
        raise ValidationError(errors)


# --- input checks shared by booking and moving ----------------------------------------------

def _check_times(starts_at: datetime | None, ends_at: datetime | None, *, now: datetime) -> None:
    if starts_at is None:
        raise ValidationError({"starts_at": _("请填写开始时间。")})
    if starts_at < now:
        raise ValidationError({"starts_at": _("开始时间不能早于现在。")})
    if ends_at <= starts_at:
        raise ValidationError({"ends_at": _("结束时间必须晚于开始时间。")})
    if ends_at - starts_at > MAX_DURATION or (
            timezone.localtime(ends_at).date() != timezone.localtime(starts_at).date()
            and _hm(ends_at) != "00:00"):
        raise ValidationError({"ends_at": _("档期须在当天内结束。")})


def _check_resources(*, store: Store, kind: str, photographer, makeup_artist, location,
                     gowns: Sequence[Gown]) -> None:
    """The people, location and gowns belong to the store and can be booked."""
    errors: dict[str, list[str]] = {}
    if kind != StageKind.SHOOT and (location is not None or gowns):
        errors["location" if location is not None else "gowns"] = [
            _("只有拍摄可以预订外景点和礼服。")]
    people = {p.pk: p for p in (photographer, makeup_artist) if p is not None}
    roles = dict(StaffMember.objects.active().filter(user_id__in=people, store=store)
                 .values_list("user_id", "role")) if people else {}
    if photographer is not None and roles.get(photographer.pk) != Role.PHOTOGRAPHER:
        errors["photographer"] = [_("请选择本店在职的摄影师。")]
    if makeup_artist is not None and roles.get(makeup_artist.pk) != Role.MAKEUP_ARTIST:
        errors["makeup_artist"] = [_("请选择本店在职的化妆师。")]
    if location is not None and (location.store_id != store.pk or not location.is_active):
        errors["location"] = [_("外景点 %(name)s 已停用或不属于本店。") % {"name": location.name}]
    for gown in gowns:
        if gown.store_id != store.pk:
            errors.setdefault("gowns", []).append(
                _("礼服 %(code)s 不属于本店。") % {"code": gown.code})
        elif gown.condition != GownCondition.GOOD:
            errors.setdefault("gowns", []).append(
                _("礼服 %(code)s 状况为「%(condition)s」，不能预订。") % {
                    "code": gown.code, "condition": gown.get_condition_display()})
    if errors:
        raise ValidationError(errors)


def _lock_store(store_id: int) -> Store:
    # Serialises the store's bookings: the check and the write see the same rows.
    return Store.objects.select_for_update().get(pk=store_id)


def _free_photographer(*, store: Store, starts_at: datetime, ends_at: datetime) -> User | None:
    """The store's photographer free at that time with the fewest shoots that day
    （L186 合理安排当天的摄影师和化妆师的工作量）."""
    busy = _active().filter(starts_at__lt=ends_at, ends_at__gt=starts_at)
    day_start, day_end = day_bounds(timezone.localtime(starts_at).date())
    return (User.objects.filter(is_active=True, staff_profile__store=store,
                                staff_profile__role=Role.PHOTOGRAPHER,
                                staff_profile__is_active=True)
            # NOT IN over a nullable column: leave the NULLs out, or nothing matches.
            .exclude(pk__in=busy.filter(photographer__isnull=False).values("photographer"))
            .exclude(pk__in=busy.filter(makeup_artist__isnull=False).values("makeup_artist"))
            .annotate(load=Count("photographer_bookings", filter=Q(
                photographer_bookings__status=BookingStatus.BOOKED,
                photographer_bookings__starts_at__gte=day_start,
                photographer_bookings__starts_at__lt=day_end)))
            .order_by("load", "pk").first())


def _sync_stage(*, booking: Booking, by, now: datetime, note: str) -> None:
    """The stage's scheduled time, people and location follow the booking (and its history)."""
    stage = booking.stage
    stage_schedule(order=stage.order, kind=stage.kind, at=booking.starts_at, by=by,
                   assigned_to=booking.photographer if stage.kind == StageKind.SHOOT else None,
                   makeup_artist=booking.makeup_artist,
                   location=booking.location.name if booking.location_id else None,
                   now=now, note=note[:200])


# --- services -------------------------------------------------------------------------------

@transaction.atomic
def booking_create(
    *, stage: OrderStage, starts_at: datetime, by, ends_at: datetime | None = None,
    photographer: User | None = None, makeup_artist: User | None = None,
    requested_by_customer: bool = False, location: OutdoorLocation | None = None,
    gowns: Iterable[Gown] = (), note: str = "", now: datetime | None = None,
    notify: bool = False,
) -> Booking:
    """Book a slot for a gown fitting, a shoot or a selection. A shoot without a photographer
    gets the least busy free one, unless the customer asked for someone (then that person is
    booked or the slot is refused). Conflicts are refused; the stage's time follows. With
    `notify`, the customer gets the booking confirmation (booking_confirm_sms)."""
    now = now or timezone.now()
    stage = OrderStage.objects.select_related("order__customer", "order__store").get(pk=stage.pk)
    store = _lock_store(stage.order.store_id)
    if stage.kind not in BOOKABLE_KINDS:
        raise DomainError(_("只有礼服挑选、拍摄和选片需要预约档期。"), code="not_bookable")
    stage.order.ensure_active()  # a completed order's stages are done: refused just below
    if stage.status == StageStatus.DONE:
        raise DomainError(_("「%(stage)s」已完成，不能再预约。") % {
            "stage": stage.get_kind_display()}, code="stage_done")
    existing = Booking.objects.select_for_update().filter(stage=stage).first()
    if existing is not None and existing.status != BookingStatus.CANCELLED:
        raise DomainError(_("「%(stage)s」已有档期（%(day)s %(start)s），请在档期页改期。") % {
            "stage": stage.get_kind_display(), "day": _day(existing.starts_at),
            "start": _hm(existing.starts_at)}, code="already_booked")
    gowns = list(gowns)
    if ends_at is None and starts_at is not None:
        ends_at = starts_at + DEFAULT_DURATION[stage.kind]
    _check_times(starts_at, ends_at, now=now)
    if stage.kind != StageKind.SHOOT and (photographer or makeup_artist or requested_by_customer):
        raise ValidationError({"photographer": _("只有拍摄需要安排摄影师和化妆师。")})
    if requested_by_customer and photographer is None and makeup_artist is None:
        raise ValidationError({"requested_by_customer": _("客户指定人员时，请选择指定的摄影师或化妆师。")})
    _check_resources(store=store, kind=stage.kind, photographer=photographer,
                     makeup_artist=makeup_artist, location=location, gowns=gowns)
    if stage.kind == StageKind.SHOOT and photographer is None:
        photographer = _free_photographer(store=store, starts_at=starts_at, ends_at=ends_at)
        if photographer is None and StaffMember.objects.active().filter(
                store=store, role=Role.PHOTOGRAPHER).exists():
            raise ValidationError({"photographer": _(
                "%(day)s %(start)s-%(end)s 没有空闲的摄影师，请换一个时间。") % {
                "day": _day(starts_at), "start": _hm(starts_at), "end": _hm(ends_at)}})
    booking_conflicts(store=store, kind=stage.kind, starts_at=starts_at, ends_at=ends_at,
                      photographer=photographer, makeup_artist=makeup_artist, gowns=gowns,
                      location=location, exclude=existing)
    booking = existing or Booking(stage=stage)
    before = existing.starts_at if existing is not None else None
    booking.store, booking.starts_at, booking.ends_at = store, starts_at, ends_at
    booking.photographer, booking.makeup_artist = photographer, makeup_artist
    booking.requested_by_customer, booking.location = requested_by_customer, location
    booking.status, booking.note, booking.created_by = BookingStatus.BOOKED, note.strip()[:200], by
    booking.save()
    booking.gowns.set(gowns)
    BookingChange.objects.create(booking=booking, before_starts_at=before, after_starts_at=starts_at,
                                 by=by, note=(_("重新预约") if existing else _("预约"))
                                 + (f"：{note.strip()}" if note.strip() else ""))
    _sync_stage(booking=booking, by=by, now=now, note=_("档期预约"))
    if notify:
        booking_confirm_sms(booking, by=by, now=now)
    return booking


def booking_sms_values(booking: Booking) -> dict[str, str]:
    """A booking's message parameters (messaging.purposes "booking" and "reminder")."""
    store, stage = booking.store, booking.stage
    local = timezone.localtime(booking.starts_at)
    return {"store": store.name, "customer": str(stage.order.customer),
            "service": stage.get_kind_display(), "date": f"{local.month}月{local.day}日",
            "time": local.strftime("%H:%M"), "address": store.address or store.name}


def booking_confirm_sms(booking: Booking, *, by, now: datetime):
    """预约确认: the customer's booking by SMS (or WeChat), through the one outbox. Without the
    store's template on a gateway that needs one, the outbox shows it failed and why."""
    values = booking_sms_values(booking)
    body = _("【%(store)s】%(customer)s您好，您的%(service)s已预约在%(date)s %(time)s，"
             "地址：%(address)s。") % values
    if booking.store.phone:
        body += _("如需改期请致电 %(phone)s。") % {"phone": booking.store.phone}
    customer = booking.stage.order.customer
    return message_queue(purpose="booking", mobile=customer.mobile, store_id=booking.store_id,
                         values=values, default_body=body, customer=customer, by=by, now=now,
                         record_refusal=True)


@transaction.atomic
def booking_move(
    *, booking: Booking, starts_at: datetime, by, ends_at: datetime | None = None,
    photographer=KEEP, makeup_artist=KEEP, location=KEEP, gowns=KEEP, note: str = "",
    now: datetime | None = None,
) -> Booking:
    """Move a booking (or change its people, location, gowns); the history keeps the old time.
    People the customer asked for stay: changing them is refused. Without `ends_at` the
    booking keeps its length."""
    now = now or timezone.now()
    store = _lock_store(booking.store_id)
    booking = (Booking.objects.select_for_update(of=("self",))
               .select_related("stage__order__customer", "photographer", "makeup_artist",
                               "location").get(pk=booking.pk))
    if booking.status != BookingStatus.BOOKED:
        raise DomainError(_("该档期已是「%(status)s」，不能改期。") % {
            "status": booking.get_status_display()}, code="booking_closed")
    if booking.stage.status == StageStatus.DONE:
        raise DomainError(_("「%(stage)s」已完成，不能改期。") % {
            "stage": booking.stage.get_kind_display()}, code="stage_done")
    photographer = booking.photographer if photographer is KEEP else photographer
    makeup_artist = booking.makeup_artist if makeup_artist is KEEP else makeup_artist
    location = booking.location if location is KEEP else location
    gowns = list(booking.gowns.all()) if gowns is KEEP else list(gowns)
    if ends_at is None and starts_at is not None:
        ends_at = starts_at + (booking.ends_at - booking.starts_at)
    _check_times(starts_at, ends_at, now=now)
    if booking.requested_by_customer:
        errors = {}
        for name, new, old, label in (
                ("photographer", photographer, booking.photographer, _("摄影师")),
                ("makeup_artist", makeup_artist, booking.makeup_artist, _("化妆师"))):
            if old is not None and new != old:
                errors[name] = _("客户指定了%(role)s %(name)s，改期时不能更换；如客户同意更换，"
                                 "请先取消该档期再重新预约。") % {"role": label, "name": old.display_name}
        if errors:
            raise ValidationError(errors)
    _check_resources(store=store, kind=booking.stage.kind, photographer=photographer,
                     makeup_artist=makeup_artist, location=location, gowns=gowns)
    booking_conflicts(store=store, kind=booking.stage.kind, starts_at=starts_at, ends_at=ends_at,
                      photographer=photographer, makeup_artist=makeup_artist, gowns=gowns,
                      location=location, exclude=booking)
    before = booking.starts_at
    booking.starts_at, booking.ends_at = starts_at, ends_at
    booking.photographer, booking.makeup_artist, booking.location = (
        photographer, makeup_artist, location)
    booking.save(update_fields=["starts_at", "ends_at", "photographer", "makeup_artist",
                                "location", "updated_at"])
    booking.gowns.set(gowns)
    text = note.strip()
    BookingChange.objects.create(booking=booking, before_starts_at=before,
                                 after_starts_at=starts_at, by=by,
                                 note=(_("改期") + (f"：{text}" if text else ""))[:200])
    _sync_stage(booking=booking, by=by, now=now, note=text or _("档期改期"))
    return booking


@transaction.atomic
def booking_cancel(*, booking: Booking, by, reason: str) -> Booking:
    """Cancel a booking: its people, gowns and location are free again; the history keeps it.
    The stage keeps its booked time (the stage workflow has no way back to 待安排), so if the
    customer is not booked again the late-service sweep raises a follow-up."""
    booking = Booking.objects.select_for_update().get(pk=booking.pk)
    if booking.status != BookingStatus.BOOKED:
        raise DomainError(_("该档期已是「%(status)s」，不能取消。") % {
            "status": booking.get_status_display()}, code="booking_closed")
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": _("请填写取消原因。")})
    booking.status = BookingStatus.CANCELLED
    booking.save(update_fields=["status", "updated_at"])
    BookingChange.objects.create(booking=booking, before_starts_at=booking.starts_at,
                                 after_starts_at=booking.starts_at, by=by,
                                 note=(_("取消") + f"：{reason}")[:200])
    return booking


# --- gowns and outdoor locations --------------------------------------------------------------

@dataclass(frozen=True)
class GownLine:
    gown: Gown
    is_addon: bool
    price: Decimal


def gown_lines(*, gowns: Iterable[Gown], package_id: int) -> list[GownLine]:
    """Each chosen gown: included in the order's package, or an add-on （加选） at its price.
    Needs the gowns' packages prefetched to stay at one query."""
    lines = []
    for gown in gowns:
        included = any(p.pk == package_id for p in gown.packages.all())
        lines.append(GownLine(gown=gown, is_addon=not included,
                              price=ZERO if included else gown.addon_price))
    return lines


@transaction.atomic
def gown_selection_record(*, booking: Booking, gowns: Iterable[Gown], by,
                          at: datetime | None = None, note: str = "") -> Booking:
    """At the fitting: record the chosen gowns on the fitting's booking, complete the gown
    selection with the add-ons' total (the customer owes it) and, if the shoot is booked,
    reserve the gowns for the shoot day (refused if another shoot has one that day)."""
    store = _lock_store(booking.store_id)
    booking = (Booking.objects.select_for_update().select_related("stage__order")
               .get(pk=booking.pk))
    stage, order = booking.stage, booking.stage.order
    if stage.kind != StageKind.GOWN:
        raise DomainError(_("只有礼服挑选的档期可以登记选定的礼服。"), code="not_gown_stage")
    if stage.status == StageStatus.DONE:
        raise DomainError(_("「%(stage)s」已完成，不能再登记。") % {
            "stage": stage.get_kind_display()}, code="stage_done")
    if booking.status != BookingStatus.BOOKED:
        raise DomainError(_("该档期已是「%(status)s」，不能再登记。") % {
            "status": booking.get_status_display()}, code="booking_closed")
    gowns = list(Gown.objects.filter(pk__in=[g.pk for g in gowns]).prefetch_related("packages")
                 .order_by("code"))
    if not gowns:
        raise ValidationError({"gowns": _("请选择客户选定的礼服。")})
    _check_resources(store=store, kind=StageKind.SHOOT, photographer=None, makeup_artist=None,
                     location=None, gowns=gowns)
    lines = gown_lines(gowns=gowns, package_id=order.package_id)
    addons = [line for line in lines if line.is_addon]
    shoot = (Booking.objects.select_for_update()
             .filter(stage__order=order, stage__kind=StageKind.SHOOT, status=BookingStatus.BOOKED)
             .first())
    if shoot is not None:
        booking_conflicts(store=store, kind=StageKind.SHOOT, starts_at=shoot.starts_at,
                          ends_at=shoot.ends_at, gowns=gowns, exclude=shoot)
        shoot.gowns.set(gowns)
    booking.gowns.set(gowns)
    booking.status = BookingStatus.DONE
    booking.save(update_fields=["status", "updated_at"])
    chosen = "、".join(g.code for g in gowns)
    BookingChange.objects.create(booking=booking, before_starts_at=booking.starts_at,
                                 after_starts_at=booking.starts_at, by=by,
                                 note=(_("选定礼服：%(codes)s") % {"codes": chosen})[:200])
    addon_text = "；".join(f"{line.gown.code} ¥{line.price:,.2f}" for line in addons)
    stage_complete(
        order=order, kind=StageKind.GOWN, by=by, at=at,
        extra_amount=sum((line.price for line in addons), ZERO),
        extra_note=(_("加选礼服 %(items)s") % {"items": addon_text})[:200] if addons else "",
        notes=_("选定礼服：%(codes)s") % {"codes": chosen} + (f"。{note.strip()}" if note.strip() else ""))
    return booking


def gown_save(*, gown: Gown, packages: Iterable | None = None) -> Gown:
    """Add or edit a gown of the store's catalogue; its code is unique within the store."""
    gown.code = (gown.code or "").strip()
    if Gown.objects.filter(store_id=gown.store_id, code=gown.code).exclude(pk=gown.pk).exists():
        raise ValidationError({"code": _("本店已有编号为 %(code)s 的礼服。") % {"code": gown.code}})
    gown.full_clean(exclude=["packages"], validate_constraints=False)
    with transaction.atomic():
        gown.save()
        if packages is not None:
            gown.packages.set(packages)
    return gown


def location_save(*, location: OutdoorLocation) -> OutdoorLocation:
    """Add or edit an outdoor location; its name is unique within the store."""
    location.name = (location.name or "").strip()
    if OutdoorLocation.objects.filter(store_id=location.store_id, name=location.name).exclude(
            pk=location.pk).exists():
        raise ValidationError({"name": _("本店已有外景点 %(name)s。") % {"name": location.name}})
    if location.daily_capacity < 1:
        raise ValidationError({"daily_capacity": _("每日可拍组数至少为 1。")})
    location.full_clean(validate_constraints=False)
    location.save()
    return location


# --- selectors ------------------------------------------------------------------------------

def bookings_visible_to(user) -> QuerySet[Booking]:
    """The store's bookings (every store's for a GM); a photographer or makeup artist sees
    only their own."""
    bookings = scope_for(user).apply(Booking.objects.all(), store_field="store_id",
                                     owner_field=None)
    profile = getattr(user, "staff_profile", None)
    if not user.is_superuser and profile is not None and profile.role in PEOPLE_ROLES:
        bookings = bookings.filter(Q(photographer=user) | Q(makeup_artist=user))
    return bookings


def _calendar_bookings(user, *, store: Store, start: datetime, end: datetime) -> QuerySet[Booking]:
    return (bookings_visible_to(user)
            .filter(store=store, starts_at__gte=start, starts_at__lt=end)
            .exclude(status=BookingStatus.CANCELLED)
            .select_related("stage__order__customer", "stage__order__package", "photographer",
                            "makeup_artist", "location")
            .prefetch_related("gowns")
            .order_by("starts_at", "pk"))


@dataclass
class CalendarDay:
    on: date
    capacity: int
    bookings: list[Booking] = field(default_factory=list)

    @property
    def shoots(self) -> int:
        return sum(1 for b in self.bookings if b.stage.kind == StageKind.SHOOT
                   and b.status == BookingStatus.BOOKED)

    @property
    def is_full(self) -> bool:
        return self.shoots >= self.capacity


def calendar_week(user, *, store: Store, start: date, days: int = 7) -> list[CalendarDay]:
    """`days` days from `start`, each with its bookings in time order and its shoots against
    the store's capacity. Three queries whatever the number of bookings."""
    capacity = daily_capacity(store.pk)
    calendar = [CalendarDay(on=start + timedelta(days=i), capacity=capacity) for i in range(days)]
    by_day = {day.on: day for day in calendar}
    first, _end = day_bounds(start)
    _start, last = day_bounds(start + timedelta(days=days - 1))
    for booking in _calendar_bookings(user, store=store, start=first, end=last):
        by_day[timezone.localtime(booking.starts_at).date()].bookings.append(booking)
    return calendar


@dataclass
class PersonDay:
    person: User | None
    role: str
    bookings: list[Booking] = field(default_factory=list)


def calendar_day_by_person(user, *, store: Store, on: date) -> list[PersonDay]:
    """One day, a column per photographer and makeup artist with their bookings (their
    workload), and one for bookings without either. Three queries."""
    viewer = getattr(user, "staff_profile", None)
    members = (StaffMember.objects.active().filter(store=store, role__in=PEOPLE_ROLES)
               .select_related("user")
               .order_by("-role", "user__first_name", "user__username"))  # photographers first
    if not user.is_superuser and viewer is not None and viewer.role in PEOPLE_ROLES:
        members = members.filter(user=user)
    columns = {m.user_id: PersonDay(person=m.user, role=m.get_role_display()) for m in members}
    others = PersonDay(person=None, role="")
    start, end = day_bounds(on)
    for booking in _calendar_bookings(user, store=store, start=start, end=end):
        placed = False
        for person_id in {booking.photographer_id, booking.makeup_artist_id} - {None}:
            if person_id in columns:
                columns[person_id].bookings.append(booking)
                placed = True
        if not placed:
            others.bookings.append(booking)
    return [*columns.values(), *([others] if others.bookings else [])]


@dataclass(frozen=True)
class DaySheetRow:
    booking: Booking

    @property
    def order(self):
        return self.booking.stage.order

    @property
    def owes(self) -> bool:
        """L186 核对有无欠款: the customer still owes money."""
        return self.order.balance_owed > 0


def day_sheet(user, *, store: Store, on: date) -> list[DaySheetRow]:
    """The day's bookings for the duty front desk, with who owes money flagged. Two queries."""
    start, end = day_bounds(on)
    bookings = _calendar_bookings(user, store=store, start=start, end=end)
    return [DaySheetRow(booking=b) for b in bookings.select_related("created_by")]


def person_bookings(user, *, person: User, start: date, days: int = 7) -> QuerySet[Booking]:
    """One photographer's or makeup artist's bookings over `days` days, in time order."""
    first, _end = day_bounds(start)
    _start, last = day_bounds(start + timedelta(days=days - 1))
    return (bookings_visible_to(user)
            .filter(Q(photographer=person) | Q(makeup_artist=person),
                    starts_at__gte=first, starts_at__lt=last)
            .exclude(status=BookingStatus.CANCELLED)
            .select_related("stage__order__customer", "stage__order__package", "photographer",
                            "makeup_artist", "location")
            .prefetch_related("gowns")
            .order_by("starts_at", "pk"))


def stages_waiting_for_booking(user, *, store: Store, limit: int = 20) -> list[OrderStage]:
    """Customers whose next service (gown, shoot, selection) has no booking yet."""
    return list(stages_visible_to(user)
                .filter(order__store=store, order__status=OrderStatus.ACTIVE,
                        kind=F("order__current_stage"), kind__in=BOOKABLE_KINDS)
                .exclude(status=StageStatus.DONE)
                .exclude(booking__status=BookingStatus.BOOKED)
                .select_related("order__customer", "order__package")
                .order_by(F("scheduled_at").asc(nulls_first=True), "order__created_at", "pk")[:limit])


def booking_for_page(user, pk: int) -> Booking:
    """One booking in the viewer's scope, with what its page shows (raises DoesNotExist)."""
    return (bookings_visible_to(user)
            .select_related("stage__order__customer", "stage__order__package", "store",
                            "photographer", "makeup_artist", "location", "created_by")
            .prefetch_related("gowns__packages")
            .get(pk=pk))


def gowns_for_catalogue(*, store: Store, q: str = "", condition: str = "") -> QuerySet[Gown]:
    gowns = Gown.objects.filter(store=store).prefetch_related("packages").order_by("code")
    if q:
        gowns = gowns.filter(Q(code__icontains=q) | Q(style__icontains=q)
                             | Q(colour__icontains=q) | Q(size__iexact=q))
    if condition in GownCondition.values:
        gowns = gowns.filter(condition=condition)
    return gowns


def gowns_bookable(*, store: Store) -> QuerySet[Gown]:
    return (Gown.objects.filter(store=store, condition=GownCondition.GOOD)
            .prefetch_related("packages").order_by("code"))
