"""Thin tasks: beat calls them; the work is in orders.services."""
from celery import shared_task
from django.utils import timezone

from .services import late_stages_find, stages_follow_customers


@shared_task
def find_late_stages_task() -> int:
    return late_stages_find(now=timezone.now())


@shared_task
def repair_stage_specialists_task() -> int:
    """Nightly: any stage whose copy of its customer's specialist drifted is put right."""
    return stages_follow_customers()
