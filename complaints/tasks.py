"""Thin tasks: beat escalates late complaint steps."""
from celery import shared_task
from django.utils import timezone

from .services import complaints_escalate


@shared_task
def escalate_late_complaints_task() -> int:
    return complaints_escalate(now=timezone.now())
