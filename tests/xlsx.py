"""Reading the studio's exports back in tests.

Every sheet (studio.exports) has heading rows above its table (title, 门店, 期间, 打印时间...) and
repeats its header row on every printed page; the header row is the sheet's print title, so a
test finds the table there rather than assuming row 1.
"""
import io
from typing import Any

from openpyxl import Workbook, load_workbook
from openpyxl.worksheet.worksheet import Worksheet


def workbook_of(response_or_content: Any) -> Workbook:
    """The workbook of a download (FileResponse), of the file's bytes (or the workbook)."""
    content = response_or_content
    if isinstance(content, Workbook):
        return content
    if hasattr(content, "streaming_content"):
        content = b"".join(content.streaming_content)
    return load_workbook(io.BytesIO(content))


def header_row(sheet: Worksheet) -> int:
    """The row number of the table's header: the sheet's print title row."""
    rows = sheet.print_title_rows  # "$5:$5"
    assert rows, f"sheet {sheet.title!r} repeats no header row"
    first, _last = rows.replace("$", "").split(":")
    return int(first)


def table(sheet: Worksheet) -> list[tuple]:
    """The header and the rows under it, as values."""
    return list(sheet.iter_rows(min_row=header_row(sheet), values_only=True))


def heading(sheet: Worksheet) -> list[Any]:
    """The first cell of each row above the header: title, 门店, 期间, 打印时间..."""
    return [row[0] for row in sheet.iter_rows(max_row=header_row(sheet) - 1, values_only=True)]


def rows_of(response_or_content: Any) -> list[tuple]:
    """A list export's table (header first) from its download."""
    return table(workbook_of(response_or_content).active)


def sections_of(response_or_content: Any) -> dict[str, list[tuple]]:
    """A report's tables by section (a sheet each), header first, trailing empty cells
    dropped."""
    book = workbook_of(response_or_content)
    return {sheet.title: [_trim(row) for row in table(sheet)] for sheet in book.worksheets}


def _trim(row: tuple) -> tuple:
    values = list(row)
    while values and values[-1] is None:
        values.pop()
    return tuple(values)
