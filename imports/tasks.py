"""The worker's half of the customer import (imports.services): thin tasks, ids in.

Their hard time limits bound a worker taken by one job; the parsing itself runs in a child
process with its own memory and CPU caps. Each task claims its job with a conditional update,
so a message delivered twice does the work once; beat's sweep re-sends what was lost.
"""
from celery import shared_task
from django.utils import timezone

from studio.tasks import enqueue

from .services import (
    APPLY_TIME_LIMIT,
    PREVIEW_TIME_LIMIT,
    import_job_apply,
    import_job_preview,
    import_jobs_sweep,
)


@shared_task(time_limit=PREVIEW_TIME_LIMIT, soft_time_limit=PREVIEW_TIME_LIMIT - 10)
def import_preview_task(job_id: int) -> str | None:
    """Parse and validate an uploaded sheet; safe to run twice."""
    job = import_job_preview(job_id)
    return job.status if job is not None else None


@shared_task(time_limit=APPLY_TIME_LIMIT, soft_time_limit=APPLY_TIME_LIMIT - 10)
def import_apply_task(job_id: int) -> str | None:
    """Import a confirmed job's valid rows in one transaction; safe to run twice."""
    job = import_job_apply(job_id)
    return job.status if job is not None else None


@shared_task
def sweep_import_jobs_task() -> int:
    """Beat: send again the steps whose message was lost; fail the abandoned jobs; delete
    the files of a day ago."""
    to_preview, to_apply = import_jobs_sweep(now=timezone.now())
    for job_id in to_preview:
        enqueue(import_preview_task, job_id)
    for job_id in to_apply:
        enqueue(import_apply_task, job_id)
    return len(to_preview) + len(to_apply)
