"""The foundation seen through a browser: login, scope on the home page, admin, language."""
from decimal import Decimal

import pytest

from orders.models import Order, OrderStatus, Payment, PaymentKind

pytestmark = pytest.mark.e2e


def test_specialist_sees_own_store_and_role_in_chinese_after_login(login, live_server, screenshot):
    page = login("specialist1")

    assert page.url == f"{live_server.url}/"
    scope = page.get_by_test_id("home-scope").inner_text()
    assert "门店：星光影楼·人民路店" in scope
    assert "角色：客服专员" in scope
    assert page.get_by_test_id("whoami").inner_text().split() == [
        "王晓丽", "·", "星光影楼·人民路店", "·", "客服专员"]
    screenshot("home-specialist")


def test_wrong_password_shows_the_error_and_stays_on_the_login_page(login, live_server):
    page = login("specialist1", password="not-the-password")

    assert page.url == f"{live_server.url}/accounts/login/"
    assert "密码" in page.locator(".alert-danger").inner_text()
    assert page.get_by_test_id("whoami").count() == 0
    assert page.input_value("#id_username") == "specialist1"


def test_store_manager_reaches_the_admin_index_and_the_orders_list(login, live_server, screenshot):
    page = login("manager")
    with page.expect_navigation():
        page.get_by_role("link", name="数据管理").click()  # the navbar link, shown to admin roles

    assert page.url == f"{live_server.url}/admin/"
    assert page.locator("#site-name").inner_text() == "影楼客服后台 · 管理"
    assert page.locator("h1").inner_text() == "数据管理"
    screenshot("admin-index-manager")

    page.goto(f"{live_server.url}/admin/orders/order/")
    assert page.url == f"{live_server.url}/admin/orders/order/"
    rows = page.locator("#result_list tbody tr")
    assert rows.count() == Order.objects.filter(store__code="S01").count() > 0
    assert "操作" in page.locator("#result_list thead").inner_text()
    screenshot("admin-orders-manager")


def test_specialist_cannot_reach_the_admin(login, live_server):
    page = login("specialist1")
    assert page.get_by_role("link", name="数据管理").count() == 0

    page.goto(f"{live_server.url}/admin/")

    assert page.url.startswith(f"{live_server.url}/admin/login/")
    assert page.locator("#id_username").count() == 1  # the admin asks for another login
    assert page.get_by_role("heading", name="数据管理").count() == 0
    assert page.locator("#content-main .app-orders").count() == 0


def test_general_manager_home_page_covers_all_stores(login):
    page = login("gm")

    scope = page.get_by_test_id("home-scope").inner_text()
    assert "门店：全部门店" in scope
    assert "角色：总经理" in scope


def test_language_switch_turns_the_page_to_english(login):
    page = login("specialist1")
    assert page.get_attribute("html", "lang") == "zh-hans"

    with page.expect_navigation():
        page.select_option("select[name=language]", value="en")

    assert page.get_attribute("html", "lang") == "en"
    assert page.input_value("select[name=language]") == "en"
    assert page.get_by_test_id("home-scope").count() == 1  # back on the same page


def test_admin_refuses_a_refund_above_what_was_paid_and_saves_nothing(login, live_server, screenshot):
    order = (Order.objects.filter(store__code="S01", status=OrderStatus.ACTIVE, paid_total__gt=0)
             .order_by("pk").first())
    paid_before, payments_before = order.paid_total, Payment.objects.count()
    page = login("manager")
    page.goto(f"{live_server.url}/admin/orders/order/")

    payment_link = page.locator(f'#result_list a[href="/admin/orders/order/{order.pk}/payment/"]')
    assert payment_link.inner_text() == "收款/退款"
    with page.expect_navigation():
        payment_link.click()
    page.select_option("#id_kind", value=PaymentKind.REFUND)
    page.fill("#id_amount", "999999")
    with page.expect_navigation():
        page.get_by_role("button", name="保存").click()

    assert page.url == f"{live_server.url}/admin/orders/order/{order.pk}/payment/"
    assert "超过已收款" in page.locator(".errorlist").inner_text()
    screenshot("admin-refund-refused")
    assert Payment.objects.count() == payments_before
    order.refresh_from_db()
    assert order.paid_total == paid_before > Decimal(0)
