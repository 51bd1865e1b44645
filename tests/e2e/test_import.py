"""The customer import through a browser, as the front desk does it: an old system's .xlsx with
three good rows and three bad ones is uploaded from the 客户管理 menu; the job's page waits for
the worker and shows the preview by itself (no reload by the test), with each bad row's reason;
the import is confirmed, the page again waits for the worker and shows the result by itself; the
customers are in the front desk's store; the sheet of rejected rows downloads with the reasons.

In tests Celery runs eagerly, so the worker's steps would be done before the job's page loads.
Here each step the server hands to the worker is held instead, and the test releases it (through
the real enqueue, the task then running eagerly in the test's thread) once the browser has shown
the waiting page and polled the job at least once: the page's part that asks for itself every
second (htmx, hx-trigger="every 1s") is what brings the preview and the result on screen, with
no reload of the page.
"""
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from io import BytesIO
from pathlib import Path

import pytest
from openpyxl import Workbook
from playwright.sync_api import expect

from customers.models import Customer
from imports import services as imports
from orders.models import Order, Payment
from staff.models import User
from studio.models import ImportJob, ImportStatus
from tests.xlsx import rows_of

pytestmark = pytest.mark.e2e

FILENAME = "老系统客户.xlsx"
HEADER = ["姓名", "手机号", "称呼", "来源", "婚期", "宝宝生日", "套系", "订单金额", "已付定金", "备注"]
GOOD = {  # Excel's row number (header on row 1) → the row; the name as the preview shows it
    2: (["王小美", "13512340001", "女士", "婚博会", "2026-10-01", None, "经典婚纱照", 6999, 2000,
         "喜欢海景"], "王小美女士"),
    3: (["李大明", "13512340002", "先生", "朋友介绍", None, None, None, None, None, None], "李大明先生"),
    4: (["张可可", "135 1234 0003", "小朋友家长", "抖音", None, "2024-03-08", None, None, None, None],
        "张可可小朋友家长"),
}
BAD_MOBILE, UNKNOWN_PACKAGE = "1234567", "不存在的套系"
FORMAT_HINT = "（应为 11 位，1 开头，第二位 3-9）"
POLL_WAIT_MS = 10_000  # the page polls every second; a reload and a render on top


def _bad_rows(taken_mobile: str) -> dict[int, tuple[list, str]]:
    """Excel's row number → the row and the reason the preview gives it."""
    return {
        5: (["赵错号", BAD_MOBILE, "女士", None, None, None, None, None, None, None],
            f"手机号格式不对：{BAD_MOBILE}{FORMAT_HINT}"),
        6: (["钱重复", taken_mobile, "先生", None, None, None, None, None, None, None],
            "本门店已有使用该手机号的客户"),
        7: (["孙未知", "13512340006", "女士", None, None, None, UNKNOWN_PACKAGE, 3000, None, None],
            f"未知套系：{UNKNOWN_PACKAGE}"),
    }


def _workbook(rows: dict[int, list]) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "客户资料"
    sheet.append(HEADER)
    for number, values in sorted(rows.items()):
        for col, value in enumerate(values, start=1):
            sheet.cell(number, col, value)
    out = BytesIO()
    workbook.save(out)
    return out.getvalue()


@dataclass
class HeldSteps:
    """The steps (preview, apply) the server handed to the worker, held until released."""

    held: list[tuple[str, int]] = field(default_factory=list)
    released: list[tuple[str, int]] = field(default_factory=list)

    def release(self, step: str) -> int:
        """Run the held `step` as the worker would (the real enqueue, eager here)."""
        matching = [held for held in self.held if held[0] == step]
        assert len(matching) == 1, f"expected one held {step!r} step, got {self.held}"
        self.held.remove(matching[0])
        self.released.append(matching[0])
        _real_enqueue(*matching[0])
        return matching[0][1]


_real_enqueue = imports._enqueue


@pytest.fixture
def held_steps(monkeypatch) -> Iterator[HeldSteps]:
    state = HeldSteps()
    # import_job_create and import_job_confirm queue `partial(_enqueue, step, job_id)` on commit
    # and look `_enqueue` up in the module when they do.
    monkeypatch.setattr(imports, "_enqueue", lambda step, job_id: state.held.append((step, job_id)))
    yield state


def _status_polls(page, live_server) -> list[dict]:
    """Record the job's status in every answer to the page's htmx polls of the job's URL."""
    seen: list[dict] = []
    pattern = re.compile(rf"^{re.escape(live_server.url)}/customers/import/\d+/$")

    def on_response(response) -> None:
        if (pattern.match(response.url) and response.ok
                and response.request.headers.get("hx-request") == "true"):
            status = re.search(r'data-testid="import-job" data-status="(\w+)"', response.text())
            seen.append({"status": status[1] if status else None})

    page.on("response", on_response)
    return seen


def _wait_for_poll(page, polls: list[dict], status: str) -> None:
    """Until the page has asked for the job's status and been told `status`."""
    for _ in range(POLL_WAIT_MS // 200):
        if any(poll["status"] == status for poll in polls):
            return
        page.wait_for_timeout(200)
    raise AssertionError(f"the page never polled a {status!r} job: {polls}")


def _download(page, link: str, folder: Path) -> Path:
    """Click the link `link`, and keep the download it starts in `folder`."""
    with page.expect_download() as download_info:
        page.get_by_role("link", name=link).click()
    download = download_info.value
    assert download.failure() is None
    assert re.fullmatch(r"未导入的行-\d{8}\.xlsx", download.suggested_filename), (
        download.suggested_filename)
    path = folder / download.suggested_filename
    download.save_as(path)
    return path


def _assert_rejected_sheet(path: Path, bad: dict[int, tuple[list, str]]) -> None:
    """The sheet has the import's headers, a 原因 column, and each bad row as read with its reason."""
    rows = rows_of(path.read_bytes())  # from the header row, under the title, 门店, 打印时间
    assert list(rows[0]) == imports.REJECTED_HEADERS
    assert rows[0][-1] == "原因"
    assert len(rows) - 1 == 3, rows
    by_row = {row[0]: row for row in rows[1:]}
    assert set(by_row) == set(bad)
    for number, (row, reason) in bad.items():
        assert by_row[number][-1] == reason
        assert by_row[number][1:3] == (row[0], row[1])  # name and mobile as they were read
    assert by_row[7][imports.REJECTED_HEADERS.index("套系")] == UNKNOWN_PACKAGE


def test_front_desk_imports_customers_from_excel_and_downloads_the_rejected_rows(
        login, live_server, held_steps, screenshot, artifact_screenshot, console_errors, tmp_path):
    front = User.objects.get(username="frontdesk")
    store = front.staff_profile.store
    taken = Customer.objects.filter(store=store).order_by("pk").first()
    bad = _bad_rows(taken.mobile)
    data = _workbook({number: row for number, (row, _) in {**GOOD, **bad}.items()})
    customers_before = Customer.objects.filter(store=store).count()
    orders_before, payments_before = Order.objects.count(), Payment.objects.count()
    page = login("frontdesk")
    polls = _status_polls(page, live_server)

    # --- from the home page, through the menu, to the upload form ---
    page.goto(f"{live_server.url}/")
    page.get_by_role("button", name="客户管理").click()
    with page.expect_navigation():
        page.locator(".dropdown-menu").get_by_role("link", name="导入客户").click()
    assert page.url == f"{live_server.url}/customers/import/"
    expect(page.get_by_role("heading", name="从 Excel 导入客户")).to_be_visible()
    assert not page.get_by_label("导入到门店").count()  # a store employee imports into their own

    upload = tmp_path / FILENAME
    upload.write_bytes(data)
    page.get_by_label("Excel 文件（.xlsx）").set_input_files(upload)
    with page.expect_navigation():
        page.get_by_role("button", name="上传并预览").click()

    # --- the job, queued: the page waits for the worker and polls ---
    job = ImportJob.objects.get(user=front)
    assert page.url == f"{live_server.url}/customers/import/{job.pk}/"
    assert (job.status, job.store, job.filename) == (ImportStatus.QUEUED, store, FILENAME)
    assert held_steps.held == [("preview", job.pk)]
    card = page.get_by_test_id("import-job")
    expect(card).to_have_attribute("data-status", "queued")
    expect(page.get_by_test_id("import-status")).to_have_text("排队中")
    expect(page.get_by_role("progressbar", name="导入进度")).to_be_visible()
    expect(page.get_by_text("正在后台读取并检查文件，完成后本页自动显示预览。")).to_be_visible()
    expect(page.get_by_role("heading", name=f"导入客户 · {store.name}")).to_be_visible()
    page.evaluate("window.__samePage = true")  # gone if the page reloads
    _wait_for_poll(page, polls, "queued")

    # --- the worker previews it; the page shows the preview by itself ---
    held_steps.release("preview")
    job.refresh_from_db()
    assert job.status == ImportStatus.READY, job.error
    expect(page.get_by_role("heading", name=f"导入客户 · 预览 · {store.name}")).to_be_visible(
        timeout=POLL_WAIT_MS)
    assert page.url == f"{live_server.url}/customers/import/{job.pk}/"
    assert page.evaluate("window.__samePage === true")  # swapped in place, not reloaded
    expect(page).to_have_title(re.compile("导入客户 · 预览"))
    expect(page.get_by_test_id("import-summary")).to_have_text(
        "可导入 3 行（其中 1 行同时建订单），不能导入 3 行。")
    rejected = page.get_by_test_id("rejected")
    expect(rejected.locator("tbody tr")).to_have_count(3)
    for number, (row, reason) in bad.items():
        cells = rejected.locator(f'tr[data-row="{number}"] td')
        expect(cells).to_have_text([str(number), row[0], row[1], row[6] or "-", reason])
    valid = page.get_by_test_id("valid")
    expect(valid.locator("tbody tr")).to_have_count(3)
    for number, (_row, shown) in GOOD.items():
        expect(valid.locator(f'tr[data-row="{number}"] td').nth(1)).to_have_text(shown)
    expect(valid.locator('tr[data-row="2"] td')).to_have_text(
        ["2", "王小美女士", "13512340001", "婚博会/展会", "2026-10-01", "-", "经典婚纱照",
         "¥6,999.00", "¥2,000.00"])
    expect(valid.locator('tr[data-row="4"] td').nth(2)).to_have_text("13512340003")
    assert artifact_screenshot("customer-import-preview").stat().st_size > 0
    assert not Customer.objects.filter(mobile__startswith="1351234").exists()  # nothing yet

    # --- the rejected rows' sheet, from the preview: each bad row with its reason ---
    _assert_rejected_sheet(_download(page, "下载不能导入的行（含原因）", tmp_path / "preview"), bad)

    # --- confirm: the page waits for the worker again, then shows the result by itself ---
    with page.expect_navigation():
        page.get_by_role("button", name="确认导入 3 行").click()
    job.refresh_from_db()
    assert job.status == ImportStatus.CONFIRMED
    assert held_steps.held == [("apply", job.pk)]
    expect(card).to_have_attribute("data-status", "confirmed")
    expect(page.get_by_test_id("import-status")).to_have_text("待导入")
    expect(page.get_by_text("正在后台导入，完成后本页自动显示结果。")).to_be_visible()
    _wait_for_poll(page, polls, "confirmed")
    assert not Customer.objects.filter(mobile__startswith="1351234").exists()

    held_steps.release("apply")
    job.refresh_from_db()
    assert job.status == ImportStatus.DONE, job.error
    done = page.get_by_test_id("import-done")
    expect(done).to_be_visible(timeout=POLL_WAIT_MS)
    expect(page.get_by_role("heading", name=f"导入完成 · {store.name}")).to_be_visible()
    expect(done).to_contain_text("已导入 3 位客户，1 个订单，1 笔定金。")
    expect(done).to_contain_text("另有 3 行未导入。")
    expect(page.get_by_role("link", name="继续导入")).to_be_visible()
    assert screenshot("customer-import-done").stat().st_size > 0
    done_rejected = page.get_by_test_id("rejected")
    expect(done_rejected.locator("tbody tr")).to_have_count(3)
    for number, (row, reason) in bad.items():
        expect(done_rejected.locator(f'tr[data-row="{number}"] td')).to_have_text(
            [str(number), row[0], row[1], reason])
    assert page.url == f"{live_server.url}/customers/import/{job.pk}/"

    # --- the customers, in the front desk's store, unassigned; the order and its deposit ---
    imported = Customer.objects.filter(mobile__in=["13512340001", "13512340002", "13512340003"])
    assert sorted(imported.values_list("name", "store_id", "assigned_to")) == sorted(
        (row[0], store.pk, None) for row, _ in GOOD.values())
    assert Customer.objects.filter(store=store).count() == customers_before + 3
    assert not Customer.objects.filter(name__in=[row[0] for row, _ in bad.values()]).exists()
    wang = imported.get(mobile="13512340001")
    assert (wang.wedding_on, wang.notes) == (date(2026, 10, 1), "喜欢海景")
    assert imported.get(mobile="13512340003").child_birthday_on == date(2024, 3, 8)
    order = Order.objects.get(customer=wang)
    assert (order.package.name, order.amount) == ("经典婚纱照", Decimal("6999.00"))
    assert Order.objects.count() == orders_before + 1
    assert Payment.objects.count() == payments_before + 1
    assert job.summary["done"] == {"customers": 3, "orders": 1, "payments": 1}

    # --- the rejected rows' sheet, from the result, to fix and upload again ---
    _assert_rejected_sheet(_download(page, "下载未导入的行（含原因）", tmp_path / "done"), bad)

    # --- both steps went through the worker's queue once each; nothing failed in the page ---
    assert held_steps.held == []
    assert held_steps.released == [("preview", job.pk), ("apply", job.pk)]
    assert console_errors == []
