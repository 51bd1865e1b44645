"""Kernel tasks: a heartbeat that shows beat and worker are alive, a ping for tests, and
`enqueue`, the one way code sends a task to the worker without waiting on a sick broker."""
import logging
import threading
import time
from typing import Any

from celery import shared_task
from django.utils import timezone

logger = logging.getLogger(__name__)

# A request waits at most about this long on the broker: one connect, one publish, no retries
# (the settings' pool retries a refused connection for ~6 s and a hung one for 3 s per try).
ENQUEUE_TIMEOUT = 1.0
# After a failure the broker is left alone for this long: a page or a sweep that queues many
# messages waits once, not once per message. The rows stay due; beat's sweeps send them later.
BROKER_BACKOFF = 30.0
_SHORT_OPTIONS = {"socket_timeout": ENQUEUE_TIMEOUT, "socket_connect_timeout": ENQUEUE_TIMEOUT,
                  "max_retries": 0}
_pools: dict[str, Any] = {}
_pools_lock = threading.Lock()
_broker_down_until = 0.0


def enqueue(task, *args: Any) -> bool:
    """Send `task(*args)` to the worker within ~ENQUEUE_TIMEOUT, or give up: False when the
    broker did not take it (logged). Never raises, so call it after the work is committed
    (`transaction.on_commit(partial(enqueue, task, pk))`) and let a sweep find what is left.
    No result is stored (callers never read one, and subscribing to it blocks on a hung Redis)."""
    global _broker_down_until
    app = task.app
    if app.conf.task_always_eager:  # tests, `CELERY_TASK_ALWAYS_EAGER`: run it here and now
        try:
            task.delay(*args)
        except Exception:
            logger.warning("%s%r failed; left to the sweep", task.name, args, exc_info=True)
            return False
        return True
    if time.monotonic() < _broker_down_until:
        logger.warning("broker down: %s%r left to the sweep", task.name, args)
        return False
    pool = _short_pool(app)
    try:
        with pool.acquire(block=True, timeout=ENQUEUE_TIMEOUT) as connection:
            task.apply_async(args, connection=connection, retry=False, ignore_result=True)
    except Exception:  # refused, timed out, pool exhausted: the row stays due for the sweep
        _broker_down_until = time.monotonic() + BROKER_BACKOFF
        _discard_pool(app)
        logger.warning("broker unavailable: %s%r left to the sweep", task.name, args,
                       exc_info=True)
        return False
    return True


def broker_backoff_reset() -> None:
    """Try the broker again at the next enqueue (tests; an operator after an outage)."""
    global _broker_down_until
    _broker_down_until = 0.0


def _broker_key(app) -> str:
    return app.conf.broker_write_url or app.conf.broker_url or ""


def _short_pool(app):
    """A connection pool like Celery's own, but with short socket timeouts and no retries."""
    key = _broker_key(app)
    with _pools_lock:
        if key not in _pools:
            connection = app.connection_for_write(transport_options=_SHORT_OPTIONS)
            _pools[key] = connection.Pool(limit=app.conf.broker_pool_limit or 10)
        return _pools[key]


def _discard_pool(app) -> None:
    with _pools_lock:
        pool = _pools.pop(_broker_key(app), None)
    if pool is not None:
        try:
            pool.force_close_all()
        except Exception:  # closing a dead connection may fail too; it is dropped either way
            logger.debug("closing the broker pool failed", exc_info=True)


@shared_task(bind=True, ignore_result=True)
def heartbeat_task(self) -> str:
    """Beat's tick, run by a worker: stamps "beat" (when beat sent it) and "worker" (when a worker
    ran it) in studio.Heartbeat, which /healthz shows and /healthz/jobs checks (studio.health)."""
    from .health import heartbeat_record
    from .request_id import message_header

    now = timezone.now()
    sent_at = heartbeat_record(sent=message_header(self.request, "sent_at"), now=now)
    logger.info("celery heartbeat: beat sent it at %s, run at %s", sent_at.isoformat(),
                now.isoformat())
    return now.isoformat()


@shared_task
def ping_task(value: str) -> str:
    """Echo a value back: proves that a message went through the broker to a worker."""
    return f"pong:{value}"


@shared_task(ignore_result=True)
def send_sms_task(message_id: int) -> None:
    """Send one outbox row (studio.sms.sms_send); a gateway error leaves it for the sweep."""
    from .sms import sms_send

    sms_send(message_id=message_id)


@shared_task
def poll_sms_receipts_task() -> int:
    """Beat: ask the gateway for the delivery reports its callbacks have not brought."""
    from .sms import sms_poll_receipts

    return sms_poll_receipts(now=timezone.now())


@shared_task
def resend_queued_sms_task() -> int:
    """Beat: send what is due — held for quiet hours and now allowed, or left queued by a lost
    message (the outbox row is the truth)."""
    from .sms import sms_resend_queued

    ids = sms_resend_queued(now=timezone.now())
    for message_id in ids:
        enqueue(send_sms_task, message_id)
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
        enqueue(run_export_task, job_id)
    return len(ids)


@shared_task
def backup_task() -> str:
    """Beat, nightly: back up the database and the media files (studio.backup), then delete the
    backups older than settings.BACKUP_KEEP_DAYS. Returns the new backup's folder."""
    from .backup import backup_create, backups_prune

    backup = backup_create()
    for path in backups_prune(now=timezone.now()):
        logger.info("old backup deleted: %s", path)
    logger.info("backup written: %s", backup.path)
    return str(backup.path)
