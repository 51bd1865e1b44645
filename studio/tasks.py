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


@shared_task(bind=True, max_retries=5)
def send_sms_task(self, message_id: int) -> None:
    from .sms import SmsSendError, sms_send

    try:
        sms_send(message_id=message_id)
    except SmsSendError as exc:
        raise self.retry(exc=exc, countdown=60 * (2 ** self.request.retries)) from exc


@shared_task
def resend_queued_sms_task() -> int:
    """Beat: send again what a lost message left queued (the outbox row is the truth)."""
    from .sms import sms_resend_queued

    ids = sms_resend_queued(now=timezone.now())
    for message_id in ids:
        send_sms_task.delay(message_id)
    return len(ids)


@shared_task
def run_export_task(job_id: int) -> int | None:
    """Write one export job's file (studio.exports); safe to run twice."""
    from .exports import export_job_run

    job = export_job_run(job_id)
    return job.done_rows if job is not None else None


@shared_task
def sweep_export_jobs_task() -> int:
    """Beat: send again the export jobs whose message was lost; fail the abandoned ones."""
    from .exports import export_jobs_sweep

    ids = export_jobs_sweep(now=timezone.now())
    for job_id in ids:
        run_export_task.delay(job_id)
    return len(ids)
