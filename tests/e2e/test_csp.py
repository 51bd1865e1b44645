"""The Content-Security-Policy breaks no page: a store manager walks the main pages (charts,
forms, the admin, the API's pages) and the browser reports no refusal; the data- attributes
that replaced inline handlers still work."""
from collections.abc import Callable

import pytest
from django.utils import timezone
from playwright.sync_api import Page

from customers.models import Customer

pytestmark = pytest.mark.e2e

MANAGER_PAGES = [
    "/", "/stages/order/", "/stages/shoot/", "/customers/", "/late/", "/followups/",
    "/assignment/", "/callbacks/", "/callbacks/summary/", "/callbacks/scripts/",
    "/callbacks/campaigns/", "/complaints/", "/complaints/new/", "/complaints/statistics/",
    "/members/", "/members/segments/", "/members/cashbacks/", "/members/statistics/",
    "/desk/schedule/", "/desk/schedule/day-sheet/", "/desk/gowns/", "/desk/locations/",
    "/desk/handover/", "/desk/reworks/", "/desk/production/", "/desk/walkouts/",
    "/desk/walkouts/visitors/", "/dashboards/supervisor/", "/dashboards/manager/",
    "/dashboards/targets/", "/outbox/", "/exports/", "/customers/import/",
    "/api/docs/", "/api/customers/", "/admin/", "/admin/orders/order/",
]
VISITOR_PAGES = ["/accounts/login/", "/complain/"]
# Pages whose charts are drawn by an inline script with the nonce: the chart must be drawn.
CHARTS = {"/callbacks/summary/": "#chart-trend", "/complaints/statistics/": "#chart-categories",
          "/dashboards/manager/": "#chart-funnel"}



@pytest.fixture
def csp_refusals(page: Page) -> list[str]:
    """What the browser refused under the policy: its console errors and the page's own
    securitypolicyviolation events (recorded by a script the policy does not govern)."""
    refusals: list[str] = []
    page.on("console", lambda message: refusals.append(f"{page.url}: {message.text}")
            if message.type == "error" and "Content Security Policy" in message.text else None)
    page.add_init_script("""
        window.__cspViolations = [];
        document.addEventListener("securitypolicyviolation", function (e) {
          window.__cspViolations.push(e.violatedDirective + " " + (e.blockedURI || "inline"));
        });
    """)
    return refusals


def visit(page: Page, url: str) -> list[str]:
    response = page.goto(url)
    assert response is not None and response.status < 500, url
    page.wait_for_load_state("networkidle")
    return [f"{url}: {v}" for v in page.evaluate("window.__cspViolations || []")]


@pytest.mark.clock
def test_the_main_pages_run_under_the_policy_without_a_refusal(
        login: Callable[..., Page], live_server, whole_demo, csp_refusals, page):
    violations = [v for path in VISITOR_PAGES for v in visit(page, live_server.url + path)]
    login("manager")
    customer = Customer.objects.filter(store__code="S01").order_by("pk").first()
    for path in [*MANAGER_PAGES, f"/customers/{customer.pk}/"]:
        violations += visit(page, live_server.url + path)
        chart = CHARTS.get(path)
        if chart and page.locator(chart).count():  # a chart box is there when it has data
            assert page.locator(f"{chart} canvas, {chart} svg").count() > 0, path  # drawn
    assert csp_refusals == []
    assert violations == []


def test_a_select_marked_autosubmit_submits_its_form(login: Callable[..., Page], live_server,
                                                     csp_refusals):
    page = login("supervisor")
    page.goto(f"{live_server.url}/outbox/")
    with page.expect_navigation():
        page.select_option("select[name=status]", index=1)
    assert "status=" in page.url
    assert csp_refusals == []


@pytest.mark.clock
def test_a_button_marked_confirm_asks_first(login: Callable[..., Page], live_server,
                                            csp_refusals):
    from decimal import Decimal

    from membership.models import ReferralCashback
    from orders.models import Order

    order = Order.objects.filter(store__code="S01").order_by("pk").first()
    referrer = Customer.objects.filter(store__code="S01").exclude(pk=order.customer_id).first()
    cashback = ReferralCashback.objects.create(referrer=referrer, order=order,
                                               amount=Decimal("200"), created_at=timezone.now())
    page = login("supervisor")
    page.goto(f"{live_server.url}/members/cashbacks/")
    answers = iter([False, True])
    asked: list[str] = []

    def answer(dialog) -> None:
        asked.append(dialog.message)
        dialog.accept() if next(answers) else dialog.dismiss()

    page.on("dialog", answer)
    page.get_by_role("button", name="已支付").click()  # declined: nothing is sent
    page.wait_for_timeout(300)
    cashback.refresh_from_db()
    assert cashback.status == "owed"
    with page.expect_navigation():
        page.get_by_role("button", name="已支付").click()  # confirmed: the form is sent
    cashback.refresh_from_db()
    assert cashback.status == "paid"
    assert asked == ["确认已把返现支付给介绍人？"] * 2
    assert csp_refusals == []
