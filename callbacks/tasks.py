"""Thin tasks: ids in, one service call out. Beat runs the sweeps (DESIGN principle 1)."""
from celery import shared_task
from django.utils import timezone

from .services import (
    callbacks_create_for_stage,
    callbacks_follow_customers,
    callbacks_mark_overdue,
    callbacks_sweep_completed_stages,
)


@shared_task
def create_callback_for_stage_task(stage_id: int) -> int:
    return callbacks_create_for_stage(stage_id=stage_id)


@shared_task
def sweep_completed_stages_task() -> int:
    return callbacks_sweep_completed_stages(now=timezone.now())


@shared_task
def mark_overdue_callbacks_task() -> int:
    return callbacks_mark_overdue(now=timezone.now())


@shared_task
def repair_callback_owners_task() -> int:
    """Nightly: open callbacks that drifted from their customer's specialist go back to them."""
    return sum(callbacks_follow_customers().values())


@shared_task
def sweep_walkouts_task() -> int:
    from .walkouts import walkouts_sweep

    return walkouts_sweep(now=timezone.now())


@shared_task
def queue_reminders_task() -> dict[str, int]:
    """Beat, every evening: tomorrow's shoot and selection reminders (SMS and call tasks)."""
    from .reminders import reminders_queue_for_tomorrow

    return reminders_queue_for_tomorrow(now=timezone.now())


@shared_task
def queue_greetings_task() -> int:
    """Beat, daily: the greeting call a week before each shoot."""
    from .reminders import greetings_queue

    return greetings_queue(now=timezone.now())
