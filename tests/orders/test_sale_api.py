"""The sale's API (issue 16): 开单 (POST /api/orders/), change, cancel and approve an order.

Every test runs at a fixed time (2026-03-02 10:00 local, ticking), never the wall clock: the
receipt numbers carry the year.
"""
from datetime import datetime
from decimal import Decimal

import pytest
import time_machine

from orders.models import (
    Order,
    OrderEvent,
    OrderEventAction,
    OrderStatus,
    Payment,
    PaymentKind,
    StageKind,
    StageStatus,
)
from orders.services import order_cancel, order_create, payment_record, stage_complete
from staff.models import Role
from tests.api import login, post
from tests.clock import local_zone
from tests.customers.factories import CustomerFactory
from tests.orders.factories import ChildrenPackageFactory, PackageFactory

ORDERS = "/api/orders/"
WEDDING_STAGES = ["order", "gown", "shoot", "selection", "pickup"]


@pytest.fixture(autouse=True)
def _fixed_time(db):
    with time_machine.travel(datetime(2026, 3, 2, 10, 0, tzinfo=local_zone()), tick=True):
        yield


def action(order, name: str) -> str:
    return f"/api/orders/{order.pk}/{name}/"


def sale(client, data: dict, **headers):
    return post(client, ORDERS, data) if not headers else client.post(
        ORDERS, data, content_type="application/json", **headers)


# --- 开单 ----------------------------------------------------------------------------------------

def test_the_front_desk_sells_a_package_with_a_deposit(client, front_desk, customer, package):
    login(client, front_desk)
    response = sale(client, {"customer": customer.pk, "package": package.pk, "deposit": "2000",
                             "deposit_method": "cash", "scene": "海边", "planned_on": "2026-04-01",
                             "addons": [{"name": "加册", "amount": "300"}]})
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "active" and body["status_label"] == "进行中"
    assert Decimal(body["amount"]) == Decimal("5999.00")
    assert Decimal(body["extras_total"]) == Decimal("300.00")
    assert Decimal(body["paid_total"]) == Decimal("2000.00")
    assert Decimal(body["balance_owed"]) == Decimal("4299.00")  # 5999 + 300 − 2000
    assert body["deposit_receipt_number"] == "S01-2026-000001"
    assert [p["receipt_number"] for p in body["payments"]] == ["S01-2026-000001"]
    assert body["payments"][0]["method"] == "cash"
    assert [s["kind"] for s in body["stages"]] == WEDDING_STAGES
    assert body["stages"][0]["status"] == "done" and body["current_stage"] == "gown"
    assert [(a["name"], a["amount"]) for a in body["addons"]] == [("加册", "300.00")]
    assert body["consultant"] == front_desk.pk and body["planned_on"] == "2026-04-01"
    assert [e["action"] for e in body["events"]] == ["created"]
    order = Order.objects.get(pk=body["id"])
    assert order.created_by == front_desk and order.scene == "海边"
    # Read again, the order answers as the sale did (one shape for one order).
    again = client.get(f"/api/orders/{body['id']}/")
    assert again.status_code == 200 and again.json() == body


def test_a_childrens_package_has_no_gown_selection_and_no_deposit_no_receipt(
        client, front_desk, customer):
    login(client, front_desk)
    children = ChildrenPackageFactory(price=Decimal("1999.00"))
    response = sale(client, {"customer": customer.pk, "package": children.pk, "amount": "1800"})
    assert response.status_code == 201, response.content
    body = response.json()
    assert [s["kind"] for s in body["stages"]] == ["order", "shoot", "selection", "pickup"]
    assert body["current_stage"] == "shoot"
    assert Decimal(body["balance_owed"]) == Decimal("1800.00")
    assert body["deposit_receipt_number"] is None and body["payments"] == []


def test_the_same_sale_sent_twice_with_its_key_makes_one_order_and_one_deposit(
        client, front_desk, customer, package):
    login(client, front_desk)
    data = {"customer": customer.pk, "package": package.pk, "deposit": "1000"}
    first = sale(client, data, HTTP_IDEMPOTENCY_KEY="sale-1")
    again = sale(client, data, HTTP_IDEMPOTENCY_KEY="sale-1")
    assert first.status_code == again.status_code == 201
    assert first.json()["id"] == again.json()["id"]
    assert again.json()["deposit_receipt_number"] == first.json()["deposit_receipt_number"]
    assert Order.objects.filter(customer=customer).count() == 1
    assert Payment.objects.filter(order__customer=customer).count() == 1
    # Without the key, a second sale is a second order.
    assert sale(client, data).status_code == 201
    assert Order.objects.filter(customer=customer).count() == 2


def test_a_key_already_used_for_another_customers_sale_is_a_400(client, front_desk, customer,
                                                                package, store):
    login(client, front_desk)
    sale(client, {"customer": customer.pk, "package": package.pk}, HTTP_IDEMPOTENCY_KEY="k")
    other = CustomerFactory(store=store)
    refused = sale(client, {"customer": other.pk, "package": package.pk}, HTTP_IDEMPOTENCY_KEY="k")
    assert refused.status_code == 400 and "request_key" in refused.json()


# --- A discount above the store's limit waits for the manager -------------------------------------

def test_a_discount_over_the_limit_waits_for_the_manager_who_approves_it(
        client, front_desk, manager, customer, package, store):
    assert store.discount_limit == Decimal("1000.00")
    login(client, front_desk)
    response = sale(client, {"customer": customer.pk, "package": package.pk,
                             "discount": "1500", "deposit": "500"})
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "pending_approval" and body["status_label"] == "待审批"
    assert body["stages"][0]["status"] == "pending" and body["current_stage"] == "order"
    assert Decimal(body["balance_owed"]) == Decimal("3999.00")  # 5999 − 1500 − 500
    order = Order.objects.get(pk=body["id"])

    assert post(client, action(order, "approve")).status_code == 403  # the front desk may not

    login(client, manager)
    approved = post(client, action(order, "approve"), {"note": "老客户"})
    assert approved.status_code == 200, approved.content
    body = approved.json()
    assert body["status"] == "active" and body["approved_by"] == manager.pk
    assert body["current_stage"] == "gown"
    assert [e["action"] for e in body["events"]] == ["created", "approved"]
    again = post(client, action(order, "approve"))
    assert again.status_code == 409 and again.json()["code"] == "order_not_pending"


def test_a_manager_gives_a_large_discount_at_once(client, manager, customer, package):
    login(client, manager)
    body = sale(client, {"customer": customer.pk, "package": package.pk,
                         "discount": "1500"}).json()
    assert body["status"] == "active" and body["approved_by"] == manager.pk


# --- Change -------------------------------------------------------------------------------------

def test_an_upgrade_changes_the_amount_the_owed_and_the_stages_with_one_event_per_change(
        client, front_desk, customer):
    small = ChildrenPackageFactory(price=Decimal("1999.00"))
    big = PackageFactory(price=Decimal("8999.00"))
    order = order_create(customer=customer, package=small, by=front_desk, deposit="500")
    login(client, front_desk)
    response = post(client, action(order, "change"), {"package": big.pk, "scene": "古镇",
                                                       "note": "客户升级"})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["package"] == big.name and Decimal(body["amount"]) == Decimal("8999.00")
    assert Decimal(body["balance_owed"]) == Decimal("8499.00")
    assert [s["kind"] for s in body["stages"]] == WEDDING_STAGES
    assert body["current_stage"] == "gown"
    events = list(OrderEvent.objects.filter(order=order).exclude(action=OrderEventAction.CREATED)
                  .values_list("action", "note"))
    assert events == [(OrderEventAction.PACKAGE, "客户升级"), (OrderEventAction.SCENE, "客户升级")]

    added = post(client, action(order, "change"), {"addons": [{"name": "相框", "amount": "200"}]})
    assert added.status_code == 200
    assert Decimal(added.json()["balance_owed"]) == Decimal("8699.00")
    assert OrderEvent.objects.filter(order=order, action=OrderEventAction.ADDON).count() == 1


def test_a_change_with_nothing_to_change_or_bad_fields_is_a_400(client, front_desk, order,
                                                                 other_manager):
    login(client, front_desk)
    nothing = post(client, action(order, "change"), {"note": "没改"})
    assert nothing.status_code == 400 and "non_field_errors" in nothing.json()
    bad = post(client, action(order, "change"), {"amount": "多少", "planned_on": "明天",
                                                  "addons": [{"name": "", "amount": "0"}]})
    assert bad.status_code == 400
    assert {"amount", "planned_on", "addons"} <= set(bad.json())
    over = post(client, action(order, "change"), {"discount": "99999"})
    assert over.status_code == 400 and "discount" in over.json()
    foreign = post(client, action(order, "change"), {"consultant": other_manager.pk})
    assert foreign.status_code == 400 and "consultant" in foreign.json()


def test_a_discount_raised_over_the_limit_by_the_front_desk_is_a_400(client, front_desk, order):
    login(client, front_desk)
    response = post(client, action(order, "change"), {"discount": "2000"})
    assert response.status_code == 400 and "discount" in response.json()


def test_the_general_manager_may_only_name_a_consultant_of_the_orders_store(
        client, general_manager, order, other_manager, front_desk):
    login(client, general_manager)
    refused = post(client, action(order, "change"), {"consultant": other_manager.pk})
    assert refused.status_code == 400 and "consultant" in refused.json()
    order.consultant = None
    order.save(update_fields=["consultant"])
    done = post(client, action(order, "change"), {"consultant": front_desk.pk})
    assert done.status_code == 200 and done.json()["consultant"] == front_desk.pk


def _picked_up(order, by):
    payment_record(order=order, kind=PaymentKind.BALANCE, amount=order.balance_owed,
                   received_by=by)
    for kind in (StageKind.GOWN, StageKind.SHOOT, StageKind.SELECTION):
        stage_complete(order=order, kind=kind, by=by)
    stage_complete(order=order, kind=StageKind.PICKUP, by=by, picked_up_by="本人")
    order.refresh_from_db()
    return order


def test_a_picked_up_or_cancelled_order_cannot_be_changed(client, front_desk, order, customer,
                                                          package):
    login(client, front_desk)
    done = _picked_up(order, front_desk)
    assert done.status == OrderStatus.COMPLETED
    response = post(client, action(done, "change"), {"scene": "公园"})
    assert response.status_code == 409 and response.json()["code"] == "order_picked_up"

    cancelled = order_create(customer=customer, package=package, by=front_desk)
    order_cancel(order=cancelled, by=front_desk, reason="客户改主意")
    response = post(client, action(cancelled, "change"), {"scene": "公园"})
    assert response.status_code == 409 and response.json()["code"] == "order_cancelled"


# --- Cancel -------------------------------------------------------------------------------------

def test_a_cancel_refunds_up_to_what_was_paid_and_only_once(client, front_desk, customer,
                                                            package):
    order = order_create(customer=customer, package=package, by=front_desk, deposit="1000")
    login(client, front_desk)
    too_much = post(client, action(order, "cancel"), {"reason": "不拍了", "refund": "1500"})
    assert too_much.status_code == 400 and "refund" in too_much.json()
    no_reason = post(client, action(order, "cancel"), {"refund": "100"})
    assert no_reason.status_code == 400 and "reason" in no_reason.json()
    order.refresh_from_db()
    assert order.status == OrderStatus.ACTIVE

    response = client.post(action(order, "cancel"), {"reason": "不拍了", "refund": "800",
                                                     "refund_method": "cash"},
                           content_type="application/json", HTTP_IDEMPOTENCY_KEY="cancel-1")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "cancelled" and body["status_label"] == "已取消"
    assert body["cancelled_reason"] == "不拍了"
    assert Decimal(body["paid_total"]) == Decimal("200.00")
    refund = next(p for p in body["payments"] if p["kind"] == "refund")
    assert refund["amount"] == "800.00" and refund["method"] == "cash"
    assert refund["receipt_number"] == "S01-2026-000002"
    assert body["events"][-1]["action"] == "cancelled"

    again = client.post(action(order, "cancel"), {"reason": "不拍了", "refund": "800"},
                        content_type="application/json", HTTP_IDEMPOTENCY_KEY="cancel-1")
    assert again.status_code == 409 and again.json()["code"] == "order_not_cancellable"
    assert Payment.objects.filter(order=order, kind=PaymentKind.REFUND).count() == 1


def test_a_completed_order_cannot_be_cancelled(client, front_desk, order):
    done = _picked_up(order, front_desk)
    login(client, front_desk)
    response = post(client, action(done, "cancel"), {"reason": "太晚了"})
    assert response.status_code == 409


# --- 400: bad input is a field's error, never a 500 -----------------------------------------------

@pytest.mark.parametrize("change, field", [
    ({"customer": "张三"}, "customer"),
    ({"customer": 987654321}, "customer"),
    ({"package": None}, "package"),
    ({"package": 987654321}, "package"),
    ({"amount": "abc"}, "amount"),
    ({"amount": "-1"}, "amount"),
    ({"amount": "1e20"}, "amount"),
    ({"discount": "6000"}, "discount"),  # more than the amount
    ({"discount": "0.001"}, "discount"),
    ({"deposit": "-5"}, "deposit"),
    ({"deposit": "7000"}, "deposit"),  # more than is owed
    ({"deposit_method": "bitcoin"}, "deposit_method"),
    ({"planned_on": "2026-02-30"}, "planned_on"),
    ({"addons": [{"name": "", "amount": "10"}]}, "addons"),
    ({"addons": [{"name": "加册", "amount": "0"}]}, "addons"),
    ({"addons": "加册"}, "addons"),
    ({"consultant": "x"}, "consultant"),
    ({"scene": "景" * 101}, "scene"),
])
def test_bad_input_is_a_400_on_its_field(client, front_desk, customer, package, change, field):
    login(client, front_desk)
    response = sale(client, {"customer": customer.pk, "package": package.pk, **change})
    assert response.status_code == 400, response.content
    assert field in response.json()
    assert not Order.objects.exists()


def test_ids_out_of_scope_in_the_body_read_as_unknown(client, front_desk, customer, package,
                                                      other_store, other_manager):
    login(client, front_desk)
    far_customer = CustomerFactory(store=other_store)
    far_package = PackageFactory(store=other_store)
    for change, field in [({"customer": far_customer.pk}, "customer"),
                          ({"package": far_package.pk}, "package"),
                          ({"consultant": other_manager.pk}, "consultant")]:
        response = sale(client, {"customer": customer.pk, "package": package.pk, **change})
        assert response.status_code == 400 and field in response.json(), change
    assert not Order.objects.exists()


def test_a_package_not_sold_in_the_customers_store_or_no_longer_sold_is_refused(
        client, general_manager, customer, other_store, package):
    login(client, general_manager)
    far_package = PackageFactory(store=other_store)
    response = sale(client, {"customer": customer.pk, "package": far_package.pk})
    assert response.status_code == 400 and "package" in response.json()
    package.is_active = False
    package.save(update_fields=["is_active"])
    response = sale(client, {"customer": customer.pk, "package": package.pk})
    assert response.status_code == 400 and "package" in response.json()


# --- 403 and 404 --------------------------------------------------------------------------------

@pytest.mark.parametrize("role", [Role.SPECIALIST, Role.SUPERVISOR, Role.PHOTOGRAPHER,
                                  Role.CASHIER])
def test_roles_without_the_permission_are_refused_with_403(client, staff_of, role, customer,
                                                           package, order):
    login(client, staff_of(role).user)
    assert sale(client, {"customer": customer.pk, "package": package.pk}).status_code == 403
    assert post(client, action(order, "change"), {"scene": "公园"}).status_code == 403
    assert post(client, action(order, "cancel"), {"reason": "x"}).status_code == 403
    assert post(client, action(order, "approve")).status_code == 403
    assert Order.objects.count() == 1


def test_another_stores_order_answers_404(client, other_manager, order):
    login(client, other_manager)
    for name, data in [("change", {"scene": "公园"}), ("cancel", {"reason": "x"}),
                       ("approve", {})]:
        assert post(client, action(order, name), data).status_code == 404, name
    order.refresh_from_db()
    assert order.status == OrderStatus.ACTIVE and order.scene == ""


def test_anonymous_callers_are_refused(client, order):
    assert post(client, ORDERS, {}).status_code in (401, 403)
    assert post(client, action(order, "cancel"), {"reason": "x"}).status_code in (401, 403)


def test_the_order_list_still_answers_as_before(client, front_desk, order):
    login(client, front_desk)
    response = client.get(ORDERS)
    assert response.status_code == 200
    row = response.json()["results"][0]
    assert row["id"] == order.pk and "events" not in row and "status_label" not in row
    assert order.stages.get(kind=StageKind.ORDER).status == StageStatus.DONE
