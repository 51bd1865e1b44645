"""The customer page's small actions in a browser: with JavaScript, recording a stage and adding
a note happen in place (htmx swaps the order's card and the notes card; the page is not loaded
again: a marker set on `window` survives); a refused one shows its reason in place; with
JavaScript off, the same forms still work as plain POSTs that load the page again."""
from collections.abc import Callable

import pytest
from playwright.sync_api import Browser, Page

from customers.models import CustomerNote
from devtools.demo.orders import DEMO_PASSWORD
from frontdesk.models import BookingStatus
from orders.models import Order, OrderStage, OrderStatus, StageKind, StageStatus

pytestmark = pytest.mark.e2e

MESSAGES = "main > [role=alert]"  # the flash messages of a whole page


def _open_order() -> Order:
    """A running order of the supervisor's store, whose current stage can be recorded done with
    the stage alone: not at the pickup (it asks who picked up) and with no booked slot (done
    before its time, it asks to confirm)."""
    return (Order.objects.filter(store__code="S01", status=OrderStatus.ACTIVE)
            .exclude(current_stage__in=["", StageKind.PICKUP])
            .exclude(stages__booking__status=BookingStatus.BOOKED).order_by("pk").first())


def _stage_done(order: Order, kind: str) -> bool:
    return OrderStage.objects.get(order=order, kind=kind).status == StageStatus.DONE


def test_recording_a_stage_and_adding_a_note_happen_in_place(
        login: Callable[..., Page], live_server, console_errors):
    order = _open_order()
    kind = order.current_stage
    page = login("supervisor")
    page.goto(f"{live_server.url}/customers/{order.customer_id}/")
    page.evaluate("window.__samePage = true")  # a page loaded again would not have it

    card = page.locator(f"#order-{order.pk}")
    form = card.get_by_test_id("complete-form")
    assert form.locator("select[name=kind]").input_value() == kind  # the current stage
    with page.expect_response(lambda r: r.url.endswith(f"/orders/{order.pk}/stages/complete/")) \
            as answer:
        form.get_by_role("button", name="登记完成").click()
    assert answer.value.status == 200
    done = card.get_by_test_id("order-done")
    done.wait_for()
    assert done.inner_text() == "已登记完成。"
    assert card.locator(f'li[data-stage="{kind}"]').get_by_test_id("stage-status").inner_text() \
        == "已完成"
    assert _stage_done(order, kind)

    notes = page.get_by_test_id("customer-notes")
    notes.get_by_label("备注").fill("客户想改约到周末")
    with page.expect_response(lambda r: r.url.endswith(f"/customers/{order.customer_id}/notes/")):
        notes.get_by_role("button", name="添加备注").click()
    page.get_by_test_id("note-done").wait_for()
    notes = page.get_by_test_id("customer-notes")
    assert "客户想改约到周末" in notes.get_by_test_id("notes").inner_text()
    assert notes.get_by_label("备注").input_value() == ""  # a fresh form for the next one
    assert CustomerNote.objects.filter(customer_id=order.customer_id,
                                       text="客户想改约到周末").exists()
    assert console_errors == []  # CSP refused nothing, no script failed

    # A refused note (empty) comes back as the card with its reason (400), still in place.
    with page.expect_response(lambda r: r.url.endswith(f"/customers/{order.customer_id}/notes/")) \
            as answer:
        page.get_by_test_id("customer-notes").get_by_role("button", name="添加备注").click()
    assert answer.value.status == 400
    page.get_by_test_id("error-text").wait_for()
    assert page.get_by_test_id("error-text").inner_text() == "备注内容不能为空。"
    assert page.url == f"{live_server.url}/customers/{order.customer_id}/"
    assert page.evaluate("window.__samePage === true")  # no navigation, all along
    # the browser reports the refused request's status; nothing else went wrong
    assert all("status of 400" in error for error in console_errors), console_errors


@pytest.fixture
def page_without_javascript(browser: Browser, live_server, demo) -> Page:
    context = browser.new_context(locale="zh-CN", java_script_enabled=False,
                                  viewport={"width": 1366, "height": 900})
    context.set_default_timeout(10_000)
    page = context.new_page()
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", "supervisor")
    page.fill("#id_password", DEMO_PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name="登录").click()
    yield page
    context.close()


def test_without_javascript_the_same_forms_post_and_load_the_page_again(
        page_without_javascript: Page, live_server):
    page = page_without_javascript
    order = _open_order()
    kind = order.current_stage
    page.goto(f"{live_server.url}/customers/{order.customer_id}/")
    assert page.evaluate("typeof window.htmx") == "undefined"  # the page's scripts do not run

    form = page.locator(f"#order-{order.pk}").get_by_test_id("complete-form")
    form.locator("select[name=kind]").select_option(kind)
    with page.expect_navigation():
        form.get_by_role("button", name="登记完成").click()
    assert page.url == f"{live_server.url}/customers/{order.customer_id}/#order-{order.pk}"
    assert "已登记完成。" in page.locator(MESSAGES).inner_text()
    assert page.locator(f'#order-{order.pk} li[data-stage="{kind}"]').get_by_test_id(
        "stage-status").inner_text() == "已完成"
    assert _stage_done(order, kind)

    notes = page.get_by_test_id("customer-notes")
    notes.get_by_label("备注").fill("没有脚本也能记")
    with page.expect_navigation():
        notes.get_by_role("button", name="添加备注").click()
    assert page.url == f"{live_server.url}/customers/{order.customer_id}/"
    assert "备注已保存。" in page.locator(MESSAGES).inner_text()
    assert "没有脚本也能记" in page.get_by_test_id("notes").inner_text()
    assert CustomerNote.objects.filter(customer_id=order.customer_id, text="没有脚本也能记").exists()
