"""The front desk's reminder calls and messages (seed L180, L186): beat sweeps over bookings.

Every evening the next day's shoots and selections get a reminder SMS (what to bring, the time,
the address) and a call task for the duty front desk, who also checks the balance owed
(L186 核对有无欠款, flagged on the day sheet). One week before a shoot the front desk calls to
greet the customer (L180 拍摄前一周电话问候并提醒客户).

Both sweeps are set-based and idempotent (DESIGN principle 1): a reminder SMS carries the key
`reminder:<booking>:<date>` (unique in the outbox) and a call task is unique per stage and
purpose, so a job run twice, or twice at once, queues nothing twice.
"""
from datetime import datetime, time, timedelta

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from frontdesk.models import Booking, BookingStatus
from frontdesk.schedule import booking_sms_values
from messaging.services import message_queue
from orders.models import OrderStatus, PackageKind, StageKind, StageStatus
from staff.models import Role, StaffMember

from .models import CallbackPolicy, CallbackPurpose, CallbackTask
from .services import callback_due_at, callback_task_build, policy_for

REMINDER_KINDS = (StageKind.SHOOT, StageKind.SELECTION)
# Greet shoots at most a week ahead; closer than two days the evening reminder does the job.
GREETING_AHEAD = timedelta(days=7)
GREETING_NOT_WITHIN = timedelta(days=2)


def _local_midnight(on) -> datetime:
    return timezone.make_aware(datetime.combine(on, time.min))


def _open_bookings(kinds) -> QuerySet[Booking]:
    return (Booking.objects.filter(status=BookingStatus.BOOKED, stage__kind__in=kinds,
                                   stage__order__status=OrderStatus.ACTIVE)
            .exclude(stage__status=StageStatus.DONE)
            .select_related("stage__order__customer", "stage__order__package", "store",
                            "location"))


def _duty_front_desk(bookings: list[Booking]) -> dict[int, int | None]:
    """booking id → who calls: the booking's creator if they are the store's front desk, else
    the store's first active front desk (the longest-serving); None if the store has none."""
    if not bookings:
        return {}
    store_ids = {b.store_id for b in bookings}
    desks = list(StaffMember.objects.active()
                 .filter(role=Role.FRONT_DESK, store_id__in=store_ids)
                 .order_by("store_id", "pk").values_list("store_id", "user_id"))
    first: dict[int, int] = {}
    for store_id, user_id in desks:
        first.setdefault(store_id, user_id)
    members = set(desks)
    return {b.pk: b.created_by_id if (b.store_id, b.created_by_id) in members
            else first.get(b.store_id) for b in bookings}


def _bring(package_kind: str) -> str:
    if package_kind == PackageKind.CHILDREN:
        return _("请为宝宝带好替换衣物、尿不湿、喜欢的玩具和零食，拍摄前让宝宝睡好、吃饱。")
    if package_kind == PackageKind.FAMILY:
        return _("请全家穿着颜色协调的服装，带好想搭配的饰品。")
    return _("请带好身份证、隐形眼镜及护理液、肉色无肩带内衣和想搭配的饰品，头发提前洗净、素颜到店。")


def reminder_sms_text(booking: Booking) -> str:
    """The reminder: when, where, and what to bring （L186 注意事项以及要提前准备的物品）."""
    store, stage = booking.store, booking.stage
    values = {**booking_sms_values(booking), "phone": store.phone}
    if stage.kind == StageKind.SHOOT:
        text = _("【%(store)s】%(customer)s您好，提醒您明天（%(date)s）%(time)s到店拍摄，"
                 "地址：%(address)s。") % values
        text += _bring(stage.order.package.kind)
        if booking.location_id:
            text += _("当天外景：%(location)s。") % {"location": booking.location.name}
    else:
        text = _("【%(store)s】%(customer)s您好，提醒您明天（%(date)s）%(time)s到店选片，"
                 "地址：%(address)s。选片约需 2 小时，建议两位一同到场，请准时到达。") % values
    if store.phone:
        text += _("如需改期请致电 %(phone)s。") % values
    return text


def _reminder_due_at(booking: Booking, *, now: datetime, policy: CallbackPolicy) -> datetime:
    """Call the evening before, outside the customer's quiet hours; at worst right away."""
    tonight = _local_midnight(timezone.localtime(now).date() + timedelta(days=1)) - timedelta(minutes=1)
    deadline = min(booking.starts_at - timedelta(hours=1), tonight)
    return callback_due_at(triggered_at=now, policy=policy, deadline=deadline, not_before=now)


def reminders_queue_for_tomorrow(*, now: datetime) -> dict[str, int]:
    """For each of tomorrow's (local) shoots and selections: a reminder SMS through the outbox
    and a call task for the duty front desk. Safe to run twice: returns what was new."""
    tomorrow = timezone.localtime(now).date() + timedelta(days=1)
    start, end = _local_midnight(tomorrow), _local_midnight(tomorrow + timedelta(days=1))
    bookings = list(_open_bookings(REMINDER_KINDS).filter(starts_at__gte=start, starts_at__lt=end)
                    .order_by("starts_at", "pk"))
    duty = _duty_front_desk(bookings)
    called = set(CallbackTask.objects.filter(purpose=CallbackPurpose.REMINDER,
                                             stage__in=[b.stage_id for b in bookings])
                 .values_list("stage_id", flat=True))
    policies: dict[int, CallbackPolicy] = {}
    queued = 0
    tasks = []
    with transaction.atomic():
        for booking in bookings:
            customer = booking.stage.order.customer
            message = message_queue(
                purpose="reminder", mobile=customer.mobile, store_id=booking.store_id,
                values=booking_sms_values(booking), default_body=reminder_sms_text(booking),
                customer=customer, now=now,  # quiet hours at the sweep's time
                dedupe_key=f"reminder:{booking.pk}:{tomorrow.isoformat()}", record_refusal=True)
            queued += message is not None
            if booking.stage_id in called:
                continue
            policy = policies.setdefault(booking.store_id, policy_for(booking.store_id))
            tasks.append(callback_task_build(
                customer=customer, purpose=CallbackPurpose.REMINDER, stage=booking.stage,
                assigned_to_id=duty[booking.pk], triggered_at=now, policy=policy,
                due_at=_reminder_due_at(booking, now=now, policy=policy)))
        # A concurrent run may have inserted some since: the unique constraint drops those.
        CallbackTask.objects.bulk_create(tasks, ignore_conflicts=True)
    return {"sms": queued, "calls": len(tasks)}


def greetings_queue(*, now: datetime) -> int:
    """A greeting call for each shoot coming within a week (and more than two days away) that
    has none yet, for the duty front desk; due within the policy's days, before the shoot's eve,
    in the customer's preferred window. Safe to run twice (unique per stage and purpose)."""
    today = timezone.localtime(now).date()
    start = _local_midnight(today + GREETING_NOT_WITHIN)
    end = _local_midnight(today + GREETING_AHEAD + timedelta(days=1))
    bookings = list(_open_bookings([StageKind.SHOOT])
                    .filter(starts_at__gte=start, starts_at__lt=end)
                    .exclude(stage__callback_tasks__purpose=CallbackPurpose.GREETING)
                    .order_by("starts_at", "pk"))
    duty = _duty_front_desk(bookings)
    policies: dict[int, CallbackPolicy] = {}
    tasks = []
    for booking in bookings:
        customer = booking.stage.order.customer
        policy = policies.setdefault(booking.store_id, policy_for(booking.store_id))
        deadline = min(now + timedelta(days=policy.due_days), booking.starts_at - timedelta(days=1))
        tasks.append(callback_task_build(
            customer=customer, purpose=CallbackPurpose.GREETING, stage=booking.stage,
            assigned_to_id=duty[booking.pk], triggered_at=now, policy=policy,
            deadline=deadline, not_before=now))
    CallbackTask.objects.bulk_create(tasks, ignore_conflicts=True)  # a concurrent run: dropped
    return len(tasks)
