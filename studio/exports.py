"""The one Excel export mechanism: openpyxl write-only mode, formula injection neutralised.

A list registers an exporter (`register_export`) that builds its columns and rows from the
user and the list's filters; `export_list` writes the sheet at once (frozen header, widths,
number and date formats, audited) or, above EXPORT_BACKGROUND_ROWS rows, queues an ExportJob
that the worker writes while the page shows its progress. A report of several tables (a summary
to file) hands over its sections to `xlsx_report_response` instead.
"""
import logging
import tempfile
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from functools import partial
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.files import File
from django.db import transaction
from django.db.models import QuerySet
from django.http import FileResponse, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from .audit import audit_log, audit_record, client_ip
from .models import AuditAction, ExportJob, ExportStatus

logger = logging.getLogger(__name__)

# A cell that a spreadsheet would read as a formula or a command (CWE-1236).
_DANGEROUS_START = ("=", "+", "-", "@", "\t", "\r", "\x00")
MONEY_FORMAT = '"¥"#,##0.00'
DATETIME_FORMAT = "yyyy-mm-dd hh:mm"
DATE_FORMAT = "yyyy-mm-dd"
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PROGRESS_EVERY = 1000  # rows between two progress reports of an export job
EXPORT_CHUNK = 2000  # rows read from the database at a time


@dataclass(frozen=True)
class XlsxColumn:
    header: str
    width: int = 14


def neutralise(value: Any) -> Any:
    """Prefix text that a spreadsheet would execute with a quote; other values pass."""
    if isinstance(value, str) and value.startswith(_DANGEROUS_START):
        return "'" + value
    return value


def _cell(sheet, value: Any) -> Any:
    """The value as the sheet should hold it: dates, times and money as cells with a number
    format, text neutralised; plain values go as they are (a cell object costs time per cell)."""
    if isinstance(value, datetime):
        value = timezone.localtime(value).replace(tzinfo=None) if timezone.is_aware(value) else value
        cell = WriteOnlyCell(sheet, value=value)
        cell.number_format = DATETIME_FORMAT
    elif isinstance(value, date):
        cell = WriteOnlyCell(sheet, value=value)
        cell.number_format = DATE_FORMAT
    elif isinstance(value, Decimal):
        cell = WriteOnlyCell(sheet, value=value)
        cell.number_format = MONEY_FORMAT
    elif isinstance(value, bool):
        return "是" if value else "否"
    elif value is None:
        return None
    elif isinstance(value, str):
        return neutralise(value)
    elif isinstance(value, (int, float)):
        return value
    else:
        return neutralise(str(value))
    return cell


def xlsx_response(
    *, request: HttpRequest, filename: str, title: str, columns: Sequence[XlsxColumn],
    rows: Iterable[Sequence[Any]], audit_detail: dict[str, Any] | None = None,
) -> FileResponse:
    """Write `rows` under `columns` into an .xlsx download and audit the export."""
    workbook = Workbook(write_only=True)
    count = _write_list(workbook, title=title, columns=columns, rows=rows)
    return _download(request=request, workbook=workbook, filename=filename, rows=count,
                     audit_detail=audit_detail)


def _write_list(workbook: Workbook, *, title: str, columns: Sequence[XlsxColumn],
                rows: Iterable[Sequence[Any]],
                on_progress: Callable[[int], None] | None = None) -> int:
    """One sheet: bold frozen header, column widths, then the rows; returns the row count.
    Write-only mode keeps only the current row in memory, whatever the number of rows."""
    sheet = workbook.create_sheet(title=title[:31])
    sheet.freeze_panes = "A2"
    for i, column in enumerate(columns, start=1):
        sheet.column_dimensions[get_column_letter(i)].width = column.width
    sheet.append([_bold(sheet, str(column.header)) for column in columns])
    count = 0
    for row in rows:
        sheet.append([_cell(sheet, value) for value in row])
        count += 1
        if on_progress is not None and count % PROGRESS_EVERY == 0:
            on_progress(count)
    return count


# ---- list exports: built from (user, filters) alone, so a page and a worker write the same rows

@dataclass(frozen=True)
class ListExport:
    """What a list hands to the export mechanism. `queryset` is already scoped to the user and
    filtered; `row` turns one of its objects into the values under `columns`."""

    filename: str
    title: str
    columns: Sequence[XlsxColumn]
    queryset: QuerySet
    row: Callable[[Any], Sequence[Any]]
    detail: dict[str, Any] = field(default_factory=dict)
    # Called with each chunk of objects before their rows are written: one query per chunk for
    # what a join would cost too much to plan (e.g. the people on a stage row).
    prepare: Callable[[list], Any] | None = None

    def rows(self) -> Iterator[Sequence[Any]]:
        chunk: list = []
        for obj in self.queryset.iterator(chunk_size=EXPORT_CHUNK):
            chunk.append(obj)
            if len(chunk) == EXPORT_CHUNK:
                yield from self._rows_of(chunk)
                chunk = []
        yield from self._rows_of(chunk)

    def _rows_of(self, chunk: list) -> Iterator[Sequence[Any]]:
        if chunk and self.prepare is not None:
            self.prepare(chunk)
        return (self.row(obj) for obj in chunk)


Exporter = Callable[[Any, QueryDict], ListExport]
_EXPORTERS: dict[str, Exporter] = {}


def register_export(name: str) -> Callable[[Exporter], Exporter]:
    """Register a list's exporter, `exporter(user, params) -> ListExport`, under `name`. It
    checks the user's permission itself (PermissionDenied), so a job re-checks it when it runs.
    Apps keep their exporters in `<app>/exports.py`, imported when the apps are ready."""

    def decorate(exporter: Exporter) -> Exporter:
        _EXPORTERS[name] = exporter
        return exporter

    return decorate


def export_list(request: HttpRequest, name: str) -> HttpResponse:
    """The export button of a list (`?export=xlsx` with the list's filters): the file at once
    up to EXPORT_BACKGROUND_ROWS rows, above that a job for the worker and its progress page."""
    params = _export_params(request.GET)
    export = _EXPORTERS[name](request.user, params)
    total = export.queryset.count()
    if total <= settings.EXPORT_BACKGROUND_ROWS:
        return xlsx_response(request=request, filename=export.filename, title=export.title,
                             columns=export.columns, rows=export.rows(),
                             audit_detail={"list": name, "filters": params.dict(), **export.detail})
    job = ExportJob.objects.create(
        user=request.user, exporter=name, params=dict(params.lists()), title=export.title,
        filename=export.filename, total_rows=total, ip_address=client_ip(request),
        language=translation.get_language() or "")
    transaction.on_commit(partial(export_job_enqueue, job.pk))
    return redirect("export_job", pk=job.pk)


def export_job_enqueue(job_id: int) -> None:
    """Hand the job to the worker; with the broker down it stays queued for the sweep."""
    from .tasks import enqueue, run_export_task

    enqueue(run_export_task, job_id)  # broker down or hung: export_jobs_sweep sends it again


def export_job_run(job_id: int) -> ExportJob | None:
    """The worker's half: claim the queued job (a redelivered message finds it taken and does
    nothing), rebuild the list for its owner, write the file, report progress as it goes."""
    claimed = ExportJob.objects.filter(pk=job_id, status=ExportStatus.QUEUED).update(
        status=ExportStatus.RUNNING, started_at=timezone.now())
    if not claimed:
        return None
    job = ExportJob.objects.select_related("user").get(pk=job_id)
    try:
        if not job.user.is_active:
            raise PermissionDenied
        with translation.override(job.language or settings.LANGUAGE_CODE):
            export = _EXPORTERS[job.exporter](job.user, _querydict(job.params))
            with tempfile.TemporaryFile() as spool:
                workbook = Workbook(write_only=True)
                rows = _write_list(workbook, title=export.title, columns=export.columns,
                                   rows=export.rows(), on_progress=partial(_progress, job.pk))
                workbook.save(spool)
                spool.seek(0)
                job.file.save(f"{uuid.uuid4().hex}.xlsx", File(spool), save=False)
    except PermissionDenied:
        return _job_failed(job, _("导出人已无导出权限。"))
    except Exception:
        logger.exception("export job %s failed", job_id)
        return _job_failed(job, _("导出失败，请稍后重试或联系管理员。"))
    job.status, job.done_rows, job.finished_at = ExportStatus.DONE, rows, timezone.now()
    job.total_rows = max(job.total_rows, rows)
    job.save(update_fields=["status", "done_rows", "total_rows", "finished_at", "file"])
    audit_log(actor=job.user, action=AuditAction.EXPORT, obj=job, ip_address=job.ip_address,
              detail={"file": job.filename, "rows": rows, "list": job.exporter,
                      "filters": job.params, **export.detail})
    return job


def export_jobs_sweep(*, now: datetime) -> list[int]:
    """Beat: jobs still queued after a minute lost their message (send them again); jobs
    running for an hour lost their worker (fail them); files older than EXPORT_KEEP_DAYS go."""
    ExportJob.objects.filter(
        status=ExportStatus.RUNNING, started_at__lt=now - timedelta(hours=1)
    ).update(status=ExportStatus.FAILED, error=_("导出中断，请重新导出。"), finished_at=now)
    for job in ExportJob.objects.filter(
            status=ExportStatus.DONE, finished_at__lt=now - timedelta(days=settings.EXPORT_KEEP_DAYS)
    ).exclude(file=""):
        job.file.delete(save=False)
        ExportJob.objects.filter(pk=job.pk).update(file="")
    return list(ExportJob.objects.filter(
        status=ExportStatus.QUEUED, created_at__lt=now - timedelta(minutes=1)
    ).values_list("pk", flat=True))


def export_to_file(*, name: str, user, params: dict[str, Any], path) -> int:
    """Write the list export `name` for `user` straight to `path` (benchmarks, scripts)."""
    export = _EXPORTERS[name](user, _querydict(params))
    workbook = Workbook(write_only=True)
    rows = _write_list(workbook, title=export.title, columns=export.columns, rows=export.rows())
    workbook.save(path)
    return rows


def _progress(job_id: int, rows: int) -> None:
    ExportJob.objects.filter(pk=job_id).update(done_rows=rows)


def _job_failed(job: ExportJob, error: str) -> ExportJob:
    job.status, job.error, job.finished_at = ExportStatus.FAILED, str(error)[:200], timezone.now()
    job.save(update_fields=["status", "error", "finished_at"])
    return job


def _export_params(get: QueryDict) -> QueryDict:
    """The list's filters without the button and the page number."""
    params = get.copy()
    for key in ("export", "page"):
        params.pop(key, None)
    return params


def _querydict(params: dict[str, Any]) -> QueryDict:
    query = QueryDict(mutable=True)
    for key, values in params.items():
        query.setlist(key, [str(v) for v in (values if isinstance(values, list) else [values])])
    return query


@dataclass(frozen=True)
class XlsxSection:
    """One table of a report: a bold title line, a bold header, then its rows."""

    title: str
    columns: Sequence[XlsxColumn]
    rows: Sequence[Sequence[Any]]


def xlsx_report_response(
    *, request: HttpRequest, filename: str, title: str, sections: Sequence[XlsxSection],
    lines: Sequence[str] = (), audit_detail: dict[str, Any] | None = None,
) -> FileResponse:
    """A report on one sheet: the title, `lines` under it (period, store...), then each section
    with a blank row between; column widths fit the widest section. Audited like a list."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=title[:31])
    widths: dict[int, int] = {}
    for section in sections:
        for i, column in enumerate(section.columns, start=1):
            widths[i] = max(widths.get(i, 0), column.width)
    for i, width in widths.items():
        sheet.column_dimensions[get_column_letter(i)].width = width
    sheet.append([_bold(sheet, title, size=14)])
    for line in lines:
        sheet.append([_cell(sheet, line)])
    count = 0
    for section in sections:
        sheet.append([])
        sheet.append([_bold(sheet, section.title)])
        sheet.append([_bold(sheet, column.header) for column in section.columns])
        for row in section.rows:
            sheet.append([_cell(sheet, value) for value in row])
            count += 1
    return _download(request=request, workbook=workbook, filename=filename, rows=count,
                     audit_detail=audit_detail)


def _bold(sheet, value: Any, size: int | None = None) -> WriteOnlyCell:
    cell = WriteOnlyCell(sheet, value=neutralise(str(value)))
    cell.font = Font(bold=True, size=size)
    return cell


def _download(*, request: HttpRequest, workbook: Workbook, filename: str, rows: int,
              audit_detail: dict[str, Any] | None) -> FileResponse:
    spool = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)
    workbook.save(spool)
    spool.seek(0)
    audit_record(request=request, action=AuditAction.EXPORT,
                 detail={"file": filename, "rows": rows, **(audit_detail or {})})
    return FileResponse(spool, as_attachment=True, filename=filename,
                        content_type=XLSX_CONTENT_TYPE)
