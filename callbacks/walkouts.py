"""Walk-out follow-up calls (走单跟进, seed L180 一周内进行连续电话追踪).

Orders records the walk-out and announces it on commit; here each walk-out gets three calls, due
on the 1st, 3rd and 6th day after the visit, outside quiet hours and in the customer's preferred
window where one fits. A conversion (the prospect books an order after the visit) closes the
walk-out and cancels its open calls. The receivers only make this happen sooner: the beat sweep
`walkouts_sweep` creates what a lost signal missed and finds conversions (DESIGN principle 1);
unique (walkout, sequence) and status filters make every run idempotent.
"""
import logging
from collections.abc import Iterable
from datetime import datetime, time, timedelta
from functools import partial

from django.db import transaction
from django.db.models import Count, Exists, OuterRef, Q, Subquery
from django.db.models.signals import post_save
from django.utils import timezone

from frontdesk.models import WalkOut, WalkOutStatus
from frontdesk.signals import walkout_closed, walkout_recorded
from orders.models import Order, OrderStatus

from .models import CallbackPolicy, CallbackPurpose, CallbackStatus, CallbackTask
from .services import callback_due_at, callback_task_build, policy_for

logger = logging.getLogger(__name__)

# The calls of the week after a visit: (sequence, days after the visit day).
FOLLOWUP_DAYS: tuple[tuple[int, int], ...] = ((1, 1), (2, 3), (3, 6))
# How far back the sweep looks for walk-outs still missing a call.
SWEEP_LOOKBACK = timedelta(days=14)


def walkout_followup_due_at(*, visited_at: datetime, days: int, policy: CallbackPolicy,
                            contact_time: str) -> datetime:
    """The latest allowed minute of the `days`-th local day after the visit: never in quiet
    hours, in the preferred contact window where one fits that day."""
    day = timezone.localdate(visited_at) + timedelta(days=days)
    day_start = timezone.make_aware(datetime.combine(day, time.min))
    return callback_due_at(triggered_at=visited_at, policy=policy, contact_time=contact_time,
                           deadline=day_start + timedelta(days=1) - timedelta(minutes=1),
                           not_before=max(day_start, visited_at + timedelta(hours=1)))


def _followup_tasks(walkouts: Iterable[WalkOut]) -> list[CallbackTask]:
    policies: dict[int, CallbackPolicy] = {}
    tasks = []
    for walkout in walkouts:
        customer = walkout.customer
        policy = policies.setdefault(walkout.store_id, policy_for(walkout.store_id))
        # The consultant who received the prospect calls them; else their specialist, if any.
        owner = walkout.consultant_id or customer.assigned_to_id
        for sequence, days in FOLLOWUP_DAYS:
            tasks.append(callback_task_build(
                customer=customer, purpose=CallbackPurpose.WALKOUT, walkout=walkout,
                sequence=sequence, assigned_to_id=owner, triggered_at=walkout.visited_at,
                policy=policy,
                due_at=walkout_followup_due_at(visited_at=walkout.visited_at, days=days,
                                               policy=policy,
                                               contact_time=customer.preferred_contact_time)))
    return tasks


def _following_without_all_calls():
    return (WalkOut.objects.filter(status=WalkOutStatus.FOLLOWING)
            .annotate(calls=Count("followups", filter=Q(followups__purpose=CallbackPurpose.WALKOUT)))
            .filter(calls__lt=len(FOLLOWUP_DAYS))
            .select_related("customer"))


def walkout_followups_create(*, walkout_id: int) -> int:
    """The three calls of one walk-out still being followed; nothing for those that exist."""
    walkouts = _following_without_all_calls().filter(pk=walkout_id)
    return len(CallbackTask.objects.bulk_create(_followup_tasks(walkouts), ignore_conflicts=True))


def walkouts_sweep_followups(*, now: datetime) -> int:
    """Every recent walk-out still followed gets its missing calls (a lost signal, a crash)."""
    walkouts = _following_without_all_calls().filter(visited_at__gte=now - SWEEP_LOOKBACK)
    return len(CallbackTask.objects.bulk_create(_followup_tasks(walkouts), ignore_conflicts=True))


def walkouts_convert(*, now: datetime, customer_ids: Iterable[int] | None = None) -> int:
    """Close as converted every followed walk-out whose customer booked an order after the
    visit (the first such order), then cancel their open calls. Two UPDATEs; safe to re-run."""
    booked = (Order.objects.filter(customer_id=OuterRef("customer_id"),
                                   created_at__gt=OuterRef("visited_at"))
              .exclude(status=OrderStatus.CANCELLED).order_by("created_at", "pk"))
    walkouts = WalkOut.objects.filter(status=WalkOutStatus.FOLLOWING).filter(Exists(booked))
    if customer_ids is not None:
        customer_ids = list(customer_ids)
        walkouts = walkouts.filter(customer_id__in=customer_ids)
    with transaction.atomic():
        converted = walkouts.update(status=WalkOutStatus.CONVERTED,
                                    converted_order=Subquery(booked.values("pk")[:1]),
                                    closed_at=now, updated_at=now)
        if converted:
            walkouts_cancel_closed_followups(now=now, customer_ids=customer_ids)
    return converted


def walkouts_cancel_closed_followups(*, now: datetime, walkout_id: int | None = None,
                                     customer_ids: Iterable[int] | None = None) -> int:
    """Cancel the open calls of walk-outs no longer followed (converted or lost). One UPDATE."""
    tasks = (CallbackTask.objects.open()
             .filter(purpose=CallbackPurpose.WALKOUT, walkout__isnull=False)
             .exclude(walkout__status=WalkOutStatus.FOLLOWING))
    if walkout_id is not None:
        tasks = tasks.filter(walkout_id=walkout_id)
    if customer_ids is not None:
        tasks = tasks.filter(customer_id__in=customer_ids)
    return tasks.update(status=CallbackStatus.CANCELLED, completed_at=now)


def walkouts_sweep(*, now: datetime) -> int:
    """Beat: missing calls, conversions and the calls they leave over. Returns rows changed."""
    created = walkouts_sweep_followups(now=now)
    converted = walkouts_convert(now=now)
    cancelled = walkouts_cancel_closed_followups(now=now)
    return created + converted + cancelled


# --- Receivers (connected in CallbacksConfig.ready) --------------------------------------------

def on_walkout_recorded(sender, walkout_id: int, **kwargs) -> None:
    """frontdesk.signals.walkout_recorded: the week's calls at once (the sweep is the backstop)."""
    try:
        walkout_followups_create(walkout_id=walkout_id)
    except Exception:  # the walk-out is saved; walkouts_sweep creates its calls later
        logger.exception("walk-out %s follow-ups left to the sweep", walkout_id)


def on_walkout_closed(sender, walkout_id: int, **kwargs) -> None:
    """frontdesk.signals.walkout_closed (已成交/已流失 by hand): its open calls are cancelled."""
    try:
        walkouts_cancel_closed_followups(now=timezone.now(), walkout_id=walkout_id)
    except Exception:
        logger.exception("walk-out %s calls left to the sweep", walkout_id)


def _convert_after_commit(customer_id: int) -> None:
    try:
        walkouts_convert(now=timezone.now(), customer_ids=[customer_id])
    except Exception:
        logger.exception("walk-out conversion for customer %s left to the sweep", customer_id)


def on_order_saved(sender, instance: Order, created: bool, raw: bool = False, **kwargs) -> None:
    """A new order may convert the customer's walk-out: checked once the order is committed
    (orders.services.order_create sends no domain signal of its own)."""
    if created and not raw:
        transaction.on_commit(partial(_convert_after_commit, instance.customer_id))


def walkouts_connect_receivers() -> None:
    walkout_recorded.connect(on_walkout_recorded, dispatch_uid="callbacks.on_walkout_recorded")
    walkout_closed.connect(on_walkout_closed, dispatch_uid="callbacks.on_walkout_closed")
    post_save.connect(on_order_saved, sender=Order, dispatch_uid="callbacks.walkout_on_order")
