"""Thin tasks: a delivery sent, and beat's sweep of what is due (the row is the truth)."""
from celery import shared_task
from django.utils import timezone

from studio.tasks import enqueue


@shared_task(ignore_result=True)
def deliver_webhook_task(delivery_id: int) -> None:
    """Send one delivery; its retries are rows swept by beat, never a Celery countdown."""
    from .services import webhook_deliver

    webhook_deliver(delivery_id=delivery_id)


@shared_task
def sweep_webhooks_task() -> int:
    """Beat: send the deliveries that are due (lost messages, retries, run-out leases)."""
    from .services import webhooks_due

    ids = webhooks_due(now=timezone.now())
    for delivery_id in ids:
        enqueue(deliver_webhook_task, delivery_id)
    return len(ids)
