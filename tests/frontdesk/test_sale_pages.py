"""The sale's pages (issue 16): 开单 from a customer or a walk-out, the change and cancel pages
and the approvals list — each role's answer, bad input as form errors, nothing half-written."""
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from frontdesk.models import WalkOutStatus
from frontdesk.production import walkout_record
from orders.models import Order, OrderStatus, Payment
from orders.services import order_create
from staff.models import Role
from tests.customers.factories import CustomerFactory
from tests.orders.factories import PackageFactory

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")
SALE = reverse("frontdesk:order_create")
D = Decimal


@pytest.fixture(autouse=True)
def _march(time_machine):
    time_machine.move_to(datetime(2026, 3, 10, 10, 0, tzinfo=SHANGHAI), tick=False)


def _sale_data(package, **extra) -> dict:
    return {"package": package.pk, "amount": "", "discount": "0", "scene": "", "consultant": "",
            "planned_on": "2026-04-01", "notes": "", "deposit": "1000",
            "deposit_method": "wechat", "request_key": "form-key-1", **extra}


def test_the_front_desk_sells_from_the_customer_s_file(client, front_desk, customer, package):
    client.force_login(front_desk)
    page = client.get(reverse("orders:customer", args=[customer.pk]))
    assert f'{SALE}?customer={customer.pk}' in page.content.decode()
    form = client.get(SALE, {"customer": customer.pk})
    assert form.status_code == 200
    assert package.name in form.content.decode()
    response = client.post(f"{SALE}?customer={customer.pk}",
                           _sale_data(package, addon_name_1="相框", addon_amount_1="300"))
    order = Order.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("orders:customer", args=[customer.pk]) + f"#order-{order.pk}"
    # 5999 + 300 add-on - 1000 deposit
    assert (order.status, order.balance_owed, order.consultant) == (
        OrderStatus.ACTIVE, D("5299"), front_desk)
    assert order.payments.get().receipt.number == "S01-2026-000001"
    # Sent again (a double click): the one-time key makes it the same order.
    client.post(f"{SALE}?customer={customer.pk}", _sale_data(package))
    assert Order.objects.count() == 1 and Payment.objects.count() == 1


def test_bad_input_stays_on_the_form_and_writes_nothing(client, front_desk, customer, package):
    client.force_login(front_desk)
    response = client.post(f"{SALE}?customer={customer.pk}",
                           _sale_data(package, deposit="99999", request_key="k2"))
    assert response.status_code == 400
    assert "超过欠款" in response.content.decode()
    response = client.post(f"{SALE}?customer={customer.pk}",
                           _sale_data(package, addon_name_1="相框", request_key="k3"))
    assert response.status_code == 400
    assert response.context["form"].errors["addon_amount_1"]
    assert not Order.objects.exists() and not Payment.objects.exists()


def test_without_a_customer_the_page_finds_one_or_offers_registration(client, front_desk, customer):
    client.force_login(front_desk)
    response = client.get(SALE, {"q": customer.mobile[-4:]})
    assert response.status_code == 200
    assert response.context["found"] == [customer]
    assert reverse("orders:customer_register") in response.content.decode()


def test_a_walk_out_who_comes_back_is_converted_by_the_sale(client, front_desk, store, package):
    walkout = walkout_record(store=store, by=front_desk, name="李四", mobile="13900000001",
                             reason="price", visited_at=datetime(2026, 3, 1, 15, tzinfo=SHANGHAI))
    client.force_login(front_desk)
    response = client.post(f"{SALE}?walkout={walkout.pk}", _sale_data(package))
    assert response.status_code == 302
    walkout.refresh_from_db()
    assert walkout.status == WalkOutStatus.CONVERTED
    assert walkout.converted_order == Order.objects.get(customer=walkout.customer)


def test_a_discount_above_the_limit_goes_to_the_manager_s_approvals(client, front_desk, manager,
                                                                  customer, package, store):
    store.discount_limit = D("200")
    store.save()
    client.force_login(front_desk)
    client.post(f"{SALE}?customer={customer.pk}", _sale_data(package, discount="800"))
    order = Order.objects.get()
    assert order.status == OrderStatus.PENDING_APPROVAL
    page = client.get(reverse("orders:customer", args=[customer.pk])).content.decode()
    assert 'data-testid="pending-approval"' in page and 'data-testid="approve-order"' not in page
    assert client.post(reverse("orders:order_approve", args=[order.pk])).status_code == 403

    client.force_login(manager)
    listed = client.get(reverse("orders:approvals"))
    assert list(listed.context["page"].object_list) == [order]
    response = client.post(reverse("orders:order_approve", args=[order.pk]))
    assert response.status_code == 302
    order.refresh_from_db()
    assert order.status == OrderStatus.ACTIVE and order.approved_by == manager
    assert client.get(reverse("orders:approvals")).context["page"].paginator.count == 0


def test_the_approvals_list_takes_a_fixed_number_of_queries(client, manager, store, package,
                                                           front_desk, django_assert_max_num_queries):
    store.discount_limit = D("0")
    store.save()
    for _ in range(5):
        order_create(customer=CustomerFactory(store=store), package=package, by=front_desk,
                     discount=D("100"))
    client.force_login(manager)
    with django_assert_max_num_queries(12):
        response = client.get(reverse("orders:approvals"))
    assert response.context["page"].paginator.count == 5


def test_the_change_page_changes_and_shows_the_history(client, front_desk, order, package):
    bigger = PackageFactory(name="升级套系", price=D("8999"))
    client.force_login(front_desk)
    url = reverse("orders:order_change", args=[order.pk])
    assert client.get(url).status_code == 200
    response = client.post(url, {"package": bigger.pk, "amount": "", "discount": "0",
                                 "consultant": front_desk.pk, "scene": "海边",
                                 "planned_on": "", "notes": "", "note": "客户升级"})
    assert response.status_code == 302
    order.refresh_from_db()
    assert (order.package, order.amount, order.scene) == (bigger, D("8999"), "海边")
    history = client.get(url).content.decode()
    assert "更换套系" in history and "客户升级" in history


def test_the_cancel_page_refunds_and_cancels(client, front_desk, order):
    client.force_login(front_desk)
    url = reverse("orders:order_cancel", args=[order.pk])
    client.post(reverse("orders:payment", args=[order.pk]),
                {"kind": "deposit", "amount": "1000", "method": "cash", "request_key": "p1"})
    refused = client.post(url, {"reason": "不拍了", "refund": "1500", "refund_method": "cash"})
    assert refused.status_code == 400 and "超过已收款" in refused.content.decode()
    order.refresh_from_db()
    assert order.status == OrderStatus.ACTIVE
    response = client.post(url, {"reason": "不拍了", "refund": "1000", "refund_method": "cash"})
    assert response.status_code == 302
    order.refresh_from_db()
    assert (order.status, order.paid_total) == (OrderStatus.CANCELLED, D("0"))
    page = client.get(reverse("orders:customer", args=[order.customer_id])).content.decode()
    assert 'data-testid="cancelled-reason"' in page and "不拍了" in page
    assert client.get(url).status_code == 200  # the page opens; the service refuses a second time
    assert client.post(url, {"reason": "再取消", "refund_method": "cash"}).status_code == 400


@pytest.mark.parametrize("role", [Role.SPECIALIST, Role.SUPERVISOR, Role.CASHIER,
                                  Role.PHOTOGRAPHER, Role.SELECTION_CONSULTANT])
def test_roles_that_do_not_sell_are_refused_every_sale_page(client, staff_of, order, role,
                                                            specialist):
    # The specialist is the customer's own (another specialist would not see the order: 404).
    client.force_login(specialist if role == Role.SPECIALIST else staff_of(role).user)
    assert client.get(SALE).status_code == 403
    assert client.get(SALE, {"customer": order.customer_id}).status_code == 403
    assert client.get(reverse("orders:order_change", args=[order.pk])).status_code == 403
    assert client.get(reverse("orders:order_cancel", args=[order.pk])).status_code == 403
    assert client.post(reverse("orders:order_approve", args=[order.pk])).status_code == 403


def test_another_store_s_customer_and_order_answer_404(client, other_manager, order, customer):
    client.force_login(other_manager)
    assert client.get(SALE, {"customer": customer.pk}).status_code == 404
    assert client.get(reverse("orders:order_change", args=[order.pk])).status_code == 404
    assert client.get(reverse("orders:order_cancel", args=[order.pk])).status_code == 404
    assert client.post(reverse("orders:order_approve", args=[order.pk])).status_code == 404


def test_anonymous_visitors_go_to_the_login_page(client, order):
    for url in (SALE, reverse("orders:order_change", args=[order.pk]), reverse("orders:approvals")):
        response = client.get(url)
        assert response.status_code == 302 and "/login/" in response.url


def test_a_walk_out_s_page_offers_the_sale(client, front_desk, store):
    walkout = walkout_record(store=store, by=front_desk, name="王五", mobile="13900000002",
                             reason="comparing",
                             visited_at=datetime(2026, 3, 2, 15, tzinfo=SHANGHAI))
    client.force_login(front_desk)
    page = client.get(reverse("frontdesk:walkout", args=[walkout.pk])).content.decode()
    assert f"{SALE}?walkout={walkout.pk}" in page
    form = client.get(SALE, {"walkout": walkout.pk})
    assert form.status_code == 200 and 'data-testid="sale-walkout"' in form.content.decode()
