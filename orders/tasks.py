"""Thin tasks: beat calls them; the work is in orders.services."""
from celery import shared_task
from django.utils import timezone

from .services import late_stages_find


@shared_task
def find_late_stages_task() -> int:
    return late_stages_find(now=timezone.now())
