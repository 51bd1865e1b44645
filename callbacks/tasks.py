"""Thin tasks: ids in, one service call out. Beat runs the sweeps (DESIGN principle 1)."""
from celery import shared_task
from django.utils import timezone

from .services import (
    callbacks_create_for_stage,
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
