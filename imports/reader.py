"""Read an uploaded .xlsx in a child process: `python -m imports.reader <path> <rows> <cols>`.

The parent (imports.services) runs this with limits on its memory and CPU time and a timeout, so
a hostile workbook (an XML bomb past defusedxml, a huge dimension, a sheet that inflates past
its directory) costs a killed child and a message, never the worker. It imports nothing but the
standard library and openpyxl (which parses with defusedxml, required here), reads the first
sheet's cells as text (the way the sheet shows them) and prints one JSON line on stdout:

    {"rows": [[row number, [cell text, ...]], ...], "truncated": false}

with only the rows that hold something, trailing empty cells dropped, at most <rows> rows
(then "truncated" is true) and <cols> columns, in UTF-8. Exit status: 0 read, 3 not a readable
workbook, 4 out of memory or more text than MAX_OUTPUT_BYTES, 5 defusedxml missing.
"""
import json
import os
import sys
from datetime import date
from typing import Any

EXIT_UNREADABLE = 3
EXIT_MEMORY = 4
EXIT_NO_DEFUSEDXML = 5
# What the parent will take in: 2,000 rows of an old system's export are about 1 MB.
MAX_OUTPUT_BYTES = 32 * 1024 * 1024


def cell_text(value: Any) -> str:
    """A cell as text, the way the sheet shows it: dates YYYY-MM-DD, whole numbers without .0
    (so a mobile typed as a number stays a mobile)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, date):  # datetime too: openpyxl reads a date cell as one
        if getattr(value, "hour", 0) or getattr(value, "minute", 0):
            return value.strftime("%Y-%m-%d %H:%M")
        return value.strftime("%Y-%m-%d")
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def read_rows(path: str, max_rows: int, max_cols: int) -> dict[str, Any]:
    from openpyxl import load_workbook

    workbook = load_workbook(path, read_only=True, data_only=True)
    try:
        sheet = workbook.worksheets[0]
        sheet.reset_dimensions()  # old exporters write wrong dimensions; read what is there
        rows: list[list[Any]] = []
        for number, cells in enumerate(sheet.iter_rows(values_only=True, max_col=max_cols), start=1):
            texts = [cell_text(cell) for cell in cells[:max_cols]]
            while texts and not texts[-1]:
                texts.pop()
            if not texts:
                continue
            if len(rows) == max_rows:
                return {"rows": rows, "truncated": True}
            rows.append([number, texts])
        return {"rows": rows, "truncated": False}
    finally:
        workbook.close()


def main(argv: list[str]) -> int:
    from openpyxl.xml import DEFUSEDXML

    if not DEFUSEDXML:  # never parse an upload without entity expansion refused
        return EXIT_NO_DEFUSEDXML
    path, max_rows, max_cols = argv[0], int(argv[1]), int(argv[2])
    try:
        output = json.dumps(read_rows(path, max_rows, max_cols), ensure_ascii=False).encode()
    except MemoryError:
        return EXIT_MEMORY
    except Exception:  # openpyxl and defusedxml raise many kinds on a broken or hostile file
        return EXIT_UNREADABLE
    if len(output) > MAX_OUTPUT_BYTES:
        return EXIT_MEMORY
    sys.stdout.buffer.write(output)
    sys.stdout.buffer.flush()
    return 0


if __name__ == "__main__":
    try:
        status = main(sys.argv[1:])
    except MemoryError:
        status = EXIT_MEMORY
    os._exit(status)  # no interpreter teardown: nothing left to flush, and it may need memory
