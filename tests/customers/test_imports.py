"""Importing customers (and their orders) from an old system's .xlsx: the preview with each row's
errors, the sheet of rejected rows with the reason, the all-or-nothing import, the files that are
refused before parsing, who may import and the audit log. The pages go through the import job
(the worker runs eagerly here); the job's own behaviour is in test_import_jobs.py."""
import functools
import re
import struct
import time
import zipfile
from datetime import date, datetime
from decimal import Decimal
from io import BytesIO

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from openpyxl import Workbook, load_workbook

from customers.models import Customer, SourceChannel, Title
from imports.services import (
    MAX_FILE_BYTES,
    MAX_ROWS,
    REJECTED_HEADERS,
    customers_import,
    import_file_check,
    import_file_read,
    import_folder,
    import_preview,
    import_rows_validate,
)
from orders.models import Order, Package, Payment, PaymentKind, StageKind
from staff.models import Role
from studio.models import AuditAction, AuditEntry, ImportJob, ImportStatus
from tests.factories import ChildrenPackageFactory, CustomerFactory, PackageFactory
from tests.xlsx import header_row, rows_of

pytestmark = pytest.mark.django_db

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
HEADER = [" 姓 名 ", "手机号", "称 呼", "微信", "来源", "婚期", "宝宝生日", "备注", "套系",
          "订单金额（元）", "已付定金", "旧系统编号"]
INJECTION = '=HYPERLINK("http://evil.example","点我")'


def _row(name=None, mobile=None, title=None, wechat=None, source=None, wedding=None, birthday=None,
         notes=None, package=None, amount=None, deposit=None, legacy=None):
    return [name, mobile, title, wechat, source, wedding, birthday, notes, package, amount, deposit,
            legacy]


# Row numbers as Excel shows them: a title line, the header on row 2, data from row 3.
FIXTURE_ROWS = {
    3: _row("王芳", 13800000001, "女士", "wx_wangfang", "老客户转介绍", date(2025, 10, 1),
            notes="喜欢海景", legacy="A001"),
    4: _row("李雷", "138 0000 0002", "先生", source="婚博会2024", wedding="2025/11/11",
            package="经典婚纱照", amount=6999, deposit=2000),
    5: _row(None, 13800000003, "女士"),
    6: _row("赵六", "1234567"),
    7: _row("孙七", 13800000001),
    8: _row("周八", 13900000001),
    9: _row("吴九", 13800000009, package="不存在的套系", amount=3000),
    10: _row("郑十", 13800000010, wedding="2025-13-45"),
    11: _row("钱十一", 13800000011, package="经典婚纱照", amount="五千"),
    # row 12 is blank: skipped, and the numbers after it stay Excel's
    13: _row("冯十三", 13900000002.0, "小朋友家长", source="抖音", birthday=datetime(2023, 3, 8),
             package="宝宝 成长套系", deposit=500),
    14: _row(None, 13800000014, birthday="昨天"),
    15: _row(INJECTION, "abc"),
    16: _row("陈十六", 13800000016, package="经典婚纱照", amount=1000, deposit=2000),
    17: _row("褚十七", 13800000017, amount=100),
    18: _row("卫十八", 13800000018, package="旧款套系"),
    19: _row("蒋十九", 13800000019, "大侠"),
}
FORMAT_HINT = "（应为 11 位，1 开头，第二位 3-9）"
EXPECTED_ERRORS = {
    5: ["缺少姓名"],
    6: ["手机号格式不对：1234567" + FORMAT_HINT],
    7: ["手机号与第 3 行重复"],
    8: ["本门店已有使用该手机号的客户"],
    9: ["未知套系：不存在的套系"],
    10: ["婚期不是有效日期：2025-13-45（请写成 YYYY-MM-DD）"],
    11: ["订单金额不是有效金额：五千"],
    14: ["缺少姓名", "宝宝生日不是有效日期：昨天（请写成 YYYY-MM-DD）"],
    15: ["手机号格式不对：abc" + FORMAT_HINT],
    16: ["已付定金大于订单金额"],
    17: ["填写了订单金额或定金，但没有填套系"],
    18: ["套系已停售：旧款套系"],
    19: ["称呼不认识：大侠（可填：先生、女士、小姐、小朋友家长）"],
}
VALID_ROWS = [3, 4, 13]


def _workbook(rows: dict[int, list], header=HEADER, title_line="老系统客户资料导出") -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    if title_line:
        sheet.cell(1, 1, title_line)
    for col, value in enumerate(header, start=1):
        sheet.cell(2 if title_line else 1, col, value)
    for number, values in rows.items():
        for col, value in enumerate(values, start=1):
            cell = sheet.cell(number, col, value)
            if isinstance(value, str) and value.startswith("="):
                cell.data_type = "s"  # an old system's text that looks like a formula
    out = BytesIO()
    workbook.save(out)
    return out.getvalue()


@pytest.fixture
def world(store, other_store, package):
    """The store's existing customer, another store's customer, a children's package, a
    withdrawn package."""
    CustomerFactory(store=store, mobile="13900000001", name="老客户")
    ChildrenPackageFactory(name="宝宝成长套系", price=Decimal("1999.00"))
    CustomerFactory(store=other_store, mobile="13900000002", name="别店客户")
    PackageFactory(name="旧款套系", is_active=False)
    return store


def _errors(preview) -> dict[int, list[str]]:
    return {row.number: row.errors for row in preview.rows if row.errors}


@pytest.fixture
def upload(client, django_capture_on_commit_callbacks):
    """upload(data, name=..., **fields): post the file; with the job's preview run (on commit,
    by the eager worker), the job's page, or the upload form when the file was refused."""

    def post(data: bytes, name="客户资料.xlsx", content_type=XLSX, **fields):
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(reverse("imports:upload"), {
                "file": SimpleUploadedFile(name, data, content_type=content_type), **fields})
        return client.get(response["Location"]) if response.status_code == 302 else response

    return post


@pytest.fixture
def confirm(client, django_capture_on_commit_callbacks):
    """confirm(page): press the job page's confirm button; the job's page once imported."""

    def post(page, digest: str | None = None):
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(reverse("imports:confirm", args=[_job(page).pk]),
                                   {"digest": _digest(page) if digest is None else digest})
        return client.get(response["Location"]) if response.status_code == 302 else response

    return post


def _job(page) -> ImportJob:
    return page.context["job"]


def _digest(response) -> str:
    return re.search(r'name="digest" value="([0-9a-f]+)"', response.content.decode())[1]


def _sheet(response) -> list[tuple]:
    assert response["Content-Type"] == XLSX
    return [tuple("" if v is None else v for v in row) for row in rows_of(response)]


# --- the preview -----------------------------------------------------------------------------

def test_the_preview_gives_each_bad_row_its_errors_and_keeps_the_good_ones(world, front_desk):
    preview = import_preview(data=_workbook(FIXTURE_ROWS), store=world)
    assert _errors(preview) == EXPECTED_ERRORS
    assert [row.number for row in preview.valid] == VALID_ROWS
    assert preview.sheet.ignored == ["旧系统编号"]
    wang, li, feng = (row.customer for row in preview.valid)
    assert (wang.name, wang.mobile, wang.title, wang.source, wang.wedding_on, wang.notes) == (
        "王芳", "13800000001", Title.MS, SourceChannel.REFERRAL, date(2025, 10, 1), "喜欢海景")
    assert (li.mobile, li.title, li.source, li.wedding_on) == (
        "13800000002", Title.MR, SourceChannel.WEDDING_FAIR, date(2025, 11, 11))
    # A mobile that is another store's customer is new here; an unknown source is kept in 备注.
    assert (feng.mobile, feng.title, feng.child_birthday_on) == (
        "13900000002", Title.PARENT, date(2023, 3, 8))
    assert (feng.source, feng.notes) == (SourceChannel.OTHER, "原来源：抖音")
    assert [(r.package.name if r.package else None, r.amount, r.deposit) for r in preview.valid] == [
        (None, None, None), ("经典婚纱照", Decimal("6999.00"), Decimal("2000.00")),
        ("宝宝成长套系", None, Decimal("500.00"))]
    assert not Customer.objects.filter(mobile__startswith="138").exists()  # nothing written


def test_validating_takes_two_queries_for_a_few_rows_or_many(world, django_assert_num_queries):
    many = {n: _row(f"客户{n}", 13700000000 + n, package="经典婚纱照") for n in range(3, 903)}
    for rows in (FIXTURE_ROWS, many):
        sheet = import_file_read(_workbook(rows))
        with django_assert_num_queries(2):  # the packages, the store's customers with these mobiles
            import_rows_validate(rows=sheet.rows, store=world)


def test_a_sheet_over_the_row_cap_is_refused(store):
    rows = {n: _row(f"客户{n}", 13700000000 + n) for n in range(3, MAX_ROWS + 4)}
    with pytest.raises(ValidationError, match="请拆分文件"):
        import_preview(data=_workbook(rows), store=store)


def test_headers_are_found_without_a_title_line_and_in_any_order(store, package):
    data = _workbook({2: ["13812345678", "王五"]}, header=["手机号码", "姓名 *"], title_line=None)
    preview = import_preview(data=data, store=store)
    assert [(row.number, row.customer.name, row.customer.mobile) for row in preview.valid] == [
        (2, "王五", "13812345678")]


@pytest.mark.parametrize(("header", "message"), [
    (["名字", "电话"], "找不到表头"),
    (["姓名", "手机号", "手机"], "表头重复：手机号"),
])
def test_a_sheet_without_a_usable_header_is_refused(store, header, message):
    with pytest.raises(ValidationError, match=message):
        import_preview(data=_workbook({3: ["王五", "13812345678", ""]}, header=header), store=store)


def test_the_upload_becomes_a_job_whose_page_shows_the_preview(client, world, front_desk, upload):
    client.force_login(front_desk)
    response = upload(_workbook(FIXTURE_ROWS))
    assert response.status_code == 200
    job = _job(response)
    assert response.request["PATH_INFO"] == f"/customers/import/{job.pk}/"
    assert (job.status, job.user, job.store, job.filename) == (
        ImportStatus.READY, front_desk, world, "客户资料.xlsx")
    page = response.content.decode()
    for number, errors in EXPECTED_ERRORS.items():
        row = re.search(rf'<tr data-row="{number}">(.*?)</tr>', page, re.S)[1]
        assert all(error in row for error in errors), (number, row)
    assert "可导入 <strong>3</strong> 行（其中 2 行同时建订单），不能导入 <strong>13</strong> 行" in page
    assert "以下列不认识，已忽略：旧系统编号" in page
    valid = re.search(r'data-testid="valid">(.*?)</table>', page, re.S)[1]
    assert re.search(r'<tr data-row="4"><td>4</td><td>李雷先生</td><td>13800000002</td><td>婚博会/展会</td>'
                     r'\s*<td>2025-11-11</td><td>-</td><td>经典婚纱照</td>\s*<td>¥6,999.00</td>'
                     r'<td>¥2,000.00</td></tr>', valid), valid
    assert "hx-trigger" not in page  # ready: the page no longer asks for itself
    # The upload is gone once parsed; what waits for the confirmation is the server's user's only.
    files = sorted(path.name for path in import_folder().iterdir())
    assert files == [f"{front_desk.pk}-{job.pk}.json", f"{front_desk.pk}-{job.pk}.sheet.json"]
    assert all(path.stat().st_mode & 0o077 == 0 for path in import_folder().iterdir())


# --- the rejected rows -----------------------------------------------------------------------

def test_the_rejected_sheet_has_each_bad_row_as_read_with_its_reason(client, world, front_desk, upload):
    client.force_login(front_desk)
    job = _job(upload(_workbook(FIXTURE_ROWS)))
    response = client.get(reverse("imports:rejected", args=[job.pk]))
    rows = _sheet(response)
    assert rows[0] == tuple(REJECTED_HEADERS)
    assert REJECTED_HEADERS[-1] == "原因"
    by_row = {row[0]: row for row in rows[1:]}
    assert list(by_row) == list(EXPECTED_ERRORS)
    assert {n: row[-1] for n, row in by_row.items()} == {
        n: "；".join(errors) for n, errors in EXPECTED_ERRORS.items()}
    # Each cell comes back as text under its own header, ready to fix and import again.
    assert by_row[7][1:4] == ("孙七", "13800000001", "")
    assert by_row[10][1:3] + by_row[10][6:7] == ("郑十", "13800000010", "2025-13-45")
    assert by_row[11][9:11] == ("经典婚纱照", "五千")
    # A name that a spreadsheet would run as a formula is neutralised.
    assert by_row[15][1] == "'" + INJECTION
    entry = AuditEntry.objects.get(action=AuditAction.EXPORT)
    assert (entry.actor, entry.detail["rows"], entry.detail["source"]) == (
        front_desk, len(EXPECTED_ERRORS), "客户资料.xlsx")


def test_the_rejected_sheet_imports_again_once_fixed(client, world, front_desk, upload):
    client.force_login(front_desk)
    job = _job(upload(_workbook(FIXTURE_ROWS)))
    sheet = load_workbook(BytesIO(b"".join(
        client.get(reverse("imports:rejected", args=[job.pk])).streaming_content)))
    second = header_row(sheet.active) + 2  # under the heading rows (title, 门店...) and header
    assert sheet.active[f"B{second}"].value == "赵六"
    sheet.active[f"C{second}"] = "13800000006"  # with a good mobile now
    out = BytesIO()
    sheet.save(out)
    preview = import_preview(data=out.getvalue(), store=world)
    # 孙七 is no longer a duplicate: 王芳, whose mobile it repeated, is not in this sheet.
    assert [(row.number, row.customer.name) for row in preview.valid] == [
        (second, "赵六"), (second + 1, "孙七")]
    assert preview.sheet.ignored == ["行号", "原因"]


# --- the import ------------------------------------------------------------------------------

def test_confirming_imports_the_valid_rows_with_their_orders_and_deposits(
        client, world, front_desk, upload, confirm):
    client.force_login(front_desk)
    preview = upload(_workbook(FIXTURE_ROWS))
    job = _job(preview)
    response = confirm(preview)
    assert response.status_code == 200
    assert "已导入 3 位客户，2 个订单，2 笔定金。" in response.content.decode()
    job.refresh_from_db()
    assert job.status == ImportStatus.DONE
    assert job.summary["done"] == {"customers": 3, "orders": 2, "payments": 2}
    imported = Customer.objects.filter(store=world, mobile__in=[
        "13800000001", "13800000002", "13900000002"])
    assert imported.count() == 3
    assert not imported.filter(assigned_to__isnull=False).exists()
    assert Customer.objects.filter(store=world).count() == 4  # with the existing one, no more
    orders = Order.objects.filter(customer__in=imported).order_by("customer__mobile")
    assert [(o.customer.name, o.amount, o.paid_total, o.consultant, o.current_stage) for o in orders] == [
        ("李雷", Decimal("6999.00"), Decimal("2000.00"), front_desk, StageKind.GOWN),
        ("冯十三", Decimal("1999.00"), Decimal("500.00"), front_desk, StageKind.SHOOT)]
    assert set(Payment.objects.values_list("kind", "received_by")) == {(PaymentKind.DEPOSIT, front_desk.pk)}
    entry = AuditEntry.objects.get(action=AuditAction.IMPORT)
    assert (entry.actor, entry.ip_address, entry.detail) == (front_desk, "127.0.0.1", {
        "file": "客户资料.xlsx", "store": world.pk, "customers": 3, "orders": 2, "payments": 2,
        "rejected": len(EXPECTED_ERRORS)})
    # The cells wait no longer; the rejected rows stay for the download until the sweep.
    assert [path.name for path in import_folder().iterdir()] == [f"{front_desk.pk}-{job.pk}.json"]
    # After the import the download still gives the rows rejected then, not the imported ones.
    rows = _sheet(client.get(reverse("imports:rejected", args=[job.pk])))
    assert [row[0] for row in rows[1:]] == list(EXPECTED_ERRORS)


def test_confirming_twice_imports_once(client, world, front_desk, upload, confirm):
    client.force_login(front_desk)
    preview = upload(_workbook(FIXTURE_ROWS))
    confirm(preview)
    again = confirm(preview)
    assert "已导入 3 位客户" in again.content.decode()
    assert Customer.objects.filter(store=world).count() == 4
    assert AuditEntry.objects.filter(action=AuditAction.IMPORT).count() == 1


def test_a_customer_registered_after_the_preview_brings_the_preview_back(
        client, world, front_desk, upload, confirm):
    client.force_login(front_desk)
    preview = upload(_workbook(FIXTURE_ROWS))
    CustomerFactory(store=world, mobile="13800000002")  # 李雷 walked in meanwhile
    response = confirm(preview)
    page = response.content.decode()
    assert "预览之后数据有变化" in page
    assert "本门店已有使用该手机号的客户" in re.search(r'<tr data-row="4">(.*?)</tr>', page, re.S)[1]
    assert _job(response).status == ImportStatus.READY
    assert _digest(response) != _digest(preview)
    assert not Customer.objects.filter(mobile="13800000001").exists()
    assert not Order.objects.exists()
    # Confirmed again, from the new preview, the two rows still valid go in.
    assert "已导入 2 位客户" in confirm(response).content.decode()


def test_a_page_older_than_the_preview_is_not_confirmed(client, world, front_desk, upload, confirm):
    client.force_login(front_desk)
    preview = upload(_workbook(FIXTURE_ROWS))
    response = confirm(preview, digest="0" * 16)
    assert "预览之后数据有变化" in response.content.decode()
    assert _job(response).status == ImportStatus.READY
    assert not Customer.objects.filter(mobile="13800000001").exists()


def test_a_failure_on_any_row_imports_nothing(world, front_desk):
    preview = import_preview(data=_workbook(FIXTURE_ROWS), store=world)
    # Rows 3 and 4 (with its order) go in first; row 13's package is withdrawn after the preview.
    Package.objects.filter(name="宝宝成长套系").update(is_active=False)
    with pytest.raises(ValidationError, match="第 13 行导入失败"):
        customers_import(rows=preview.rows, store=world, by=front_desk)
    assert Customer.objects.filter(store=world).count() == 1
    assert not Order.objects.exists() and not Payment.objects.exists()


def test_a_general_manager_imports_into_the_store_they_pick(
        client, world, other_store, general_manager, upload, confirm):
    client.force_login(general_manager)
    response = upload(_workbook(FIXTURE_ROWS), store=other_store.pk)
    page = response.content.decode()
    # In the other store 13900000002 is taken and 13900000001 is new.
    assert "本门店已有使用该手机号的客户" in re.search(r'<tr data-row="13">(.*?)</tr>', page, re.S)[1]
    assert '<tr data-row="8">' in re.search(r'data-testid="valid">(.*?)</table>', page, re.S)[1]
    confirm(response)
    assert Customer.objects.filter(store=other_store, mobile="13900000001", name="周八").exists()


def test_the_store_of_a_store_employee_cannot_be_chosen(
        client, world, other_store, front_desk, upload, confirm):
    client.force_login(front_desk)
    response = upload(_workbook(FIXTURE_ROWS), store=other_store.pk)
    assert _job(response).store == world
    confirm(response)
    assert Customer.objects.filter(store=world, mobile="13800000001").exists()
    assert not Customer.objects.filter(store=other_store, mobile="13800000001").exists()


def test_an_upload_belongs_to_its_uploader(client, world, front_desk, manager, upload):
    client.force_login(front_desk)
    preview = upload(_workbook(FIXTURE_ROWS))
    job = _job(preview)
    client.force_login(manager)  # same store, more rights: still not theirs
    for name in ("imports:job", "imports:status", "imports:rejected"):
        assert client.get(reverse(name, args=[job.pk])).status_code == 404, name
    assert client.post(reverse("imports:confirm", args=[job.pk]),
                       {"digest": _digest(preview)}).status_code == 404
    assert client.get("/customers/import/12g/").status_code == 404
    assert not Customer.objects.filter(mobile="13800000001").exists()
    job.refresh_from_db()
    assert job.status == ImportStatus.READY


# --- files refused before parsing ------------------------------------------------------------

@functools.cache
def _bomb(size: int, *, entries: int = 1) -> bytes:
    """A zip that names the xlsx parts, with `size` bytes of zeros in each sheet."""
    out = BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", b'<Types><Override PartName="/xl/workbook.xml" '
                         b'ContentType="' + XLSX.encode() + b'.main+xml"/></Types>')
        archive.writestr("xl/workbook.xml", b"<workbook/>")
        chunk = b"\0" * (1024 * 1024)
        for i in range(entries):
            with archive.open(f"xl/worksheets/sheet{i + 1}.xml", "w") as sheet:
                for _ in range(size // len(chunk)):
                    sheet.write(chunk)
    return out.getvalue()


def _not_xlsx_zip() -> bytes:
    out = BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("readme.txt", "hello")
    return out.getvalue()


@pytest.mark.parametrize(("data", "code"), [
    pytest.param(b"\0" * (MAX_FILE_BYTES + 1), "too_big", id="too big"),
    pytest.param(b"<html><body><script>alert(1)</script></body></html>", "not_xlsx", id="html"),
    pytest.param("姓名,手机号\n王五,13812345678\n".encode(), "not_xlsx", id="csv"),
    pytest.param(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 512, "not_xlsx", id="old xls"),
    pytest.param(_not_xlsx_zip(), "not_xlsx", id="a zip but not a workbook"),
    pytest.param(_bomb(48 * 1024 * 1024), "zip_bomb", id="inflates past the cap"),
    pytest.param(_bomb(8 * 1024 * 1024), "zip_bomb", id="compression ratio"),
])
def test_files_that_are_not_a_plain_xlsx_are_refused_before_parsing(data, code):
    with pytest.raises(ValidationError) as refused:
        import_file_check(data)
    assert refused.value.code == code


def test_a_zip_bomb_is_refused_from_its_directory_without_inflating_it():
    bomb = bytearray(_bomb(48 * 1024 * 1024))
    # Spoil the compressed data (but not the directory at the end): inflating would now fail
    # with a zlib error instead of the refusal.
    middle = len(bomb) // 2
    bomb[middle:middle + 64] = b"\xff" * 64
    with pytest.raises(ValidationError) as refused:
        import_file_check(bytes(bomb))
    assert refused.value.code == "zip_bomb"


@pytest.mark.parametrize(("name", "data", "message"), [
    ("客户.xlsx", b"<!DOCTYPE html><html><body>login</body></html>", "文件不是 Excel 工作簿"),
    ("客户.xlsx", _bomb(48 * 1024 * 1024), "疑似压缩炸弹"),
    ("客户.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 512, "另存为 .xlsx"),
    ("大文件.xlsx", b"PK\x03\x04" + b"\0" * MAX_FILE_BYTES, "文件太大"),
])
def test_the_upload_page_refuses_them_with_the_reason(client, front_desk, upload, name, data, message):
    """Refused in the request, from the zip's directory, before a job or a worker (issue 10)."""
    client.force_login(front_desk)
    started = time.monotonic()
    response = upload(data, name=name)
    assert time.monotonic() - started < 2  # the 48 MB bomb included: nothing is inflated
    assert response.status_code == 200
    assert message in response.content.decode()
    assert 'data-testid="error-file"' in response.content.decode()
    assert not ImportJob.objects.exists()
    assert not import_folder().exists() or not any(import_folder().iterdir())


# --- who may import --------------------------------------------------------------------------

@pytest.mark.parametrize("role", [Role.FRONT_DESK, Role.STORE_MANAGER, Role.GENERAL_MANAGER])
def test_front_desk_store_manager_and_general_manager_may_import(client, staff_of, role):
    client.force_login(staff_of(role).user)
    response = client.get(reverse("imports:upload"))
    assert response.status_code == 200
    assert ('name="store"' in response.content.decode()) == (role == Role.GENERAL_MANAGER)


def test_a_specialist_may_not_import(client, world, specialist, front_desk, upload):
    client.force_login(front_desk)
    preview = upload(_workbook(FIXTURE_ROWS))
    job = _job(preview)
    client.force_login(specialist)
    assert client.get(reverse("imports:upload")).status_code == 403
    assert upload(_workbook(FIXTURE_ROWS)).status_code == 403
    assert client.post(reverse("imports:confirm", args=[job.pk]),
                       {"digest": _digest(preview)}).status_code == 403
    for name in ("imports:job", "imports:status", "imports:rejected"):
        assert client.get(reverse(name, args=[job.pk])).status_code == 403, name
    assert ImportJob.objects.count() == 1
    assert not Customer.objects.filter(mobile="13800000001").exists()


@pytest.mark.clock
def test_an_old_order_keeps_its_date_from_the_sheet(world, front_desk, package):
    """下单日期: an imported order, its 定单 stage and its deposit are dated then, so this
    month's figures count only this month's sales; a future date or a date without a package
    is refused."""
    header = ["姓名", "手机号", "套系", "已付定金", "下单日期"]
    rows = {2: ["老订单", 13800000021, package.name, 1000, date(2024, 5, 20)],
            3: ["新订单", 13800000022, package.name, None, None],
            4: ["未来", 13800000023, package.name, None, "2099-01-01"],
            5: ["无套系", 13800000024, None, None, "2024-05-20"]}
    preview = import_preview(data=_workbook(rows, header=header, title_line=None), store=world)
    assert _errors(preview) == {4: ["下单日期不能晚于今天：2099-01-01"],
                                5: ["填写了下单日期，但没有填套系"]}
    customers_import(rows=preview.rows, store=world, by=front_desk)
    old = Order.objects.get(customer__name="老订单")
    assert timezone.localtime(old.created_at).date() == date(2024, 5, 20)
    first_stage = old.stages.get(kind=StageKind.ORDER)
    assert timezone.localtime(first_stage.completed_at).date() == date(2024, 5, 20)
    assert timezone.localtime(old.payments.get().paid_at).date() == date(2024, 5, 20)
    new = Order.objects.get(customer__name="新订单")
    assert timezone.localtime(new.created_at).date() == timezone.localdate()


def test_imports_parse_xml_with_defusedxml():
    """openpyxl uses defusedxml when it is installed (entity expansion and external entities
    refused while parsing an imported sheet)."""
    from openpyxl.xml import DEFUSEDXML

    assert DEFUSEDXML is True


# --- a corpus of malformed workbooks: every one answers with a message, never a 500 -----------

def _workbook_with(replace: dict[str, bytes] | None = None, drop: tuple[str, ...] = ()) -> bytes:
    """A real workbook with some of its parts replaced, added or removed."""
    source = zipfile.ZipFile(BytesIO(_workbook(FIXTURE_ROWS)))
    replace = replace or {}
    out = BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for item in source.infolist():
            if item.filename in drop:
                continue
            archive.writestr(item.filename, replace.get(item.filename, source.read(item)))
        for name in replace.keys() - set(source.namelist()):
            archive.writestr(name, replace[name])
    return out.getvalue()


def _with_shared_strings(strings: bytes) -> bytes:
    """A workbook whose sheet takes its text from a shared-strings part (openpyxl writes inline
    text, Excel writes this)."""
    types = zipfile.ZipFile(BytesIO(_workbook(FIXTURE_ROWS))).read("[Content_Types].xml").replace(
        b"</Types>", b'<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
        b'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>')
    sheet = (b'<?xml version="1.0"?>\n' + MAIN + b'<sheetData><row r="1"><c r="A1" t="s"><v>0</v></c>'
             b'<c r="B1" t="s"><v>1</v></c></row></sheetData></worksheet>')
    return _workbook_with({"[Content_Types].xml": types, "xl/sharedStrings.xml": strings, SHEET: sheet})


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>
<row r="1"><c r="A1" t="inlineStr"><is><t>&lol3;</t></is></c></row></sheetData></worksheet>"""
EXTERNAL_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE x [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>
<row r="1"><c r="A1" t="inlineStr"><is><t>&secret;</t></is></c></row></sheetData></worksheet>"""
SHEET = "xl/worksheets/sheet1.xml"
MAIN = b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
# Ten levels of ten: a billion "lol"s if expanded.
DEEP_LAUGHS = (b'<?xml version="1.0"?>\n<!DOCTYPE lolz [<!ENTITY lol0 "lol">'
               + b"".join(b'<!ENTITY lol%d "%s">' % (i, b"".join(b"&lol%d;" % (i - 1) for _ in range(10)))
                          for i in range(1, 10))
               + b"]>" + MAIN + b'<sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>&lol9;</t>'
               + b"</is></c></row></sheetData></worksheet>")
# One 100 KB entity referenced a thousand times: 100 MB of text from a few hundred KB.
QUADRATIC = (b'<?xml version="1.0"?>\n<!DOCTYPE q [<!ENTITY a "' + b"a" * 100_000 + b'">]>' + MAIN
             + b'<sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>' + b"&a;" * 1000
             + b"</t></is></c></row></sheetData></worksheet>")
HUGE_DIMENSION = (b'<?xml version="1.0"?>\n' + MAIN + b'<dimension ref="A1:XFD1048576"/><sheetData>'
                  b'<row r="1"><c r="A1" t="inlineStr"><is><t>\xe5\xa7\x93\xe5\x90\x8d</t></is></c>'
                  b'<c r="B1" t="inlineStr"><is><t>\xe6\x89\x8b\xe6\x9c\xba\xe5\x8f\xb7</t></is></c>'
                  b'<c r="XFD1" t="n"><v>1</v></c></row>'
                  b'<row r="100000"><c r="A100000" t="inlineStr"><is><t>x</t></is></c>'
                  b'<c r="B100000" t="n"><v>13800000001</v></c></row></sheetData></worksheet>')
DEEP_NESTING = (b'<?xml version="1.0"?>\n' + MAIN + b'<sheetData><row r="1"><c r="A1" t="inlineStr"><is>'
                + b"<t>" * 100_000 + b"</t>" * 100_000 + b"</is></c></row></sheetData></worksheet>")


def _lying_directory() -> bytes:
    """A workbook whose directory says its sheet inflates to 100 bytes: it inflates to more."""
    data = bytearray(_workbook(FIXTURE_ROWS))
    entry = zipfile.ZipFile(BytesIO(bytes(data))).getinfo(SHEET)
    struct.pack_into("<I", data, entry.header_offset + 22, 100)  # the local header's size
    central = data.index(b"PK\x01\x02")  # the directory's entries, the sheet's among them
    while data[central + 46:central + 46 + len(SHEET)] != SHEET.encode():
        central = data.index(b"PK\x01\x02", central + 4)
    struct.pack_into("<I", data, central + 24, 100)  # the central directory's size
    return bytes(data)


MALFORMED = {
    "empty file": b"",
    "truncated workbook": _workbook(FIXTURE_ROWS)[:700],
    "sheet is not xml": _workbook_with({SHEET: b"\x00\xff garbage <<<"}),
    "sheet xml cut short": _workbook_with({SHEET: b"<?xml version='1.0'?><worksheet><sheetData><row>"}),
    "billion laughs in the sheet": _workbook_with({SHEET: BILLION_LAUGHS}),
    "external entity in the sheet": _workbook_with({SHEET: EXTERNAL_ENTITY}),
    "no sheet part": _workbook_with(drop=(SHEET,)),
    "no styles": _workbook_with(drop=("xl/styles.xml",)),
    "workbook.xml broken": _workbook_with({"xl/workbook.xml": b"<workbook"}),
    "relationships broken": _workbook_with({"xl/_rels/workbook.xml.rels": b"not xml"}),
    "shared strings broken": _with_shared_strings(b"<sst><si><t>x"),
    "a cell with a bad reference": _workbook_with({SHEET: b"""<?xml version="1.0"?>
<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>
<row r="1"><c r="ZZZZZZ99999999" t="n"><v>abc</v></c></row></sheetData></worksheet>"""}),
    "a zip of something else": _not_xlsx_zip(),
    "an old .xls (OLE)": b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 4096,
    "billion laughs, ten levels": _workbook_with({SHEET: DEEP_LAUGHS}),
    "quadratic blowup": _workbook_with({SHEET: QUADRATIC}),
    "external entity in the shared strings": _with_shared_strings(
        b'<?xml version="1.0"?>\n<!DOCTYPE x [<!ENTITY secret SYSTEM "file:///etc/passwd">]>'
        b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        b"<si><t>&secret;</t></si><si><t>x</t></si></sst>"),
    "billion laughs in the shared strings": _with_shared_strings(
        DEEP_LAUGHS.split(MAIN)[0] + b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        b"<si><t>&lol9;</t></si><si><t>x</t></si></sst>"),
    "huge dimension, a far row and column": _workbook_with({SHEET: HUGE_DIMENSION}),
    "deeply nested xml": _workbook_with({SHEET: DEEP_NESTING}),
    "a directory that lies about the size": _lying_directory(),
}


@pytest.mark.parametrize("name", list(MALFORMED))
def test_a_malformed_workbook_gets_a_message_not_a_server_error(client, front_desk, upload, name):
    """Refused in the request from the zip's directory, or parsed by the worker's child process:
    entity expansion and external entities are refused by defusedxml, broken parts by the
    reader, and what is left by the child's limits; either way the page says so (issue 10)."""
    client.force_login(front_desk)
    client.raise_request_exception = False
    response = upload(MALFORMED[name], name="客户.xlsx")
    assert response.status_code == 200, (name, response.status_code)
    page = response.content.decode()
    job = ImportJob.objects.first()
    if job is None:  # refused in the request, with the reason
        assert 'data-testid="error-file"' in page, name
    else:  # refused by the worker with the reason, or (a part openpyxl can do without) previewed
        assert job.status in (ImportStatus.FAILED, ImportStatus.READY), (name, job.status)
        assert ('data-testid="import-error"' in page) == (job.status == ImportStatus.FAILED), name
        assert job.status == ImportStatus.FAILED or 'data-testid="import-summary"' in page, name
        assert job.error or job.status == ImportStatus.READY
    assert "root:" not in page  # an external entity was never resolved
    assert not Customer.objects.exists()
    assert not import_folder().exists() or not any(  # nothing left but a preview's rows
        path.suffix == ".xlsx" for path in import_folder().iterdir())
