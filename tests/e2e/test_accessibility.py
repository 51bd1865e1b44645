"""Accessibility and narrow screens (issue 17 items 13 and 18): axe-core, the accessibility engine
installed from the npm registry (package.json), runs its WCAG 2.1 A/AA rules on each role's main
pages and finds no serious or critical violation; the main lists stay readable on a phone (390 px
wide: only the table scrolls sideways, never the page) and the menu keeps its words whole at
1366 px."""
from collections.abc import Callable
from pathlib import Path

import pytest
from django.conf import settings
from playwright.sync_api import Page

from callbacks.models import CallbackTask
from complaints.models import Complaint
from customers.models import Customer
from membership.models import MemberAccount
from staff.models import User

pytestmark = pytest.mark.e2e

# Read from disk and injected by the browser (an init script, which the page's
# Content-Security-Policy does not govern): the engine is never served by the site.
AXE = Path(settings.BASE_DIR) / "node_modules" / "axe-core" / "axe.min.js"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1366, "height": 900}

# The main lists, checked at both widths (and kept as screenshots): path -> screenshot name.
LISTS = {
    "/customers/": "customers", "/stages/order/": "stage-order", "/stages/shoot/": "stage-shoot",
    "/callbacks/": "callbacks", "/complaints/": "complaints", "/members/": "members",
    "/payments/": "payments", "/desk/schedule/": "schedule",
    # No rows: the box scrolls with nothing in it to focus, so the box itself takes the focus.
    "/customers/?q=查无此人": "customers-none",
}



@pytest.fixture
def axe_page(page: Page) -> Page:
    page.add_init_script(path=str(AXE))
    return page


def _role_pages() -> tuple[dict[str | None, list[str]], str]:
    """Each role's main pages (None: a visitor, signed out), the id-taking ones from the demo,
    and which of them is the call page (an open callback's, so its record form is there)."""
    specialist = User.objects.get(username="specialist1")
    customer = Customer.objects.filter(assigned_to=specialist).order_by("pk").first()
    task = CallbackTask.objects.open().filter(assigned_to=specialist).order_by("pk").first()
    complaint = Complaint.objects.filter(customer__store__code="S01").order_by("pk").first()
    member = MemberAccount.objects.filter(customer__store__code="S01").order_by("pk").first()
    assert customer and task and complaint and member, "the demo studio lacks a page's object"
    call = f"/callbacks/{task.pk}/"
    return {
        None: ["/accounts/login/", "/complain/"],
        "specialist1": ["/", "/customers/", f"/customers/{customer.pk}/", "/callbacks/", call],
        "supervisor": ["/", "/dashboards/supervisor/", "/complaints/", f"/complaints/{complaint.pk}/",
                       "/complaints/new/", "/members/", f"/members/{member.pk}/",
                       "/callbacks/summary/", "/members/statistics/"],
        "frontdesk": ["/", "/desk/sale/", "/desk/schedule/", "/stages/order/", "/stages/shoot/"],
        "manager": ["/", "/dashboards/manager/", "/dashboards/targets/", "/payments/",
                    "/complaints/statistics/", "/desk/walkouts/visitors/"],
    }, call


def _sign_in_as(page: Page, username: str | None, login: Callable[..., Page]) -> None:
    page.context.clear_cookies()
    if username:
        login(username)


def _axe_violations(page: Page, url: str) -> list[str]:
    """The serious and critical WCAG 2.1 A/AA violations on the page at `url`, one line each:
    the rule, its impact and the elements that fail it."""
    response = page.goto(url)
    assert response is not None and response.status == 200, f"{url}: {response and response.status}"
    page.wait_for_load_state("networkidle")
    results = page.evaluate("""tags => axe.run(document, {runOnly: {type: "tag", values: tags},
                                                         resultTypes: ["violations"]})""", AXE_TAGS)
    return [f"{url} [{page.viewport_size['width']}px] {v['id']} ({v['impact']}): "
            + ", ".join(" ".join(node["target"]) + _contrast(node) for node in v["nodes"])
            for v in results["violations"] if v["impact"] in ("serious", "critical")]


def _contrast(node: dict) -> str:
    """A colour-contrast failure's colours and ratio, e.g. " (#ffc107 on #ffffff, 1.63:1)"."""
    data = next((check.get("data") for check in node.get("any", [])
                 if isinstance(check.get("data"), dict) and "contrastRatio" in check["data"]), None)
    return f" ({data['fgColor']} on {data['bgColor']}, {data['contrastRatio']}:1)" if data else ""


def _overflowing(page: Page, url: str) -> list[str]:
    """What makes the page itself scroll sideways at the current width (nothing when it fits; a
    table may scroll in its own box): the outermost elements reaching past the right edge."""
    wide = page.evaluate("""() => {
        if (document.documentElement.scrollWidth <= window.innerWidth) return [];
        const scrolls = el => ["auto", "scroll", "hidden"].includes(getComputedStyle(el).overflowX);
        const inScrollBox = el => { for (let p = el.parentElement; p && p !== document.body;
                                         p = p.parentElement) if (scrolls(p)) return true;
                                     return false; };
        const wide = [...document.body.querySelectorAll("*")].filter(el =>
            el.getBoundingClientRect().right > window.innerWidth + 1 && !inScrollBox(el));
        return wide.filter(el => !wide.includes(el.parentElement)).map(el =>
            el.tagName.toLowerCase() + (el.id ? `#${el.id}` : "")
            + (el.dataset.testid ? `[data-testid=${el.dataset.testid}]` : "")
            + ` (${Math.round(el.getBoundingClientRect().right)}px)`);
    }""")
    return [f"{url} is wider than {page.viewport_size['width']}px: {', '.join(wide) or '?'}"] if wide else []


@pytest.mark.clock
def test_every_main_page_has_no_serious_accessibility_violation(
        login: Callable[..., Page], live_server, whole_demo, axe_page: Page):
    pages, call = _role_pages()
    violations: list[str] = []
    overflowing: list[str] = []
    for username, paths in pages.items():
        _sign_in_as(axe_page, username, login)
        for path in paths:
            axe_page.set_viewport_size(DESKTOP)
            violations += _axe_violations(axe_page, live_server.url + path)
            if path == call:
                # The call's 回访方式 has a label bound to its select (a screen reader names it).
                assert axe_page.get_by_label("回访方式", exact=True).evaluate(
                    "el => el.tagName") == "SELECT"
            axe_page.set_viewport_size(PHONE)  # the same page on a phone: nothing sticks out
            axe_page.reload()  # charts take their size when drawn
            overflowing += _overflowing(axe_page, path)
    assert violations == [], "\n".join(violations)
    assert overflowing == [], "\n".join(overflowing)


@pytest.mark.clock
def test_the_main_lists_read_on_a_phone_and_on_a_laptop(
        login: Callable[..., Page], live_server, whole_demo, axe_page: Page,
        screenshot: Callable[[str], Path]):
    login("manager")
    violations: list[str] = []
    overflowing: list[str] = []
    for viewport in (DESKTOP, PHONE):
        axe_page.set_viewport_size(viewport)
        for path, name in LISTS.items():
            violations += _axe_violations(axe_page, live_server.url + path)
            if viewport == PHONE:
                overflowing += _overflowing(axe_page, path)
            screenshot(f"list-{name}-{viewport['width']}")
            if viewport == PHONE and path == "/customers/":
                _assert_the_name_column_stays_while_the_table_scrolls(axe_page)
            if viewport == PHONE and name == "customers-none":  # the keyboard can scroll it
                assert axe_page.evaluate("""() => [...document.querySelectorAll("[tabindex='0']")]
                    .some(box => box.scrollWidth > box.clientWidth && box.querySelector("table, tr"))""")
    assert overflowing == [], "\n".join(overflowing)
    assert violations == [], "\n".join(violations)


def _assert_the_name_column_stays_while_the_table_scrolls(page: Page) -> None:
    name = page.locator("table tbody tr").first.get_by_role("link").first
    before = name.bounding_box()
    scrolled = page.evaluate("""() => { const table = document.querySelector("table.table");
        const box = table.closest(".table-responsive") || table;
        box.scrollLeft = 200; return box.scrollLeft; }""")
    assert scrolled > 0  # the table is wider than the phone and scrolls in its box
    assert name.bounding_box()["x"] == pytest.approx(before["x"], abs=1)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def test_the_store_managers_menu_keeps_its_words_whole_at_1366(
        login: Callable[..., Page], live_server, page: Page):
    page = login("manager")
    page.set_viewport_size(DESKTOP)
    page.goto(f"{live_server.url}/")
    items = page.evaluate("""() => [...document.querySelectorAll(
        ".navbar .nav-link, .navbar .btn, .navbar .navbar-brand")]
        .filter(el => el.offsetParent !== null && el.getClientRects().length > 0)
        .map(el => { const r = document.createRange(); r.selectNodeContents(el);
                     const lines = new Set([...r.getClientRects()].map(c => Math.round(c.top)));
                     return [el.textContent.trim(), lines.size]; })""")
    assert len(items) >= 8, items  # the menu is open at this width, not behind the toggler
    assert {"工作台", "会员", "退出"} <= {text for text, _ in items}, items
    assert [text for text, lines in items if lines > 1] == []
