"""Issue 17 item 19: every export prints like the seed's paper forms.

Each file is produced as a user gets it (the list's or report's URL with `export`, or the
registry's exporter through export_list) and read back with openpyxl: A4, landscape exactly when
its columns are wider than portrait, one page wide, the header row repeated on every page, the
report's name and the page numbers in the footer, title / 门店 / 打印时间 rows above the table,
percentages as percentages, one font in every cell, a report's tables on sheets of their own;
and a mobile is masked in the file whenever the page shows it masked.
"""
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth.models import Group
from django.http import QueryDict
from django.test import Client, RequestFactory
from django.urls import reverse
from openpyxl.utils import get_column_letter

from customers.validators import mask_mobile
from frontdesk.models import WalkOutReason
from frontdesk.schedule import booking_create
from orders.models import StageKind
from orders.services import order_create
from staff.models import Role
from studio import exports
from tests.factories import StaffMemberFactory
from tests.security.test_access_grid import CUSTOMERS, World, _list_names
from tests.xlsx import header_row, heading, workbook_of

# Late on a Monday, local time (15:50 UTC): the printed-at row is the studio's local time.
PRINTED = datetime(2026, 3, 16, 23, 50, tzinfo=ZoneInfo("Asia/Shanghai"))
PRINTED_ROW = "打印时间：2026-03-16 23:50"

# Every list that registers an exporter: a new one is added here (and so checked below).
REGISTERED = {
    "customers", "payments", "members", "callback_tasks", "complaints", "production",
    "late_production", "walkouts", "reworks",
    *(f"stage_list:{kind}" for kind in StageKind.values),
}
# Every page with an Excel download of its own, found by asking each list for `export=xlsx`.
DOWNLOADS = {
    "orders:customers", "orders:payments", "membership:list", "callbacks:list",
    "complaints:archive", "frontdesk:production", "frontdesk:late_production",
    "frontdesk:walkouts", "frontdesk:reworks", "frontdesk:calendar", "frontdesk:day_sheet",
    "frontdesk:handover", "frontdesk:visitors", "callbacks:summary", "complaints:statistics",
    *(f"orders:stage_list:{kind}" for kind in StageKind.values),
}
REPORTS_WITH_PERCENTAGES = {"frontdesk:visitors", "callbacks:summary", "complaints:statistics"}


@pytest.fixture
def printed(time_machine):
    time_machine.move_to(PRINTED, tick=False)


@pytest.fixture
def world(request, printed, db) -> World:
    made = World(request)
    # The access grid's objects; the bookings are tomorrow's shoots of a second order each (a
    # booking for later would stop the first order's stages from completing now).
    for name in ("callback", "complaint", "card", "rework", "product", "walkout", "followup",
                 "cashback", "gown", "location", "segment"):
        getattr(made, name)
    for day, (key, customer) in enumerate(made.customer.items(), start=1):
        order = order_create(customer=customer, package=made.package, by=made.desk_of(key))
        booking_create(stage=order.stages.get(kind=StageKind.SHOOT), by=made.desk_of(key),
                       starts_at=PRINTED.replace(hour=10, minute=0) + timedelta(days=day),
                       photographer=made.photographer["S02" if key == "X" else "S01"])
    return made


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _is_percentage(label: Any, header: Any) -> bool:
    """A figure that is a rate: in a column headed …率 or 占比, or on a row labelled …率."""
    return any(str(text or "").endswith(("率", "占比")) for text in (label, header))


def assert_prints_like_a_form(book, *, title: str | None = None) -> int:
    """Every sheet of `book` set up to print as the studio's forms; returns how many
    percentage cells it holds (each one formatted as a percentage)."""
    percentages = 0
    for sheet in book.worksheets:
        where = f"sheet {sheet.title!r}"
        h = header_row(sheet)
        assert sheet.print_title_rows == f"${h}:${h}", where  # repeated on every page
        assert sheet.freeze_panes == f"A{h + 1}", where
        header = [cell for cell in sheet[h] if cell.value is not None]
        assert header and all(cell.font.b for cell in header), where
        setup = sheet.page_setup
        assert str(setup.paperSize) == "9", where  # A4
        width = sum(sheet.column_dimensions[get_column_letter(cell.column)].width
                    for cell in header)
        assert setup.orientation == ("landscape" if width > exports.PORTRAIT_WIDTH
                                     else "portrait"), (where, width)
        assert (setup.fitToWidth, setup.fitToHeight) == (1, 0), where  # one page wide
        assert sheet.sheet_properties.pageSetUpPr.fitToPage is True, where
        lines = heading(sheet)
        name = title or lines[0]
        assert lines[0] == name and name, where
        assert any(str(line).startswith("门店：") for line in lines), (where, lines)
        assert lines[-1] == PRINTED_ROW, (where, lines)
        footer = sheet.oddFooter
        assert footer.left.text.startswith(name.replace("&", "&&")), (where, footer.left.text)
        assert "&P" in footer.right.text and "&N" in footer.right.text, where
        fonts = {cell.font.name for row in sheet.iter_rows() for cell in row}
        assert fonts == {exports.FONT_NAME}, (where, fonts)
        headers = {cell.column: cell.value for cell in sheet[h]}
        for row in sheet.iter_rows(min_row=h + 1):
            for cell in row:
                if (isinstance(cell.value, (int, float)) and not isinstance(cell.value, bool)
                        and _is_percentage(row[0].value, headers.get(cell.column))):
                    assert cell.number_format == exports.PERCENT_FORMAT, (where, cell.coordinate)
                    percentages += 1
    return percentages


# ---- the registry: every list export, through the export button's own path -----------------

def test_the_registry_is_the_list_of_exports_checked_here():
    assert set(exports._EXPORTERS) == REGISTERED


@pytest.mark.parametrize("name", sorted(REGISTERED))
def test_every_registered_export_prints_like_a_form(world, name):
    user = world.users["general_manager"]
    request = RequestFactory().get("/", {"export": "xlsx"})
    request.user = user
    export = exports._EXPORTERS[name](user, QueryDict())
    response = exports.export_list(request, name)
    book = workbook_of(response)
    assert len(book.worksheets) == 1
    assert_prints_like_a_form(book, title=str(export.title))
    assert "门店：全部门店" in heading(book.active)  # a general manager who picked no store


def test_a_list_export_names_its_store_and_period(world):
    client = _client(world.users["manager"])
    response = client.get(reverse("orders:payments"), {
        "export": "xlsx", "start": "2026-03-01", "end": "2026-03-16"})
    book = workbook_of(response)
    assert heading(book.active) == ["收款记录", "门店：人民路店", "期间：2026-03-01 至 2026-03-16",
                                    PRINTED_ROW]
    assert_prints_like_a_form(book)


def test_a_background_export_job_prints_like_a_form_too(world, tmp_path):
    path = tmp_path / "customers.xlsx"
    exports.export_to_file(name="customers", user=world.users["manager"], params={}, path=path)
    book = workbook_of(path.read_bytes())
    assert_prints_like_a_form(book, title="客户")
    assert heading(book.active)[1] == "门店：人民路店"


# ---- every download a page offers: lists, the day's sheets, reports ------------------------

def _downloads(client: Client, world: World) -> dict[str, Any]:
    """The .xlsx each page gives for `export=xlsx` (the handover and the segments as they ask)."""
    books = {}
    urls = {name: reverse(name) for name in _list_names()}
    urls.update({f"orders:stage_list:{kind}": reverse("orders:stage_list", args=[kind])
                 for kind in StageKind.values})
    for name, url in urls.items():
        params = {"export": "xlsx"}
        if name == "frontdesk:handover":
            params["store"] = world.s1.pk
        response = client.get(url, params)
        if response.status_code == 200 and response.get("Content-Type", "").startswith(
                exports.XLSX_CONTENT_TYPE):
            books[name] = (url, workbook_of(response))
    return books


def test_every_download_prints_like_a_form(world):
    books = _downloads(_client(world.users["general_manager"]), world)
    assert set(books) == DOWNLOADS
    for name, (_url, book) in books.items():
        percentages = assert_prints_like_a_form(book)
        if name in REPORTS_WITH_PERCENTAGES:
            assert percentages, f"{name}: no percentage cell"


def test_each_table_of_a_report_has_a_sheet_and_widths_of_its_own(world):
    client = _client(world.users["general_manager"])
    book = workbook_of(client.get(reverse("complaints:statistics"), {"export": "xlsx"}))
    assert len(book.worksheets) == 8
    measures, overall = book["改进对策"], book["总体情况"]
    # The measures' 60-wide text column no longer widens the overall figures' column C.
    assert measures.column_dimensions["C"].width == 60
    assert overall.column_dimensions["B"].width == 12 and overall.column_dimensions["C"].width != 60
    assert all(heading(sheet)[:2] == ["顾客投诉分类统计表", sheet.title] for sheet in book.worksheets)
    assert overall.oddFooter.left.text == "顾客投诉分类统计表 · 总体情况"


def test_the_segment_and_import_downloads_print_like_a_form(world):
    manager = world.users["manager"]
    client = _client(manager)
    segment = world.segment["S01"]
    book = workbook_of(client.get(reverse("membership:segments"),
                                  {"export": segment.pk, "store": world.s1.pk}))
    assert_prints_like_a_form(book, title=segment.name)
    assert heading(book.active)[1:3] == ["门店：人民路店", f"客户分组：{segment.name}"]
    job = world.import_job(manager)
    book = workbook_of(client.get(reverse("imports:rejected", args=[job.pk])))
    assert_prints_like_a_form(book, title="未导入的行")


def test_percentages_are_fractions_formatted_as_percentages(world):
    client = _client(world.users["manager"])
    book = workbook_of(client.get(reverse("frontdesk:visitors"), {"export": "xlsx"}))
    reasons = book["流失原因"]
    h = header_row(reasons)
    shares = {row[0].value: row[2] for row in reasons.iter_rows(min_row=h + 1)}
    # Both walk-outs of 人民路店 left over the price: 100%, stored as 1 and shown as 100.0%.
    price = str(WalkOutReason.PRICE.label)
    assert shares[price].value == 1 and shares[price].number_format == "0.0%"


# ---- mobiles: masked in the file whenever the page shows them masked -----------------------

@pytest.fixture
def masked_manager(world):
    """A store manager whose role lost 查看完整手机号: exports, but sees 139****0001."""
    user = StaffMemberFactory(role=Role.STORE_MANAGER, store=world.s1,
                              user__username="manager_masked").user
    group = Group.objects.create(name="店长（手机号打码）")
    group.permissions.set(Group.objects.get(name=user.groups.get().name).permissions.exclude(
        codename="view_full_mobile"))
    user.groups.set([group])
    assert not user.has_perm("customers.view_full_mobile")
    return user


@pytest.mark.parametrize("who", ["masked_manager", "photographer", "manager"])
def test_mobiles_are_masked_in_the_files_of_whoever_sees_them_masked(world, request, who):
    user = (request.getfixturevalue("masked_manager") if who == "masked_manager"
            else world.photographer["S01"] if who == "photographer" else world.users[who])
    reveal = user.has_perm("customers.view_full_mobile")
    client = _client(user)
    mobiles = [mobile for _name, mobile in CUSTOMERS.values()]
    full, masked = set(), set()
    for name, (_url, book) in _downloads(client, world).items():
        cells = " ".join(str(cell) for sheet in book.worksheets
                         for row in sheet.iter_rows(values_only=True) for cell in row)
        in_file = {m for m in mobiles if m in cells}
        assert reveal or not in_file, f"{who}: {name} shows {in_file} in full"
        full |= in_file
        masked |= {m for m in mobiles if mask_mobile(m) in cells}
    # The check reads real mobiles: the files hold them, in full or masked as the pages do.
    assert (full if reveal else masked), who
    assert not (masked if reveal else full), who
