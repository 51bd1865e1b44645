"""Kernel tasks: a heartbeat that shows beat and worker are alive, and a ping for tests."""
import logging

from celery import shared_task
from django.utils import timezone

logger = logging.getLogger(__name__)


@shared_task
def heartbeat_task() -> str:
    """Log that the worker received beat's tick; the health page can show the last one."""
    now = timezone.now().isoformat()
    logger.info("celery heartbeat %s", now)
    return now


@shared_task
def ping_task(value: str) -> str:
    """Echo a value back: proves that a message went through the broker to a worker."""
    return f"pong:{value}"
