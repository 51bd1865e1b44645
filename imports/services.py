"""Customers, and their orders where given, from an .xlsx sheet as an old system exports it.

The file is checked before it is parsed, in the upload's request: its size, that it is a zip
holding a workbook's content types, how many entries it has, and what its directory says they
inflate to (in all and per byte stored), so a zip bomb is refused in milliseconds without
inflating a byte. Python's zipfile never inflates an entry past the size its directory declares,
so a directory that lies only breaks the file.

The rest is an ImportJob for the worker. It parses the file in a child process
(imports.reader: openpyxl with defusedxml) under a memory cap, a CPU-time cap and a
timeout, so whatever a hostile file does costs a killed child and a message; validates each row
for the job's store (the preview); and once the uploader confirms, imports the valid rows in one
transaction, in which the job is also marked done: a failure on any row, or a worker lost
half-way, imports nothing.

The column headers are the sheet's format, not UI text: they are matched in Chinese whatever
the page's language.
"""
import hashlib
import json
import logging
import os
import re
import resource
import subprocess
import sys
import tempfile
import unicodedata
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from fnmatch import fnmatch
from functools import partial
from io import BytesIO
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from customers.models import Customer, SourceChannel, Title
from customers.selectors import customer_mobiles_taken
from customers.services import customer_build
from customers.validators import MOBILE_RE
from orders.models import Order, Package, PaymentKind
from orders.services import order_create, payment_record
from staff.models import Store
from staff.scoping import store_for
from studio.audit import audit_log
from studio.models import AuditAction, ImportJob, ImportStatus
from studio.money import money_parse

from . import reader as import_reader

logger = logging.getLogger(__name__)

MAX_FILE_BYTES = 5 * 1024 * 1024
MAX_ENTRIES = 100  # a workbook of one sheet has about ten
MAX_UNCOMPRESSED_BYTES = 40 * 1024 * 1024
MAX_RATIO = 100  # sheet XML compresses 5-20 times; zeros a thousand times
RATIO_FLOOR = 1024 * 1024  # a tiny entry may compress well without being a threat
MAX_CONTENT_TYPES_BYTES = 64 * 1024
MAX_ROWS = 2000  # rows with data: ~12 s with an order on each
MAX_COLUMNS = 60
HEADER_SEARCH_ROWS = 10  # an old system may put a title line or two above the header

# The child process that parses (imports.reader). openpyxl itself takes ~40 MB; a sheet at
# the caps above, well under 200 MB and a few seconds.
PARSE_MEMORY_BYTES = 512 * 1024 * 1024  # address space (RLIMIT_AS)
PARSE_CPU_SECONDS = 30  # RLIMIT_CPU: then SIGXCPU kills it
PARSE_TIMEOUT_SECONDS = 60  # wall clock, for a child that waits instead of computing
PARSE_COMMAND = [sys.executable, "-E", "-s", "-B", "-m", "imports.reader"]  # -B: it writes no file
_PROJECT_DIR = Path(__file__).resolve().parent.parent

XLSX_MAIN_TYPE = b"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"
_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # .xls, and an .xlsx with a password

# Column key → the header an old system writes. Every column but 姓名 and 手机号 is optional.
COLUMNS: dict[str, str] = {
    "name": "姓名",
    "mobile": "手机号",
    "title": "称呼",
    "wechat": "微信",
    "source": "来源",
    "wedding_on": "婚期",
    "child_birthday_on": "宝宝生日",
    "notes": "备注",
    "package": "套系",
    "amount": "订单金额",
    "deposit": "已付定金",
    "ordered_on": "下单日期",
}
REQUIRED = ("name", "mobile")
# Other spellings of the same headers seen in exports (and this project's own field names).
_HEADER_ALIASES = {"手机": "mobile", "手机号码": "mobile", "微信号": "wechat", "客户来源": "source",
                   "套系名称": "package", "定金": "deposit", "订单日期": "ordered_on",
                   "定单日期": "ordered_on", "下单时间": "ordered_on"}
# The 来源 of an old system, by keyword, when it is not one of ours word for word.
_SOURCE_KEYWORDS = [("婚博会", SourceChannel.WEDDING_FAIR), ("展会", SourceChannel.WEDDING_FAIR),
                    ("介绍", SourceChannel.REFERRAL), ("网络", SourceChannel.ONLINE),
                    ("网上", SourceChannel.ONLINE), ("电话", SourceChannel.PHONE),
                    ("到店", SourceChannel.WALK_IN), ("进店", SourceChannel.WALK_IN),
                    ("合作", SourceChannel.PARTNER)]
_TITLE_EXTRA = {"男": Title.MR, "女": Title.MS, "家长": Title.PARENT}
_DATE_RE = re.compile(r"^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?(?:[ T]\d{1,2}:\d{2}(?::\d{2})?)?$")
_COMPACT_DATE_RE = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
_MAX_AMOUNT = Decimal("9999999999.99")  # what Order.amount (12 digits, 2 places) holds


# --- the file --------------------------------------------------------------------------------

def import_file_check_size(size: int) -> None:
    """Refuse a file over the cap before a byte of it is read."""
    if size > MAX_FILE_BYTES:
        raise ValidationError(_("文件太大（%(size).1f MB），最大 %(max)d MB；请拆分后分批导入。") % {
            "size": size / 1024 / 1024, "max": MAX_FILE_BYTES // 1024 // 1024}, code="too_big")


def import_file_check(data: bytes) -> None:
    """Refuse what is not a plain .xlsx, or would inflate past the caps, from the zip's
    directory alone: nothing is inflated but the content-types entry, after it passed."""
    import_file_check_size(len(data))
    if data.startswith(_OLE_MAGIC):
        raise ValidationError(
            _("这是旧版 .xls 文件或加密的工作簿：请在 Excel 中另存为 .xlsx（不设密码）后再导入。"),
            code="not_xlsx")
    not_xlsx = ValidationError(_("文件不是 Excel 工作簿（.xlsx）。"), code="not_xlsx")
    if not data.startswith(_ZIP_MAGIC):
        raise not_xlsx
    try:
        archive = zipfile.ZipFile(BytesIO(data))
        entries = archive.infolist()
    except (zipfile.BadZipFile, ValueError, OSError):
        raise not_xlsx from None
    if len(entries) > MAX_ENTRIES:
        raise ValidationError(_("文件内部结构异常（条目过多），已拒绝。"), code="zip_bomb")
    bomb = ValidationError(_("文件解压后过大或压缩比异常（疑似压缩炸弹），已拒绝。"), code="zip_bomb")
    if sum(entry.file_size for entry in entries) > MAX_UNCOMPRESSED_BYTES:
        raise bomb
    for entry in entries:
        if entry.file_size > RATIO_FLOOR and entry.file_size > MAX_RATIO * max(entry.compress_size, 1):
            raise bomb
    names = {entry.filename: entry for entry in entries}
    types = names.get("[Content_Types].xml")
    if types is None or "xl/workbook.xml" not in names or types.file_size > MAX_CONTENT_TYPES_BYTES:
        raise not_xlsx
    try:
        content_types = archive.read(types)
    except (zipfile.BadZipFile, ValueError, OSError, EOFError):
        raise not_xlsx from None
    # A macro workbook (.xlsm) or a template declares another main part: refused too.
    if XLSX_MAIN_TYPE not in content_types:
        raise not_xlsx


def _header_key(value: Any) -> str | None:
    """The column a header cell names, tolerant of spaces, a '*' and a note in brackets."""
    text = re.sub(r"\s+", "", unicodedata.normalize("NFKC", str(value or "")))
    text = re.sub(r"\(.*\)$", "", text).strip("*")
    for key, header in COLUMNS.items():
        if text == header:
            return key
    return _HEADER_ALIASES.get(text)


@dataclass
class ImportRow:
    number: int  # the row's number in the sheet, as Excel shows it
    values: dict[str, str]  # each known column's cell as text (what the rejected sheet gives back)
    errors: list[str] = field(default_factory=list)
    customer: Customer | None = None  # built, unsaved, once the row is valid
    package: Package | None = None
    amount: Decimal | None = None  # None: the package's price
    deposit: Decimal | None = None
    ordered_on: date | None = None  # 下单日期: the order is dated then, not on the import day

    @property
    def is_valid(self) -> bool:
        return not self.errors

    @property
    def reason(self) -> str:
        return "；".join(self.errors)


@dataclass
class ImportSheet:
    columns: list[str]  # keys of the known columns found, in COLUMNS order
    ignored: list[str]  # headers not recognised, left out
    rows: list[ImportRow]


def _limit_child() -> None:
    """Between fork and exec of the reader: its memory and CPU time are capped, it writes no
    file and dumps no core. A child over a limit is killed (or gets MemoryError) and says so."""
    resource.setrlimit(resource.RLIMIT_AS, (PARSE_MEMORY_BYTES, PARSE_MEMORY_BYTES))
    resource.setrlimit(resource.RLIMIT_CPU, (PARSE_CPU_SECONDS, PARSE_CPU_SECONDS + 1))
    resource.setrlimit(resource.RLIMIT_FSIZE, (0, 0))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def import_file_parse(path: Path) -> ImportSheet:
    """Read a checked file's first sheet in a child process (imports.reader) under
    PARSE_MEMORY_BYTES, PARSE_CPU_SECONDS and PARSE_TIMEOUT_SECONDS, then find the header row
    (among the first ten rows, by 姓名 and 手机号) and every non-empty row under it, as text.
    A child that is killed, runs out of memory or time raises ValidationError("limits")."""
    over_limits = ValidationError(_("文件过大或格式异常，无法解析。"), code="limits")
    command = [*PARSE_COMMAND, str(path), str(MAX_ROWS + HEADER_SEARCH_ROWS + 1), str(MAX_COLUMNS)]
    try:
        child = subprocess.run(
            command, capture_output=True, stdin=subprocess.DEVNULL, timeout=PARSE_TIMEOUT_SECONDS,
            preexec_fn=_limit_child, cwd=_PROJECT_DIR, env=_child_env(), check=False)
    except subprocess.TimeoutExpired:  # subprocess.run has killed it
        logger.warning("import reader timed out on %s", path.name)
        raise over_limits from None
    except OSError:  # no process to be had (fork refused under memory pressure)
        logger.warning("import reader could not start", exc_info=True)
        raise over_limits from None
    if child.returncode == import_reader.EXIT_UNREADABLE:
        raise ValidationError(_("无法读取该 Excel 文件，文件可能已损坏。"), code="unreadable")
    if child.returncode != 0:
        log = logger.error if child.returncode == import_reader.EXIT_NO_DEFUSEDXML else logger.warning
        log("import reader ended with %s on %s: %s", child.returncode, path.name,
            child.stderr[-500:].decode(errors="replace"))
        raise over_limits
    try:
        output = json.loads(child.stdout)
        lines = [(int(number), [str(cell) for cell in cells]) for number, cells in output["rows"]]
        truncated = bool(output["truncated"])
    except (ValueError, KeyError, TypeError):
        raise over_limits from None
    return _sheet_from_lines(lines, truncated=truncated)


def _child_env() -> dict[str, str]:
    # Nothing of the server's environment (secrets, database URLs) reaches the parser.
    return {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C.UTF-8"}


def import_file_read(data: bytes) -> ImportSheet:
    """Check the file, then parse it as import_file_parse does (from a private temporary file)."""
    import_file_check(data)
    with tempfile.TemporaryDirectory(prefix="import-") as folder:
        path = Path(folder) / "upload.xlsx"
        _write(path, data)
        return import_file_parse(path)


def _sheet_from_lines(lines: Sequence[tuple[int, list[str]]], *, truncated: bool) -> ImportSheet:
    """The header and the data rows from the reader's non-empty rows (number, cells as text)."""
    header: dict[int, str] | None = None
    ignored: list[str] = []
    header_row = 0
    for number, cells in lines:
        if number > HEADER_SEARCH_ROWS:
            break
        keys = [_header_key(cell) for cell in cells]
        if set(REQUIRED) <= set(keys):
            duplicated = {COLUMNS[k] for k in keys if k is not None and keys.count(k) > 1}
            if duplicated:
                raise ValidationError(_("表头重复：%(columns)s。") % {
                    "columns": "、".join(sorted(duplicated))}, code="bad_header")
            header = {i: key for i, key in enumerate(keys) if key is not None}
            ignored = [cell for cell, key in zip(cells, keys, strict=True) if key is None and cell]
            header_row = number
            break
    if header is None:
        raise ValidationError(_("找不到表头：前 %(n)d 行中需要有“姓名”和“手机号”两列。") % {
            "n": HEADER_SEARCH_ROWS}, code="no_header")
    too_many = ValidationError(_("一次最多导入 %(max)d 行，请拆分文件。") % {"max": MAX_ROWS},
                               code="too_many_rows")
    rows = []
    for number, cells in lines:
        if number <= header_row:
            continue
        values = {key: cells[i] if i < len(cells) else "" for i, key in header.items()}
        if not any(values.values()):
            continue
        rows.append(ImportRow(number=number, values=values))
        if len(rows) > MAX_ROWS:
            raise too_many
    if truncated:  # the reader stopped: more rows with something in them than may be imported
        raise too_many
    if not rows:
        raise ValidationError(_("表头下面没有数据。"), code="empty")
    columns = [key for key in COLUMNS if key in header.values()]
    return ImportSheet(columns=columns, ignored=ignored, rows=rows)


# --- the rows --------------------------------------------------------------------------------

def _plain(text: str) -> str:
    # Full-width digits and signs to ASCII; the quote an export puts before a text like "+86".
    return unicodedata.normalize("NFKC", text).strip().lstrip("'").strip()


def _mobile(text: str) -> str | None:
    value = re.sub(r"[\s\-()]", "", _plain(text))
    if value.startswith("+86"):
        value = value[3:]
    elif len(value) == 13 and value.startswith("86"):
        value = value[2:]
    return value if MOBILE_RE.match(value) else None


def _date(text: str) -> date | None:
    value = _plain(text)
    match = _DATE_RE.match(value) or _COMPACT_DATE_RE.match(value)
    if match is None:
        return None
    try:
        parsed = date(*(int(part) for part in match.groups()))
    except ValueError:
        return None
    return parsed if 1900 <= parsed.year <= 2100 else None


def _amount(text: str) -> Decimal | None:
    try:
        amount = money_parse(_plain(text), field="amount")
    except ValidationError:
        return None
    return amount if 0 <= amount <= _MAX_AMOUNT else None


def _choices_zh(choices) -> dict[str, str]:
    """Label (in Chinese, whatever the UI language) and value → value."""
    with translation.override("zh-hans"):
        return {**{str(label): value for value, label in choices.choices},
                **{value: value for value in choices.values}}


def _source(text: str, known: dict[str, str]) -> tuple[str, str]:
    """(source, what to keep in 备注): a source we do not know is 其他, its words kept."""
    value = re.sub(r"\s+", "", text)
    if not value:
        return SourceChannel.WALK_IN, ""
    if value in known:
        return known[value], ""
    for keyword, source in _SOURCE_KEYWORDS:
        if keyword in value:
            return source, ""
    return SourceChannel.OTHER, _("原来源：%(source)s") % {"source": text}


def _normalised_name(text: str) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text))


def import_rows_validate(*, rows: Sequence[ImportRow], store: Store, may_order: bool = True
                         ) -> list[ImportRow]:
    """Give each row its errors, or its customer (built, unsaved) and order when valid.

    Errors: no name, a bad mobile, a mobile met on an earlier row (the first is kept) or already
    a customer of `store`, an unknown or withdrawn package, a bad date, a bad amount. Two
    queries for up to ~1,000 rows."""
    titles, sources = {**_choices_zh(Title), **_TITLE_EXTRA}, _choices_zh(SourceChannel)
    packages = {_normalised_name(p.name): p for p in Package.objects.all()}
    first_row_of: dict[str, int] = {}
    mobiles: dict[int, str] = {}
    for row in rows:
        row.errors, row.customer, row.package = [], None, None
        v = row.values
        name = v.get("name", "")
        if not name:
            row.errors.append(_("缺少姓名"))
        elif len(name) > 64:
            row.errors.append(_("姓名超过 64 个字"))
        mobile = _mobile(v.get("mobile", ""))
        if not v.get("mobile"):
            row.errors.append(_("缺少手机号"))
        elif mobile is None:
            row.errors.append(_("手机号格式不对：%(value)s（应为 11 位，1 开头，第二位 3-9）") % {
                "value": v["mobile"]})
        elif mobile in first_row_of:
            row.errors.append(_("手机号与第 %(row)d 行重复") % {"row": first_row_of[mobile]})
        else:
            first_row_of[mobile] = row.number
            mobiles[row.number] = mobile
        title = re.sub(r"\s+", "", v.get("title", ""))
        if title and title not in titles:
            row.errors.append(_("称呼不认识：%(value)s（可填：先生、女士、小姐、小朋友家长）") % {
                "value": v["title"]})
        if len(v.get("wechat", "")) > 64:
            row.errors.append(_("微信号超过 64 个字"))
        dates = {}
        for key in ("wedding_on", "child_birthday_on", "ordered_on"):
            if v.get(key):
                dates[key] = _date(v[key])
                if dates[key] is None:
                    row.errors.append(_("%(column)s不是有效日期：%(value)s（请写成 YYYY-MM-DD）") % {
                        "column": COLUMNS[key], "value": v[key]})
        money = {}
        for key in ("amount", "deposit"):
            if v.get(key):
                money[key] = _amount(v[key])
                if money[key] is None:
                    row.errors.append(_("%(column)s不是有效金额：%(value)s") % {
                        "column": COLUMNS[key], "value": v[key]})
        package_name = v.get("package", "")
        if package_name:
            row.package = packages.get(_normalised_name(package_name))
            if row.package is None:
                row.errors.append(_("未知套系：%(value)s") % {"value": package_name})
            elif not row.package.is_active:
                row.errors.append(_("套系已停售：%(value)s") % {"value": package_name})
            elif not may_order:
                row.errors.append(_("您没有建订单和收款的权限，不能导入带套系的行"))
        elif money:
            row.errors.append(_("填写了订单金额或定金，但没有填套系"))
        row.amount, row.deposit = money.get("amount"), money.get("deposit")
        row.ordered_on = dates.get("ordered_on")
        if row.ordered_on is not None and row.ordered_on > timezone.localdate():
            row.errors.append(_("下单日期不能晚于今天：%(value)s") % {"value": v["ordered_on"]})
        elif row.ordered_on is not None and not package_name:
            row.errors.append(_("填写了下单日期，但没有填套系"))
        if row.package is not None and row.deposit is not None and None not in money.values():
            if row.deposit > (row.amount if row.amount is not None else row.package.price):
                row.errors.append(_("已付定金大于订单金额"))
        if not row.errors:
            source, source_note = _source(v.get("source", ""), sources)
            notes = "\n".join(filter(None, [v.get("notes", ""), source_note]))
            try:  # a new customer's rules (customers), then the model's, as a net; no queries
                row.customer = customer_build(
                    store=store, name=name, mobile=mobile, by=None,
                    title=titles.get(title, Title.MS), source=source, wechat=v.get("wechat", ""),
                    notes=notes, wedding_on=dates.get("wedding_on"),
                    child_birthday_on=dates.get("child_birthday_on"))
                row.customer.full_clean(exclude=["store", "referrer", "assigned_to"],
                                        validate_unique=False, validate_constraints=False)
            except ValidationError as exc:
                row.errors.extend(exc.messages)
                row.customer = None
    taken = customer_mobiles_taken(store, mobiles.values())
    for row in rows:
        if mobiles.get(row.number) in taken:
            row.errors.append(_("本门店已有使用该手机号的客户"))
            row.customer = None
    return list(rows)


@dataclass
class ImportPreview:
    sheet: ImportSheet
    store: Store

    @property
    def rows(self) -> list[ImportRow]:
        return self.sheet.rows

    @property
    def valid(self) -> list[ImportRow]:
        return [row for row in self.rows if row.is_valid]

    @property
    def rejected(self) -> list[ImportRow]:
        return [row for row in self.rows if not row.is_valid]

    @property
    def orders_count(self) -> int:
        return sum(1 for row in self.valid if row.package is not None)

    @property
    def digest(self) -> str:
        """What the user confirms: the store and which rows go in. If it is different at
        confirmation (a customer added meanwhile), the preview is shown again."""
        text = f"{self.store.pk}:" + ",".join(str(row.number) for row in self.valid)
        return hashlib.sha256(text.encode()).hexdigest()[:16]


def import_preview(*, data: bytes, store: Store, may_order: bool = True) -> ImportPreview:
    """Read and validate the file for `store`; nothing is written."""
    sheet = import_file_read(data)
    import_rows_validate(rows=sheet.rows, store=store, may_order=may_order)
    return ImportPreview(sheet=sheet, store=store)


REJECTED_HEADERS = ["行号", *COLUMNS.values(), "原因"]


def rejected_sheet_rows(rows: Iterable[ImportRow]) -> list[list[str | int]]:
    """The rejected rows as the sheet to fix and import again: the row number, every column
    under its own header (text, as read), and the reason; 行号 and 原因 are ignored on import."""
    return [[row.number, *(row.values.get(key, "") for key in COLUMNS), row.reason]
            for row in rows if not row.is_valid]


def _noon(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(12, 0)))


# --- the import ------------------------------------------------------------------------------

@dataclass(frozen=True)
class ImportResult:
    customers: int
    orders: int
    payments: int


@transaction.atomic
def customers_import(*, rows: Sequence[ImportRow], store: Store, by) -> ImportResult:
    """Create the valid rows' customers in `store`, unassigned, and for a row with a package
    its order (the 定单 stage done, consultant `by`) and its deposit, all in one transaction:
    any row that fails rolls the whole import back and raises ValidationError naming it."""
    rows = [row for row in rows if row.is_valid]
    if not rows:
        raise ValidationError(_("没有可以导入的行。"), code="nothing")
    # Re-checked here: a customer added since the rows were validated must not fail half-way.
    taken = customer_mobiles_taken(store, (row.customer.mobile for row in rows))
    for row in rows:
        if row.customer.mobile in taken:
            raise ValidationError(_("第 %(row)d 行：本门店已有使用该手机号的客户。本次未导入任何数据。") % {
                "row": row.number}, code="row_failed")
        row.customer.store, row.customer.assigned_to = store, None
    Customer.objects.bulk_create([row.customer for row in rows], batch_size=500)
    # Read again, so that a package withdrawn since the preview is refused, not sold.
    packages = Package.objects.in_bulk({row.package.pk for row in rows if row.package is not None})
    orders = payments = 0
    for row in rows:
        if row.package is None:
            continue
        # An old order keeps its date (下单日期): this month's figures count only this month's
        # sales. Without one, the order is dated now, as if booked at the desk.
        at = _noon(row.ordered_on) if row.ordered_on else None
        try:
            order = order_create(customer=row.customer, package=packages[row.package.pk], by=by,
                                 amount=row.amount, at=at)
            if at is not None:
                Order.objects.filter(pk=order.pk).update(created_at=at)
            orders += 1
            if row.deposit:
                payment_record(order=order, kind=PaymentKind.DEPOSIT, amount=row.deposit,
                               received_by=by, note=_("从 Excel 导入"), paid_at=at)
                payments += 1
        except ValidationError as exc:
            raise ValidationError(_("第 %(row)d 行导入失败：%(reason)s 本次未导入任何数据。") % {
                "row": row.number, "reason": " ".join(exc.messages)}, code="row_failed") from exc
    return ImportResult(customers=len(rows), orders=orders, payments=payments)


# --- the jobs: upload → preview (worker) → confirm → import (worker) ---------------------------
#
# Files wait in the storage (default_storage: the web container saves the upload, the worker
# parses it; docs/storage.md) under imports/, named by the server from the uploader and the job
# (<user id>-<job id>.xlsx the upload, .sheet.json its cells as read, .json the preview's rows
# for the page and the rejected-rows sheet), readable by the server's user only, and are deleted
# a day later. The upload itself goes as soon as it is parsed.

TTL = timedelta(days=1)
PREVIEW_ROWS = 300  # rows of each table kept for the page; the rejected sheet has them all
PREVIEW_TIME_LIMIT = PARSE_TIMEOUT_SECONDS + 60  # the preview task: parse, then validate
APPLY_TIME_LIMIT = 300  # the import task: 2,000 rows with an order each take ~12 s
RESEND_AFTER = timedelta(minutes=1)  # a queued job this old lost its message


IMPORT_FOLDER = "imports"


def import_folder() -> Path:
    """Where the file-system storage keeps the import files (tests look there)."""
    return Path(settings.MEDIA_ROOT) / IMPORT_FOLDER


def _job_name(job: ImportJob, suffix: str) -> str:
    """The file's name in the storage."""
    return f"{IMPORT_FOLDER}/{job.user_id}-{job.pk}{suffix}"


def _store(name: str, data: bytes) -> None:
    """Keep `data` as `name` in the storage, replacing the file of that name."""
    default_storage.delete(name)  # the storage would otherwise pick another name
    default_storage.save(name, ContentFile(data))


def _stored(name: str) -> bytes:
    """The file `name` from the storage (FileNotFoundError once swept)."""
    with default_storage.open(name, "rb") as file:
        return file.read()


def _write(path: Path, data: bytes) -> None:
    # Personal data: readable by the server's user only.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as file:
        file.write(data)


def _save_json(name: str, value: Any) -> None:
    _store(name, json.dumps(value, ensure_ascii=False).encode())


def import_job_state(job: ImportJob) -> dict[str, Any] | None:
    """The preview's rows kept for the page and the rejected sheet; None once swept."""
    try:
        return json.loads(_stored(_job_name(job, ".json")))
    except (FileNotFoundError, ValueError):
        return None


def import_job_state_save(job: ImportJob, preview: ImportPreview) -> dict[str, Any]:
    """Keep the preview's rows (the valid ones the page lists, every rejected one with its
    errors) and return the job's summary: the counts, the columns and the digest."""
    valid, rejected = preview.valid, preview.rejected
    _save_json(_job_name(job, ".json"), {
        "valid": [_valid_row(row) for row in valid[:PREVIEW_ROWS]],
        "rejected": [{"number": row.number, "values": row.values, "errors": row.errors}
                     for row in rejected]})
    return {"valid": len(valid), "rejected": len(rejected), "orders": preview.orders_count,
            "digest": preview.digest, "ignored": preview.sheet.ignored,
            "headers": [COLUMNS[key] for key in preview.sheet.columns]}


def _valid_row(row: ImportRow) -> dict[str, Any]:
    customer, package = row.customer, row.package
    amount = (row.amount if row.amount is not None else package.price) if package else None
    return {"number": row.number, "customer": str(customer), "mobile": customer.mobile,
            "source": str(customer.get_source_display()),
            "wedding_on": customer.wedding_on.isoformat() if customer.wedding_on else "",
            "child_birthday_on": (customer.child_birthday_on.isoformat()
                                  if customer.child_birthday_on else ""),
            "package": package.name if package else "",
            "amount": str(amount) if amount is not None else "",
            "deposit": str(row.deposit) if row.deposit is not None else ""}


def import_rejected_rows(state: dict[str, Any]) -> list[list[str | int]]:
    """The rejected rows of a kept preview, as rejected_sheet_rows gives them."""
    return [[row["number"], *(row["values"].get(key, "") for key in COLUMNS), "；".join(row["errors"])]
            for row in state["rejected"]]


def import_may_order(user) -> bool:
    return user.has_perm("orders.add_order") and user.has_perm("orders.take_payment")


def import_may_import_into(user, store: Store) -> bool:
    """Whether `user` may still import into `store`: their own store, any active store for a
    general manager."""
    if not user.is_active or not user.has_perm("customers.import_customer"):
        return False
    try:
        return store_for(user, store, writing=True) == store
    except (ValidationError, PermissionDenied):
        return False


@transaction.atomic
def import_job_create(*, user, store: Store, filename: str, data: bytes,
                      ip_address: str | None = None, language: str = "") -> ImportJob:
    """Keep a checked upload on the server and queue its preview for the worker."""
    import_files_sweep(now=timezone.now())  # beat does it too; a studio without beat still forgets
    job = ImportJob.objects.create(user=user, store=store, filename=filename,
                                   ip_address=ip_address, language=language)
    _store(_job_name(job, ".xlsx"), data)
    transaction.on_commit(partial(_enqueue, "preview", job.pk))
    return job


def _enqueue(step: str, job_id: int) -> None:
    """Hand the step to the worker; with the broker down the job waits for the sweep."""
    from studio.tasks import enqueue

    from .tasks import import_apply_task, import_preview_task

    enqueue(import_preview_task if step == "preview" else import_apply_task, job_id)


def import_job_preview(job_id: int) -> ImportJob | None:
    """The worker's first half: claim the queued job (a redelivered message finds it taken and
    does nothing), parse its file in a child process, validate the rows for its store and keep
    the preview. The job is then ready to confirm, or failed with the reason."""
    claimed = ImportJob.objects.filter(pk=job_id, status=ImportStatus.QUEUED).update(
        status=ImportStatus.PARSING, started_at=timezone.now())
    if not claimed:
        return None
    job = ImportJob.objects.select_related("user", "store").get(pk=job_id)
    upload = _job_name(job, ".xlsx")
    with translation.override(job.language or settings.LANGUAGE_CODE):
        try:
            if not import_may_import_into(job.user, job.store):
                raise PermissionDenied
            # Checked again (what is stored is what is parsed), then parsed from a private
            # temporary copy: the storage may be an object store, with no path to hand over.
            sheet = import_file_read(_stored(upload))
            import_rows_validate(rows=sheet.rows, store=job.store,
                                 may_order=import_may_order(job.user))
            _save_json(_job_name(job, ".sheet.json"), {
                "columns": sheet.columns, "ignored": sheet.ignored,
                "rows": [[row.number, row.values] for row in sheet.rows]})
            summary = import_job_state_save(job, ImportPreview(sheet=sheet, store=job.store))
        except ValidationError as exc:
            return _job_failed(job, ImportStatus.PARSING, " ".join(exc.messages))
        except Exception as exc:
            return _job_failed(job, ImportStatus.PARSING, _unexpected(job, exc))
        finally:
            default_storage.delete(upload)  # parsed or refused: the cells, if any, are kept
    ImportJob.objects.filter(pk=job.pk, status=ImportStatus.PARSING).update(
        status=ImportStatus.READY, summary=summary, finished_at=timezone.now())
    job.refresh_from_db()
    return job


def import_job_confirm(*, job: ImportJob, digest: str) -> bool:
    """Queue the import of a ready job's valid rows, if `digest` is the preview's (the page
    the uploader confirmed is the latest); False when it is not, or nothing would go in."""
    if not job.summary.get("valid") or digest != job.summary.get("digest"):
        return False
    with transaction.atomic():
        confirmed = ImportJob.objects.filter(pk=job.pk, status=ImportStatus.READY).update(
            status=ImportStatus.CONFIRMED, confirmed_at=timezone.now())
        if confirmed:
            transaction.on_commit(partial(_enqueue, "apply", job.pk))
    return bool(confirmed)


class _Abandoned(Exception):
    """The sweep gave the job up while this worker was importing it: roll back."""


def import_job_apply(job_id: int) -> ImportJob | None:
    """The worker's second half: claim the confirmed job, validate its rows again (a customer
    registered meanwhile) and, if the same rows would go in, import them and mark the job done
    and audited, all in one transaction. If the rows changed, or a row fails, nothing is written
    and the job is ready again with the new preview and the reason."""
    claimed = ImportJob.objects.filter(pk=job_id, status=ImportStatus.CONFIRMED).update(
        status=ImportStatus.IMPORTING, started_at=timezone.now())
    if not claimed:
        return None
    job = ImportJob.objects.select_related("user", "store").get(pk=job_id)
    with translation.override(job.language or settings.LANGUAGE_CODE):
        try:
            if not import_may_import_into(job.user, job.store):
                raise PermissionDenied
            kept = json.loads(_stored(_job_name(job, ".sheet.json")))
            sheet = ImportSheet(columns=kept["columns"], ignored=kept["ignored"], rows=[
                ImportRow(number=number, values=values) for number, values in kept["rows"]])
            import_rows_validate(rows=sheet.rows, store=job.store,
                                 may_order=import_may_order(job.user))
            preview = ImportPreview(sheet=sheet, store=job.store)
            if preview.digest != job.summary.get("digest"):
                return _job_ready_again(job, preview, _(
                    "预览之后数据有变化（例如门店刚登记了其中的客户），请核对后重新确认。"))
            try:
                done = _import_and_finish(job, preview)
            except ValidationError as exc:
                return _job_ready_again(job, preview, " ".join(exc.messages))
            except IntegrityError:  # a customer registered at the same moment: the constraint
                return _job_ready_again(job, preview, _(
                    "导入时与其他操作冲突，本次未导入任何数据，请重新确认。"))
        except _Abandoned:
            return None
        except Exception as exc:
            return _job_failed(job, ImportStatus.IMPORTING, _unexpected(job, exc))
    default_storage.delete(_job_name(job, ".sheet.json"))
    job.refresh_from_db()
    logger.info("import job %s: %s", job.pk, done)
    return job


@transaction.atomic
def _import_and_finish(job: ImportJob, preview: ImportPreview) -> dict[str, int]:
    result = customers_import(rows=preview.rows, store=job.store, by=job.user)
    done = {"customers": result.customers, "orders": result.orders, "payments": result.payments}
    finished = ImportJob.objects.filter(pk=job.pk, status=ImportStatus.IMPORTING).update(
        status=ImportStatus.DONE, summary={**job.summary, "done": done, "notice": ""},
        finished_at=timezone.now())
    if not finished:
        raise _Abandoned
    audit_log(actor=job.user, action=AuditAction.IMPORT, obj=job, ip_address=job.ip_address,
              detail={"file": job.filename, "store": job.store_id, **done,
                      "rejected": len(preview.rejected)})
    return done


def _job_ready_again(job: ImportJob, preview: ImportPreview, notice: str) -> ImportJob:
    summary = {**import_job_state_save(job, preview), "notice": notice}
    ImportJob.objects.filter(pk=job.pk, status=ImportStatus.IMPORTING).update(
        status=ImportStatus.READY, summary=summary, confirmed_at=None)
    job.refresh_from_db()
    return job


def _unexpected(job: ImportJob, exc: Exception) -> str:
    if isinstance(exc, PermissionDenied):
        return _("上传人已无导入该门店客户的权限。")
    if isinstance(exc, FileNotFoundError):
        return _("上传的文件已过期，请重新上传。")
    logger.exception("import job %s failed", job.pk)
    return _("处理失败，本次未导入任何数据，请稍后重试或联系管理员。")


def _job_failed(job: ImportJob, running: str, error: str) -> ImportJob:
    ImportJob.objects.filter(pk=job.pk, status=running).update(
        status=ImportStatus.FAILED, error=str(error)[:500], finished_at=timezone.now())
    job.refresh_from_db()
    return job


def import_jobs_sweep(*, now: datetime) -> tuple[list[int], list[int]]:
    """Beat. A job queued or confirmed for a minute lost its message: (ids to preview, ids to
    import) are returned to be sent again. A job parsing or importing past its task's time limit
    lost its worker: failed (an import is one transaction, so nothing of it was written). Files
    older than a day are deleted, and the jobs still waiting on them expire."""
    ImportJob.objects.filter(
        status=ImportStatus.PARSING,
        started_at__lt=now - timedelta(seconds=PREVIEW_TIME_LIMIT) - RESEND_AFTER,
    ).update(status=ImportStatus.FAILED, error=_("解析中断，请重新上传。"), finished_at=now)
    ImportJob.objects.filter(
        status=ImportStatus.IMPORTING,
        started_at__lt=now - timedelta(seconds=APPLY_TIME_LIMIT) - RESEND_AFTER,
    ).update(status=ImportStatus.FAILED, error=_("导入中断，本次未导入任何数据，请重新上传。"),
             finished_at=now)
    ImportJob.objects.filter(
        status__in=[ImportStatus.QUEUED, ImportStatus.READY, ImportStatus.CONFIRMED],
        created_at__lt=now - TTL,
    ).update(status=ImportStatus.FAILED, error=_("上传的文件已过期，请重新上传。"), finished_at=now)
    import_files_sweep(now=now)
    queued = ImportJob.objects.filter(status=ImportStatus.QUEUED, created_at__lt=now - RESEND_AFTER)
    confirmed = ImportJob.objects.filter(status=ImportStatus.CONFIRMED,
                                         confirmed_at__lt=now - RESEND_AFTER)
    return (list(queued.values_list("pk", flat=True)),
            list(confirmed.values_list("pk", flat=True)))


def import_files_sweep(*, now: datetime) -> int:
    """Delete the waiting files older than TTL (uploads nobody confirmed, finished previews)."""
    cutoff, deleted = now - TTL, 0
    try:
        names = default_storage.listdir(IMPORT_FOLDER)[1]
    except FileNotFoundError:  # nothing uploaded yet
        return 0
    for name in names:
        if not fnmatch(name, "*-*.*"):
            continue
        try:
            if default_storage.get_modified_time(f"{IMPORT_FOLDER}/{name}") < cutoff:
                default_storage.delete(f"{IMPORT_FOLDER}/{name}")
                deleted += 1
        except FileNotFoundError:  # swept by a neighbour
            pass
    return deleted
