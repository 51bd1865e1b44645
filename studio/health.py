"""Health of the database and the Celery broker, each checked with a short timeout, and of the
jobs: beat's last tick and the worker that ran it (studio.Heartbeat rows), and a worker ping."""
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import DatabaseError, connection
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from .celery import app as celery_app

BEAT, WORKER = "beat", "worker"
# Beat ticks every HEARTBEAT_SECONDS (CELERY_BEAT_SCHEDULE["heartbeat"]); no tick for this long
# and /healthz/jobs fails.
JOBS_STALE_AFTER = timedelta(minutes=10)


def database_state() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # any driver error means the database is not usable
        return f"error: {exc.__class__.__name__}"
    return "ok"


def broker_state(timeout: float = 2.0) -> str:
    try:
        # The URL is read at each call, so the check follows the settings in force.
        with celery_app.connection_for_write(url=settings.CELERY_BROKER_URL) as conn:
            conn.ensure_connection(max_retries=1, interval_start=0, interval_step=0,
                                   interval_max=0, timeout=timeout)
    except Exception as exc:  # connection refused, timeout, bad URL: all mean "down"
        return f"error: {exc.__class__.__name__}"
    return "ok"


def heartbeat_record(*, sent: Any = None, now: datetime | None = None) -> datetime:
    """Stamp beat's tick (when beat sent it: the message's `sent_at` header, see studio.celery)
    and the worker that ran it (now). Returns the tick's time."""
    now = now or timezone.now()
    sent_at = (parse_datetime(sent) if isinstance(sent, str) else sent) or now
    if timezone.is_naive(sent_at):
        sent_at = timezone.make_aware(sent_at, timezone.get_current_timezone())
    _stamp(BEAT, min(sent_at, now))
    _stamp(WORKER, now)
    return sent_at


def worker_heartbeat(now: datetime | None = None) -> None:
    """A worker started (celery's worker_ready): its heartbeat before the first tick."""
    _stamp(WORKER, now or timezone.now())


def _stamp(name: str, at: datetime) -> None:
    """The row's time moves forward only: ticks run late or out of order never set it back."""
    from .models import Heartbeat

    if not Heartbeat.objects.filter(name=name, at__lt=at).update(at=at):
        Heartbeat.objects.get_or_create(name=name, defaults={"at": at})


def heartbeats_state(now: datetime | None = None) -> dict[str, dict[str, Any]]:
    """{"beat": {"at": iso or None, "age_seconds": n, "state": "ok" | "stale" | "never"}, ...}:
    beat's last tick and the worker's last heartbeat, as the database has them."""
    from .models import Heartbeat

    now = now or timezone.now()
    rows = dict(Heartbeat.objects.filter(name__in=(BEAT, WORKER)).values_list("name", "at"))
    state = {}
    for name in (BEAT, WORKER):
        at = rows.get(name)
        if at is None:
            state[name] = {"at": None, "age_seconds": None, "state": "never"}
            continue
        age = now - at
        state[name] = {"at": timezone.localtime(at).isoformat(timespec="seconds"),
                       "age_seconds": max(int(age.total_seconds()), 0),
                       "state": "stale" if age > JOBS_STALE_AFTER else "ok"}
    return state


def workers_answering(timeout: float = 1.0) -> list[str]:
    """The names of the workers that answer a ping through the broker within `timeout`; [] when
    none does or the broker is down."""
    try:
        replies = celery_app.control.ping(timeout=timeout) or []
    except Exception:  # broker down, control not supported: no worker can be reached
        return []
    return sorted(name for reply in replies for name in reply)


def jobs_faults(now: datetime | None = None, *, ping: bool = True) -> tuple[list[str], dict]:
    """What is wrong with the background jobs, named for an operator, and the figures behind it.
    Beat's last tick older than JOBS_STALE_AFTER (or none): beat is stopped, or no worker runs
    its ticks; no worker answering a ping: the worker is down."""
    try:
        beats = heartbeats_state(now)
    except DatabaseError as exc:  # e.g. before `migrate` made the table: say so, do not crash
        return [f"heartbeats: error: {exc.__class__.__name__}"], {}
    report: dict[str, Any] = {"beat_last_sweep": beats[BEAT], "worker_last_heartbeat": beats[WORKER]}
    faults = []
    if ping:
        workers = workers_answering()
        report["workers"] = workers
        if not workers:
            faults.append("no worker answers")
    if beats[BEAT]["state"] != "ok":
        minutes = int(JOBS_STALE_AFTER.total_seconds() // 60)
        faults.append("beat has never swept" if beats[BEAT]["state"] == "never"
                      else f"beat has not swept for {minutes} minutes")
    return faults, report
