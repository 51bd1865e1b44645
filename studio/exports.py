"""The one Excel export mechanism: openpyxl write-only mode, formula injection neutralised.

A list registers an exporter (`register_export`) that builds its columns and rows from the
user and the list's filters; `export_list` writes the sheet at once (frozen header, widths,
number and date formats, audited) or, above EXPORT_BACKGROUND_ROWS rows, queues an ExportJob
that the worker writes while the page shows its progress. A report of several tables (a summary
to file) hands over its sections to `xlsx_report_response` instead: a sheet per table, so that
a wide text column of one table does not widen another's figures.

Every sheet prints like the studio's paper forms (issue 17 item 19): A4, landscape when its
columns do not fit across portrait, one page wide, the header row repeated on every page, the
report's name and 第 N 页 / 共 M 页 in the footer, the title, 门店, 期间 and 打印时间 above the
table, percentages as percentages and one font in every cell.
"""
import logging
import tempfile
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from copy import copy
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
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.utils.indexed_list import IndexedList
from openpyxl.worksheet.properties import PageSetupProperties
from openpyxl.worksheet.worksheet import Worksheet

from .audit import audit_log, audit_record, client_ip
from .models import AuditAction, ExportJob, ExportStatus

logger = logging.getLogger(__name__)

# A cell that a spreadsheet would read as a formula or a command (CWE-1236).
_DANGEROUS_START = ("=", "+", "-", "@", "\t", "\r", "\x00")
MONEY_FORMAT = '"¥"#,##0.00'
DATETIME_FORMAT = "yyyy-mm-dd hh:mm"
DATE_FORMAT = "yyyy-mm-dd"
PERCENT_FORMAT = "0.0%"
# One font for every cell, headers and digits included: Office's Chinese default since 2016
# (WPS has it too). A cell without a font name of its own falls back to the application's
# default, which in LibreOffice drew the digits of the headers in a serif face.
FONT_NAME = "等线"
BODY_FONT = Font(name=FONT_NAME, size=11)
# Column-width units (characters) that fit across portrait A4 inside the default margins
# (0.75 in each side: 6.77 in ≈ 90 characters of the body font); wider sheets print landscape.
PORTRAIT_WIDTH = 90
PAGE_NUMBERS = "第 &P 页 / 共 &N 页"
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PROGRESS_EVERY = 1000  # rows between two progress reports of an export job
EXPORT_CHUNK = 2000  # rows read from the database at a time


@dataclass(frozen=True)
class XlsxColumn:
    header: str
    width: int = 14
    percent: bool = False  # its numbers are percentage points (85.3), shown as 85.3%


@dataclass(frozen=True)
class Percent:
    """One figure in percentage points (85.3) that the sheet shows as 85.3%, for a column that
    holds other figures too (a report's 指标 / 数值 table); None is an empty cell."""

    value: float | Decimal | None


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
    elif isinstance(value, Percent):
        if value.value is None:
            return None
        # Rounded so that 85.3 is stored as 0.853, not 0.8530000000000001.
        cell = WriteOnlyCell(sheet, value=round(float(value.value) / 100, 6))
        cell.number_format = PERCENT_FORMAT
    else:
        return neutralise(str(value))
    return cell


def _percent_at(columns: Sequence[XlsxColumn]) -> frozenset[int]:
    return frozenset(i for i, column in enumerate(columns) if column.percent)


def _cells(sheet, row: Sequence[Any], percent_at: frozenset[int]) -> list[Any]:
    """A row's cells; the numbers of a percent column become Percent first."""
    if not percent_at:
        return [_cell(sheet, value) for value in row]
    return [_cell(sheet, Percent(value) if i in percent_at and isinstance(value, (int, float, Decimal))
                  and not isinstance(value, bool) else value) for i, value in enumerate(row)]


class _Workbook(Workbook):
    """A write-only workbook whose default font (font 0, which every cell without a font of its
    own uses, and the Normal style's) is BODY_FONT rather than Calibri."""

    def __init__(self) -> None:
        super().__init__(write_only=True)

    def _setup_styles(self) -> None:
        super()._setup_styles()
        self._fonts = IndexedList([copy(BODY_FONT)])
        self._named_styles["Normal"].font = copy(BODY_FONT)


# ---- the page: heading rows, page setup and footer, shared by lists and reports

# The store line of a list whose exporter names no store: staff registers the resolver
# (user, the list's filters) -> store name, "全部门店", or "" (the kernel knows no app).
_store_label: Callable[[Any, QueryDict], str] | None = None


def register_store_label(resolver: Callable[[Any, QueryDict], str]) -> None:
    global _store_label
    _store_label = resolver


def _store_line(user, params: QueryDict, store: str | None) -> list[str]:
    if store is None and _store_label is not None:
        store = _store_label(user, params)
    return [_("门店：%(store)s") % {"store": store}] if store else []


def _period_lines(params: QueryDict) -> list[str]:
    """期间 from a list's date filters: start/end, or any <date>_from/<date>_to pair."""
    pairs = [("start", "end")] + [(key, key[:-5] + "_to") for key in params if key.endswith("_from")]
    lines = []
    for first_key, last_key in pairs:
        first, last = (_day_param(params, first_key), _day_param(params, last_key))
        if first and last:
            lines.append(_("期间：%(start)s 至 %(end)s") % {"start": first, "end": last})
        elif first:
            lines.append(_("期间：%(start)s 起") % {"start": first})
        elif last:
            lines.append(_("期间：至 %(end)s") % {"end": last})
    return lines


def _day_param(params: QueryDict, key: str) -> str:
    try:
        day = parse_date((params.get(key) or "").strip())
    except ValueError:
        return ""
    return day.isoformat() if day else ""


def _sheet_name(name: str, taken: set[str] | None = None) -> str:
    """A legal, unique sheet name: no []:*?/\\, at most 31 characters."""
    base = "".join("-" if ch in "[]:*?/\\" else ch for ch in str(name)).strip("'")[:31] or "Sheet"
    name, n = base, 2
    while taken is not None and name in taken:
        suffix = f" ({n})"
        name, n = base[:31 - len(suffix)] + suffix, n + 1
    if taken is not None:
        taken.add(name)
    return name


def _start_sheet(workbook: Workbook, *, name: str, title: str, columns: Sequence[XlsxColumn],
                 lines: Sequence[str], subtitle: str = "", footer: str = "") -> Any:
    """A sheet set up to print, its heading rows and its bold header row written: A4,
    landscape when the columns are wider than portrait, one page wide and as long as it takes,
    the header row on every page, the report's name and the page numbers in the footer."""
    sheet = workbook.create_sheet(title=name)
    setup = sheet.page_setup
    setup.paperSize = Worksheet.PAPERSIZE_A4
    setup.orientation = (Worksheet.ORIENTATION_LANDSCAPE
                         if sum(c.width for c in columns) > PORTRAIT_WIDTH
                         else Worksheet.ORIENTATION_PORTRAIT)
    setup.fitToWidth, setup.fitToHeight = 1, 0  # 0: as many pages down as the rows need
    sheet.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    footer_ = sheet.HeaderFooter.oddFooter
    # & starts a footer code (&P, &N): a name's own & is written twice.
    footer_.left.text = (footer or title).replace("&", "&&")
    footer_.left.font = FONT_NAME
    footer_.right.text, footer_.right.font = PAGE_NUMBERS, FONT_NAME
    for i, column in enumerate(columns, start=1):
        sheet.column_dimensions[get_column_letter(i)].width = column.width
    heading = [[_bold(sheet, title, size=14)]]
    if subtitle:
        heading.append([_bold(sheet, subtitle, size=12)])
    heading += [[_cell(sheet, line)] for line in lines]
    heading.append([_cell(sheet, _("打印时间：%(at)s") % {
        "at": timezone.localtime().strftime("%Y-%m-%d %H:%M")})])
    header_row = len(heading) + 1
    sheet.freeze_panes = f"A{header_row + 1}"
    sheet.print_title_rows = f"{header_row}:{header_row}"
    for row in heading:
        sheet.append(row)
    sheet.append([_bold(sheet, str(column.header)) for column in columns])
    return sheet


def xlsx_response(
    *, request: HttpRequest, filename: str, title: str, columns: Sequence[XlsxColumn],
    rows: Iterable[Sequence[Any]], audit_detail: dict[str, Any] | None = None,
    store: str | None = None, lines: Sequence[str] = (),
) -> FileResponse:
    """Write `rows` under `columns` into an .xlsx download and audit the export. Above the
    table: the title, 门店 (`store`, else the one the request's filters are for), `lines`
    (期间...) and 打印时间."""
    workbook = _Workbook()
    lines = [*_store_line(request.user, request.GET, store), *_period_lines(request.GET), *lines]
    count = _write_list(workbook, title=title, columns=columns, rows=rows, lines=lines)
    return _download(request=request, workbook=workbook, filename=filename, rows=count,
                     audit_detail=audit_detail)


def _write_list(workbook: Workbook, *, title: str, columns: Sequence[XlsxColumn],
                rows: Iterable[Sequence[Any]], lines: Sequence[str] = (),
                on_progress: Callable[[int], None] | None = None) -> int:
    """One sheet: the heading rows, the bold frozen header, column widths, then the rows;
    returns the row count. Write-only mode keeps only the current row in memory, whatever the
    number of rows."""
    sheet = _start_sheet(workbook, name=_sheet_name(title), title=str(title), columns=columns,
                         lines=lines)
    percent_at = _percent_at(columns)
    count = 0
    for row in rows:
        sheet.append(_cells(sheet, row, percent_at))
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
    # Above the table: 门店 (None: the store the filters are for, see register_store_label) and
    # any lines of the exporter's own (期间 is read from the filters' dates).
    store: str | None = None
    lines: Sequence[str] = ()

    def heading(self, user, params: QueryDict) -> list[str]:
        return [*_store_line(user, params, self.store), *_period_lines(params), *self.lines]

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
        workbook = _Workbook()
        count = _write_list(workbook, title=export.title, columns=export.columns,
                            rows=export.rows(), lines=export.heading(request.user, params))
        return _download(request=request, workbook=workbook, filename=export.filename, rows=count,
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
            params = _querydict(job.params)
            export = _EXPORTERS[job.exporter](job.user, params)
            with tempfile.TemporaryFile() as spool:
                workbook = _Workbook()
                rows = _write_list(workbook, title=export.title, columns=export.columns,
                                   rows=export.rows(), lines=export.heading(job.user, params),
                                   on_progress=partial(_progress, job.pk))
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
    query = _querydict(params)
    export = _EXPORTERS[name](user, query)
    workbook = _Workbook()
    rows = _write_list(workbook, title=export.title, columns=export.columns, rows=export.rows(),
                       lines=export.heading(user, query))
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
    """One table of a report, on a sheet of its own: the report's heading, the table's title,
    a bold header, then its rows."""

    title: str
    columns: Sequence[XlsxColumn]
    rows: Sequence[Sequence[Any]]


def xlsx_report_response(
    *, request: HttpRequest, filename: str, title: str, sections: Sequence[XlsxSection],
    lines: Sequence[str] = (), audit_detail: dict[str, Any] | None = None,
) -> FileResponse:
    """A report, a sheet per section named after it: on each, the title, the section's title,
    `lines` (period, store...) and 打印时间, then the table; each sheet has its own column
    widths and prints on its own pages, the report's and section's names in the footer.
    Audited like a list."""
    workbook = _Workbook()
    taken: set[str] = set()
    count = 0
    for section in sections:
        sheet = _start_sheet(
            workbook, name=_sheet_name(section.title, taken), title=str(title),
            subtitle=str(section.title), columns=section.columns, lines=lines,
            footer=f"{title} · {section.title}")
        percent_at = _percent_at(section.columns)
        for row in section.rows:
            sheet.append(_cells(sheet, row, percent_at))
            count += 1
    return _download(request=request, workbook=workbook, filename=filename, rows=count,
                     audit_detail=audit_detail)


def _bold(sheet, value: Any, size: int = 11) -> WriteOnlyCell:
    cell = WriteOnlyCell(sheet, value=neutralise(str(value)))
    cell.font = Font(name=FONT_NAME, bold=True, size=size)
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
