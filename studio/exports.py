"""The one Excel export mechanism: openpyxl write-only mode, formula injection neutralised.

A list hands over its columns and rows; this module writes the sheet (frozen header, widths,
number and date formats), records the export in the audit log and returns the download. A
report of several tables (a summary to file) hands over its sections instead.
"""
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.http import FileResponse, HttpRequest
from django.utils import timezone
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from .audit import audit_record
from .models import AuditAction

# A cell that a spreadsheet would read as a formula or a command (CWE-1236).
_DANGEROUS_START = ("=", "+", "-", "@", "\t", "\r", "\x00")
MONEY_FORMAT = '"¥"#,##0.00'
DATETIME_FORMAT = "yyyy-mm-dd hh:mm"
DATE_FORMAT = "yyyy-mm-dd"


@dataclass(frozen=True)
class XlsxColumn:
    header: str
    width: int = 14


def neutralise(value: Any) -> Any:
    """Prefix text that a spreadsheet would execute with a quote; other values pass."""
    if isinstance(value, str) and value.startswith(_DANGEROUS_START):
        return "'" + value
    return value


def _cell(sheet, value: Any) -> WriteOnlyCell:
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
        cell = WriteOnlyCell(sheet, value="是" if value else "否")
    else:
        cell = WriteOnlyCell(sheet, value=neutralise("" if value is None else value))
    return cell


def xlsx_response(
    *, request: HttpRequest, filename: str, title: str, columns: Sequence[XlsxColumn],
    rows: Iterable[Sequence[Any]], audit_detail: dict[str, Any] | None = None,
) -> FileResponse:
    """Write `rows` under `columns` into an .xlsx download and audit the export."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=title[:31])
    sheet.freeze_panes = "A2"
    for i, column in enumerate(columns, start=1):
        sheet.column_dimensions[get_column_letter(i)].width = column.width
    header = []
    for column in columns:
        cell = WriteOnlyCell(sheet, value=column.header)
        cell.font = Font(bold=True)
        header.append(cell)
    sheet.append(header)
    count = 0
    for row in rows:
        sheet.append([_cell(sheet, value) for value in row])
        count += 1
    return _download(request=request, workbook=workbook, filename=filename, rows=count,
                     audit_detail=audit_detail)


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
    cell = _cell(sheet, value)
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
                        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
