"""The Celery application: configured from Django settings (CELERY_* names)."""
import logging
import os
from datetime import UTC, datetime

from celery import Celery
from celery.signals import (
    before_task_publish,
    setup_logging,
    task_postrun,
    task_prerun,
    worker_ready,
)

from . import request_id

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "studio.settings")

app = Celery("studio")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


# --- Signals: the request id travels with each task (studio.request_id); beat's tick says when
# beat sent it and a starting worker stamps its heartbeat (studio.health, issue 18). -------------

HEARTBEAT_TASK = "studio.tasks.heartbeat_task"


@before_task_publish.connect(weak=False)
def _before_publish(sender=None, headers=None, **kwargs):
    request_id.on_before_task_publish(sender=sender, headers=headers, **kwargs)
    if sender == HEARTBEAT_TASK and headers is not None:  # in beat's process: its tick's time
        headers.setdefault("sent_at", datetime.now(UTC).isoformat())


@worker_ready.connect(weak=False)
def _worker_ready(**kwargs):
    try:
        from .health import worker_heartbeat

        worker_heartbeat()
    except Exception:  # the database may be down at start: the next tick stamps it
        logging.getLogger(__name__).warning("worker heartbeat not recorded", exc_info=True)


@setup_logging.connect(weak=False)
def _keep_django_logging(**kwargs):
    """Celery leaves logging alone: Django's LOGGING (with the request id) formats the worker's
    and beat's lines too."""


task_prerun.connect(request_id.on_task_prerun, weak=False)
task_postrun.connect(request_id.on_task_postrun, weak=False)
