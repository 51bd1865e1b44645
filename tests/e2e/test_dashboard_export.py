"""Issue 8 through a browser: the store manager opens the dashboard (every ECharts chart paints,
no JavaScript error, a screenshot kept as a CI artifact), exports a customer list too large for
a direct download, watches the job's progress bar move, and downloads the Excel file.

In tests Celery runs eagerly, so a job would be finished before its progress page loads. Here
the job runs in a thread of its own instead (a worker stand-in), slowed down a little at each
progress report and held at the report past half its rows until the browser has shown it.
"""
import re
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
from django.db import connections
from django.http import QueryDict
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import expect

from customers.exports import export_customers
from customers.models import Customer
from customers.selectors import customers_visible_to
from staff.models import Store, User
from studio import exports
from studio.models import AuditAction, AuditEntry, ExportJob, ExportStatus
from tests.xlsx import rows_of

pytestmark = pytest.mark.e2e

EXTRA_CUSTOMERS = 300   # with the demo's, the manager's store lists a few more than this
BACKGROUND_ROWS = 100   # above this many rows an export becomes a job (the setting is 5000)
PROGRESS_EVERY = 20     # rows between two progress reports (1000 in production)
STEP_DELAY = 0.12       # seconds per later report, so the bar takes a few polls to fill
HOLD_TIMEOUT = 30       # seconds the job waits at its first report for the browser at most

CHARTS = '[id^="chart-"]'  # the dashboard's chart containers (ECharts draws into each)
MIN_CHARTS = 4             # targets, revenue, funnel, durations (complaints only with some)

# Every value the progress bar's aria-valuenow takes, recorded in the page as it changes.
RECORD_PROGRESS = """
window.__progressSeen = [];
new MutationObserver(function (records) {
  records.forEach(function (record) {
    window.__progressSeen.push(Number(record.target.getAttribute("aria-valuenow")));
  });
}).observe(document, {subtree: true, attributes: true, attributeFilter: ["aria-valuenow"]});
"""

# For each chart container: its drawing surface (canvas or svg), its size, and whether any pixel
# (or SVG shape) was painted; an empty container or a blank canvas is a chart that did not render.
CHART_SURFACES = """
(selector) => Array.from(document.querySelectorAll(selector)).map((box) => {
  const surface = box.querySelector("canvas, svg");
  if (!surface) { return {id: box.id, surface: null}; }
  const rect = surface.getBoundingClientRect();
  let painted = false;
  if (surface.tagName.toLowerCase() === "svg") {
    painted = surface.querySelector("path, rect, circle, text") !== null;
  } else if (surface.width && surface.height) {
    const pixels = surface.getContext("2d").getImageData(0, 0, surface.width, surface.height).data;
    for (let i = 3; i < pixels.length; i += 4) { if (pixels[i]) { painted = true; break; } }
  }
  return {id: box.id, surface: surface.tagName.toLowerCase(), width: rect.width,
          height: rect.height, painted: painted};
})
"""


@dataclass
class BackgroundExports:
    """Export jobs run by a thread each, as a worker would; the first progress report of at
    least `hold_at_rows` rows is written, then waits for `release` (set once the browser has
    shown it). `held_rows`: the rows of that report."""

    hold_at_rows: int = 1
    held_rows: int = 0
    reported: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)
    threads: list[threading.Thread] = field(default_factory=list)
    finished: list[int] = field(default_factory=list)
    errors: list[BaseException] = field(default_factory=list)


@pytest.fixture
def background_exports(live_server, settings, monkeypatch) -> Iterator[BackgroundExports]:
    settings.EXPORT_BACKGROUND_ROWS = BACKGROUND_ROWS
    monkeypatch.setattr(exports, "PROGRESS_EVERY", PROGRESS_EVERY)
    state = BackgroundExports()
    report = exports._progress

    def held_then_slowed_progress(job_id: int, rows: int) -> None:
        report(job_id, rows)
        if not state.reported.is_set() and rows >= state.hold_at_rows:
            state.held_rows = rows
            state.reported.set()
            state.release.wait(timeout=HOLD_TIMEOUT)
        else:
            time.sleep(STEP_DELAY)

    monkeypatch.setattr(exports, "_progress", held_then_slowed_progress)
    # SQLite's test database lives in memory, one per connection: the live server shares the
    # test's connection with its threads (connections_override), and so does the job's thread.
    # PostgreSQL (no override) gives the thread a connection of its own, closed when it ends.
    shared = dict(live_server.thread.connections_override)

    def run(job_id: int) -> None:
        for alias, connection in shared.items():
            connections[alias] = connection
        try:
            job = exports.export_job_run(job_id)
            state.finished.append(job.pk)
        except BaseException as exc:  # reported by the test, not lost in the thread
            state.errors.append(exc)
        finally:
            connections.close_all()  # an in-memory SQLite connection ignores it

    def enqueue(job_id: int) -> None:  # instead of run_export_task.delay(job_id)
        thread = threading.Thread(target=run, args=(job_id,), name=f"export-job-{job_id}",
                                  daemon=True)
        state.threads.append(thread)
        thread.start()

    monkeypatch.setattr(exports, "export_job_enqueue", enqueue)
    yield state
    state.release.set()
    for thread in state.threads:
        thread.join(timeout=HOLD_TIMEOUT)
    assert not any(thread.is_alive() for thread in state.threads), "an export job never ended"


def _many_customers(store_code: str, count: int) -> None:
    store = Store.objects.get(code=store_code)
    specialist = User.objects.get(username="specialist1")
    Customer.objects.bulk_create(
        Customer(store=store, name=f"导出客户{i:04d}", mobile=f"1770000{i:04d}",
                 assigned_to=specialist if i % 2 else None, is_vip=i % 7 == 0)
        for i in range(count))


def _chart_surfaces(page) -> list[dict]:
    try:  # until every container holds a painted surface (ECharts animates its first frames)
        page.wait_for_function(
            f"(selector) => {{ const charts = ({CHART_SURFACES})(selector);"
            f" return charts.length >= {MIN_CHARTS} && charts.every((c) => c.painted"
            f" && c.width > 0 && c.height > 0); }}",
            arg=CHARTS, polling=200, timeout=10_000)
    except PlaywrightError:
        pass  # the assertions below tell which chart is missing
    return page.evaluate(CHART_SURFACES, CHARTS)


def test_manager_sees_the_dashboard_charts_then_exports_a_large_list_and_downloads_it(
        login, live_server, background_exports, artifact_screenshot, console_errors, tmp_path):
    _many_customers("S01", EXTRA_CUSTOMERS)
    manager = User.objects.get(username="manager")
    visible = customers_visible_to(manager)
    total = visible.count()
    assert total > BACKGROUND_ROWS
    mobiles = set(visible.values_list("mobile", flat=True))
    headers = [str(c.header) for c in export_customers(manager, QueryDict()).columns]
    page = login("manager")

    # --- the dashboard: every chart draws on a surface of its own, and nothing fails ---
    page.get_by_test_id("nav-dashboards").click()
    with page.expect_navigation():
        page.get_by_role("link", name="店长经营看板").click()
    assert page.url == f"{live_server.url}/dashboards/manager/"
    expect(page.get_by_role("heading", name="店长经营看板")).to_be_visible()
    expect(page.get_by_test_id("dashboard-scope")).to_contain_text("人民路店")
    charts = _chart_surfaces(page)
    assert len(charts) >= MIN_CHARTS, charts
    for chart in charts:
        assert chart["surface"] in ("canvas", "svg"), chart
        assert chart["width"] > 0 and chart["height"] > 0, chart
        assert chart["painted"], chart
    page.wait_for_timeout(1000)  # let the charts' opening animation end before the picture
    assert artifact_screenshot("manager-dashboard").stat().st_size > 0
    assert console_errors == []

    # --- the customer list: more rows than a direct download allows ---
    page.get_by_role("button", name="客户管理").click()
    with page.expect_navigation():
        page.locator(".dropdown-menu").get_by_role("link", name="客户查询").click()
    assert page.url == f"{live_server.url}/customers/"
    assert re.search(rf"共 {total} 条", page.locator("main").inner_text())

    background_exports.hold_at_rows = total // 2
    page.add_init_script(RECORD_PROGRESS)
    with page.expect_navigation():
        page.get_by_test_id("export").click()
    match = re.fullmatch(rf"{re.escape(live_server.url)}/exports/(\d+)/", page.url)
    assert match, page.url
    expect(page.get_by_role("heading", name="导出：客户")).to_be_visible()

    # --- the progress bar: seen part-way, then full, then the download link ---
    assert background_exports.reported.wait(timeout=15), "the export job never got half-way"
    held = background_exports.held_rows
    midway = held * 100 // total
    assert 0 < midway < 100
    progress = page.get_by_test_id("export-progress")
    expect(progress).to_have_attribute("aria-valuenow", str(midway), timeout=10_000)  # 1 s polls
    expect(progress.locator(".progress-bar")).to_have_text(f"{midway}%")
    expect(page.get_by_test_id("export-status")).to_have_text("导出中")
    expect(page.get_by_test_id("export-rows")).to_contain_text(f"{held} / {total}")
    expect(page.get_by_test_id("export-download")).to_be_hidden()
    assert artifact_screenshot("export-progress").stat().st_size > 0
    background_exports.release.set()

    download_link = page.get_by_test_id("export-download")
    expect(download_link).to_be_visible(timeout=20_000)
    expect(progress).to_have_attribute("aria-valuenow", "100")
    expect(page.get_by_test_id("export-status")).to_have_text("已完成")
    expect(page.get_by_test_id("export-rows")).to_contain_text(f"{total} / {total}")
    seen = page.evaluate("window.__progressSeen")
    assert seen[-1] == 100, seen
    assert seen == sorted(seen), f"the bar went backwards: {seen}"
    assert midway in seen, seen

    with page.expect_download() as download_info:
        download_link.click()
    download = download_info.value
    assert download.failure() is None
    assert re.fullmatch(r"客户-\d{8}\.xlsx", download.suggested_filename), download.suggested_filename
    path = tmp_path / download.suggested_filename
    download.save_as(path)
    assert console_errors == []

    # --- the file: the list's header and every one of its rows ---
    rows = rows_of(path.read_bytes())  # from the header row, under the title, 门店, 打印时间
    assert list(rows[0]) == headers
    assert headers[:2] == ["客户", "手机号"]
    assert len(rows) - 1 == total
    assert {row[1] for row in rows[1:]} == mobiles  # the manager sees full mobiles

    # --- the job, as the worker left it ---
    for thread in background_exports.threads:
        thread.join(timeout=HOLD_TIMEOUT)
    assert background_exports.errors == []
    job = ExportJob.objects.get(pk=int(match.group(1)))
    assert background_exports.finished == [job.pk]
    assert (job.user, job.exporter, job.status) == (manager, "customers", ExportStatus.DONE)
    assert job.total_rows == job.done_rows == total
    audit = AuditEntry.objects.get(action=AuditAction.EXPORT, object_type="studio.exportjob",
                                   object_id=str(job.pk))
    assert (audit.actor, audit.detail["rows"], audit.detail["list"]) == (manager, total, "customers")
