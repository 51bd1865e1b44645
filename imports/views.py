"""Import customers from Excel: upload, the job's page (progress, then the preview to confirm,
then the result), and the sheet of rejected rows.

The upload's request only checks the file (size, zip directory: milliseconds) and keeps it as
an ImportJob; the worker parses and validates it, and imports it once confirmed
(imports.services). A job is its uploader's alone: anyone else gets 404 for it.
"""
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from staff.scoping import StoreField, scope_for, store_for
from studio.audit import client_ip
from studio.exports import XlsxColumn, xlsx_response
from studio.htmx import render_page_or_partial
from studio.models import ImportJob, ImportStatus

from .services import (
    COLUMNS,
    MAX_FILE_BYTES,
    MAX_ROWS,
    PREVIEW_ROWS,
    import_file_check,
    import_file_check_size,
    import_job_confirm,
    import_job_create,
    import_job_state,
    import_may_import_into,
    import_rejected_rows,
)

# --- the store -------------------------------------------------------------------------------

class ImportUploadForm(forms.Form):
    file = forms.FileField(label=gettext_lazy("Excel 文件（.xlsx）"), widget=forms.FileInput(attrs={
        "accept": ".xlsx,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}))
    # The store imported into (staff.scoping.store_for): one's own; a general manager picks one.
    store = StoreField(label=gettext_lazy("导入到门店"), required=True)

    def __init__(self, *args: Any, user, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if scope_for(user).all_stores:
            self.fields["store"].bind(user, writing=True)
            profile = getattr(user, "staff_profile", None)
            self.fields["store"].initial = profile.store_id if profile else None
        else:  # one's own store: nothing to choose
            del self.fields["store"]


def _filename(upload) -> str:
    return Path(upload.name or "").name[:100] or "import.xlsx"


def _own_job(request: HttpRequest, pk: int) -> ImportJob:
    # Only the uploader sees the job, its rows and its sheet (others: 404).
    return get_object_or_404(ImportJob.objects.select_related("store"), pk=pk, user=request.user)


# --- the views -------------------------------------------------------------------------------

@login_required
@permission_required("customers.import_customer", raise_exception=True)
def import_upload(request: HttpRequest) -> HttpResponse:
    """Upload a sheet: refused at once if it is not a plain .xlsx within the caps, else kept as a
    job that the worker previews while its page waits."""
    form = ImportUploadForm(request.POST or None, request.FILES or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        store = form.cleaned_data.get("store") or store_for(request.user, None, writing=True)
        upload = form.cleaned_data["file"]
        try:
            import_file_check_size(upload.size)  # before a byte is read
            data = upload.read()
            import_file_check(data)  # the zip's directory: milliseconds, nothing inflated
        except ValidationError as exc:
            form.add_error("file", exc)
        else:
            job = import_job_create(user=request.user, store=store, filename=_filename(upload),
                                    data=data, ip_address=client_ip(request),
                                    language=translation.get_language() or "")
            return redirect("imports:job", pk=job.pk)
    return render(request, "imports/import_upload.html", {
        "form": form, "columns": COLUMNS.values(), "max_mb": MAX_FILE_BYTES // 1024 // 1024,
        "max_rows": MAX_ROWS,
    })


@never_cache  # the job as it stands, asked for again every second while the worker has it
@login_required
@permission_required("customers.import_customer", raise_exception=True)
def import_job(request: HttpRequest, pk: int) -> HttpResponse:
    """The job: its progress while the worker has it (the page asks for the job again every
    second: htmx, answered with the page's job part alone), then the preview with each row's
    errors and the confirm button, then the result; or why it failed."""
    job = _own_job(request, pk)
    context: dict[str, Any] = {"job": job, "summary": job.summary}
    state = import_job_state(job) if job.status in (ImportStatus.READY, ImportStatus.DONE) else None
    if job.status == ImportStatus.READY and state is None:
        context["expired"] = True
    if state is not None:
        rejected = state["rejected"]
        context.update({
            "state": state,
            "valid_rows": [_display(row) for row in state["valid"]],
            "rejected_rows": rejected[:PREVIEW_ROWS],
            "more_valid": max(job.summary.get("valid", 0) - len(state["valid"]), 0),
            "more_rejected": max(len(rejected) - PREVIEW_ROWS, 0),
        })
    return render_page_or_partial(request, "imports/import_job.html", "job", context)


def _display(row: dict[str, Any]) -> dict[str, Any]:
    """A kept valid row with its dates and amounts as values again, for the list's filters."""
    return {**row,
            **{key: date.fromisoformat(row[key]) if row[key] else None
               for key in ("wedding_on", "child_birthday_on")},
            **{key: Decimal(row[key]) if row[key] else None for key in ("amount", "deposit")}}


@never_cache
@login_required
@require_GET
@permission_required("customers.import_customer", raise_exception=True)
def import_job_status(request: HttpRequest, pk: int) -> JsonResponse:
    """The job's status as JSON, for a script (the page itself polls import_job with htmx)."""
    job = _own_job(request, pk)
    return JsonResponse({"status": job.status, "status_label": job.get_status_display(),
                         "running": job.is_running, "error": job.error})


@login_required
@require_POST
@permission_required("customers.import_customer", raise_exception=True)
def import_confirm(request: HttpRequest, pk: int) -> HttpResponse:
    """Queue the import of the previewed valid rows, all or nothing. Confirming twice, or a job
    already on its way, shows the job; a page older than the preview shows the preview again."""
    job = _own_job(request, pk)
    if not import_may_import_into(request.user, job.store):
        raise PermissionDenied
    if job.status == ImportStatus.READY and not import_job_confirm(
            job=job, digest=request.POST.get("digest", "")):
        messages.warning(request, _("预览之后数据有变化（例如门店刚登记了其中的客户），请核对后重新确认。"))
    return redirect("imports:job", pk=job.pk)


@login_required
@require_GET
@permission_required("customers.import_customer", raise_exception=True)
def import_rejected(request: HttpRequest, pk: int) -> HttpResponse:
    """The rows that are (or were) not imported, each with its reason, as a sheet to fix and
    upload again. Written to the audit log as an export."""
    job = _own_job(request, pk)
    state = import_job_state(job) if job.status in (ImportStatus.READY, ImportStatus.DONE) else None
    if state is None:
        raise Http404
    columns = [XlsxColumn("行号", 6), *(XlsxColumn(header, 16 if key == "notes" else 12)
                                       for key, header in COLUMNS.items()), XlsxColumn("原因", 48)]
    return xlsx_response(
        request=request, filename=f"{_('未导入的行')}-{timezone.localdate():%Y%m%d}.xlsx",
        title=_("未导入的行"), columns=columns, rows=import_rejected_rows(state),
        store=job.store.name, lines=[_("导入文件：%(file)s") % {"file": job.filename}],
        audit_detail={"list": "customer_import_rejected", "source": job.filename,
                      "store": job.store_id})
