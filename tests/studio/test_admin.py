"""The admin: every model's list opens without N+1, money moves only through the services."""
from decimal import Decimal

import pytest
from django.contrib import admin
from django.urls import reverse

from orders.models import Payment
from orders.services import order_create, payment_record
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def superuser(django_user_model):
    return django_user_model.objects.create_superuser("root", "root@example.com", "pass-1234")


def _changelist_urls():
    return [reverse(f"admin:{m._meta.app_label}_{m._meta.model_name}_changelist")
            for m in admin.site._registry]


def test_every_registered_model_has_a_working_admin_list(client, superuser, order):
    client.force_login(superuser)
    for url in _changelist_urls():
        assert client.get(url).status_code == 200, url


@pytest.mark.parametrize("model", ["orders/order", "customers/customer", "orders/payment",
                                   "orders/orderstage", "staff/staffmember"])
def test_admin_lists_use_the_same_number_of_queries_for_5_or_25_rows(
        client, superuser, store, package, front_desk, model, django_assert_num_queries):
    client.force_login(superuser)

    def add(n):
        for _ in range(n):
            order = order_create(customer=CustomerFactory(store=store), package=package,
                                 by=front_desk)
            payment_record(order=order, kind="deposit", amount=100, received_by=front_desk)

    add(5)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        client.get(f"/admin/{model}/")
    add(20)
    with django_assert_num_queries(len(few.captured_queries)):
        client.get(f"/admin/{model}/")


def test_the_admin_refuses_a_refund_above_what_was_paid(client, manager, order, front_desk):
    payment_record(order=order, kind="deposit", amount=Decimal("500"), received_by=front_desk)
    client.force_login(manager)
    url = reverse("admin:orders_order_payment", args=[order.pk])
    response = client.post(url, {"kind": "refund", "amount": "600", "method": "cash"})
    assert response.status_code == 200
    assert "超过已收款" in response.content.decode()
    assert Payment.objects.filter(order=order).count() == 1


def test_the_admin_refuses_a_negative_amount(client, manager, order):
    client.force_login(manager)
    url = reverse("admin:orders_order_payment", args=[order.pk])
    response = client.post(url, {"kind": "deposit", "amount": "-5", "method": "cash"})
    assert response.status_code == 200 and response.context["form"].errors["amount"]
    assert not order.payments.exists()


def test_the_admin_takes_a_valid_payment_through_the_ledger(client, manager, order):
    client.force_login(manager)
    url = reverse("admin:orders_order_payment", args=[order.pk])
    response = client.post(url, {"kind": "deposit", "amount": "1500", "method": "wechat"})
    assert response.status_code == 302
    order.refresh_from_db()
    assert order.paid_total == Decimal("1500.00")


def test_the_admin_refuses_a_skipped_stage_with_a_message(client, manager, order):
    client.force_login(manager)
    url = reverse("admin:orders_order_stage", args=[order.pk])
    response = client.post(url, {"kind": "shoot"})
    assert response.status_code == 200
    assert "请先完成「礼服挑选」" in response.content.decode()


def test_the_admin_refuses_an_unknown_stage(client, manager, order):
    client.force_login(manager)
    url = reverse("admin:orders_order_stage", args=[order.pk])
    response = client.post(url, {"kind": "banquet"})
    assert response.status_code == 200 and response.context["form"].errors["kind"]


def test_the_admin_refuses_a_10_digit_mobile(client, superuser, store):
    client.force_login(superuser)
    response = client.post(reverse("admin:customers_customer_add"), {
        "store": store.pk, "name": "王五", "title": "ms", "mobile": "1381234567",
        "source": "walk_in", "preferred_contact_time": "any"})
    assert response.status_code == 200
    assert "11 位手机号" in response.content.decode()


def test_a_store_manager_sees_only_their_store_in_the_admin(client, manager, other_store, order,
                                                            package, front_desk):
    elsewhere = order_create(customer=CustomerFactory(store=other_store), package=package,
                             by=front_desk)
    client.force_login(manager)
    assert client.get(reverse("admin:orders_order_change", args=[order.pk])).status_code == 200
    response = client.get(reverse("admin:orders_order_change", args=[elsewhere.pk]))
    assert response.status_code == 302  # the admin's "does not exist" redirect
    assert client.get(reverse("admin:orders_order_payment", args=[elsewhere.pk])).status_code == 404


def test_a_specialist_cannot_enter_the_admin(client, specialist):
    client.force_login(specialist)
    response = client.get("/admin/")
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_payments_cannot_be_edited_or_deleted_in_the_admin(client, superuser, order, front_desk):
    payment = payment_record(order=order, kind="deposit", amount=100, received_by=front_desk)
    client.force_login(superuser)
    url = reverse("admin:orders_payment_change", args=[payment.pk])
    client.post(url, {"kind": "deposit", "amount": "99999"})
    payment.refresh_from_db()
    assert payment.amount == Decimal("100.00")
    assert client.post(reverse("admin:orders_payment_delete", args=[payment.pk]),
                       {"post": "yes"}).status_code == 403
