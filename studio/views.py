"""Kernel pages: the health check and the export jobs."""
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from .exports import XLSX_CONTENT_TYPE
from .health import broker_state, database_state, jobs_faults
from .htmx import render_page_or_partial
from .models import ExportJob, ExportStatus
from .pagination import paginate


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """The container's check: 200 while the database answers. The broker, beat's last sweep and
    the worker's last heartbeat are reported, not fatal (every deadline is a database row that
    beat sweeps: a jobs fault delays, loses nothing, and restarting web would not mend it);
    "faults" names them. /healthz/jobs is the monitoring check that fails on them."""
    database, broker = database_state(), broker_state()
    healthy = database == "ok"
    body = {"database": database, "broker": broker}
    faults = [] if healthy else [f"database: {database}"]
    if broker != "ok":
        faults.append(f"broker: {broker}")
    if healthy:
        jobs, report = jobs_faults(ping=False)
        body.update(report)
        faults += jobs
    body = {"status": "down" if not healthy else ("degraded" if faults else "ok"),
            "faults": faults, **body}
    return JsonResponse(body, status=200 if healthy else 503)


@never_cache
@require_GET
def healthz_jobs(request: HttpRequest) -> JsonResponse:
    """For monitoring, not the container: 503 with the fault named when beat has not swept for
    JOBS_STALE_AFTER (10 minutes) or no worker answers a ping, or the database is down."""
    database = database_state()
    if database != "ok":
        return JsonResponse({"status": "down", "faults": [f"database: {database}"],
                             "database": database}, status=503)
    faults, report = jobs_faults()
    return JsonResponse({"status": "down" if faults else "ok", "faults": faults, **report},
                        status=503 if faults else 200)


# ---- export jobs: the progress page of a large export and its download ------------------------

def _own_job(request: HttpRequest, pk: int) -> ExportJob:
    # Only the person who exported sees the job and takes its file (others: 404).
    return get_object_or_404(ExportJob, pk=pk, user=request.user)


@login_required
def export_jobs(request: HttpRequest) -> HttpResponse:
    """我的导出： the viewer's recent export jobs."""
    return render(request, "studio/export_jobs.html", {
        "page": paginate(request, ExportJob.objects.filter(user=request.user)),
        "keep_days": settings.EXPORT_KEEP_DAYS})


@never_cache  # its progress, asked for again every second
@login_required
def export_job(request: HttpRequest, pk: int) -> HttpResponse:
    """A large export's progress bar; the download link appears when the file is written. The
    page's card polls this URL with htmx while the worker has the job: it gets the card alone."""
    return render_page_or_partial(request, "studio/export_job.html", "job",
                                  {"job": _own_job(request, pk)})


@never_cache
@login_required
@require_GET
def export_job_status(request: HttpRequest, pk: int) -> JsonResponse:
    job = _own_job(request, pk)
    return JsonResponse({
        "status": job.status, "status_label": job.get_status_display(), "percent": job.percent,
        "done_rows": job.done_rows, "total_rows": job.total_rows, "error": job.error,
        "download_url": reverse("export_job_download", args=[job.pk]) if job.file else None,
    })


@login_required
@require_GET
def export_job_download(request: HttpRequest, pk: int) -> FileResponse:
    job = _own_job(request, pk)
    if job.status != ExportStatus.DONE or not job.file:
        raise Http404
    return FileResponse(job.file.open("rb"), as_attachment=True, filename=job.filename,
                        content_type=XLSX_CONTENT_TYPE)
