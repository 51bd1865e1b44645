"""The workspace API: customers, orders, stage lists and the stage and payment actions."""
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.utils import timezone

from orders.models import Order, OrderStage, OrderStatus, StageKind, StageStatus
from orders.services import order_cancel, order_create, payment_record
from staff.models import Role
from studio.models import AuditAction, AuditEntry
from tests.api import count_queries, get_json, ids, login, post, token_auth
from tests.orders.factories import OrderFactory

from ..factories import CustomerFactory


def make_orders(n: int, *, store, package, by) -> None:
    OrderFactory.create_batch(n, customer__store=store, package=package, by=by)


@pytest.fixture
def others_customer(store, other_specialist):
    """A customer of the same store looked after by another specialist."""
    return CustomerFactory(store=store, assigned_to=other_specialist, name="李四")


@pytest.fixture
def other_store_customer(other_store):
    return CustomerFactory(store=other_store, name="王五")


# --- Customers: who sees whom -------------------------------------------------------------------

def test_a_specialist_lists_and_opens_only_their_own_customers(client, specialist, customer,
                                                                 others_customer):
    login(client, specialist)
    assert ids(client.get("/api/customers/")) == {customer.pk}
    assert client.get(f"/api/customers/{customer.pk}/").status_code == 200
    assert client.get(f"/api/customers/{others_customer.pk}/").status_code == 404


@pytest.mark.parametrize("role", ["supervisor", "front_desk", "manager"])
def test_store_roles_see_their_store_and_not_the_other(request, client, role, customer,
                                                       others_customer, other_store_customer):
    login(client, request.getfixturevalue(role))
    assert ids(client.get("/api/customers/")) == {customer.pk, others_customer.pk}
    assert client.get(f"/api/customers/{other_store_customer.pk}/").status_code == 404


def test_the_general_manager_sees_every_store_and_can_narrow_to_one(client, general_manager, store,
                                                                     customer, other_store_customer):
    login(client, general_manager)
    assert ids(client.get("/api/customers/")) == {customer.pk, other_store_customer.pk}
    assert ids(client.get(f"/api/customers/?store={store.pk}")) == {customer.pk}
    assert client.get(f"/api/customers/{other_store_customer.pk}/").status_code == 200


@pytest.mark.parametrize("url", ["/api/customers/", "/api/orders/", "/api/stages/?kind=shoot"])
def test_anonymous_visitors_are_refused(client, url):
    assert client.get(url).status_code in (401, 403)


def test_a_photographer_may_not_list_or_open_customers(client, staff_of, customer):
    login(client, staff_of(Role.PHOTOGRAPHER).user)
    assert client.get("/api/customers/").status_code == 403
    assert client.get(f"/api/customers/{customer.pk}/").status_code == 403
    assert client.get("/api/stages/?kind=shoot").status_code == 403


def test_a_token_holder_gets_the_customer_list(client, specialist, customer):
    response = client.get("/api/customers/", **token_auth(specialist))
    assert response.status_code == 200
    assert ids(response) == {customer.pk}


def test_a_bad_token_is_refused(client, db):
    # 403 rather than 401 while SessionAuthentication comes first in the settings.
    assert client.get("/api/customers/", HTTP_AUTHORIZATION="Token nope").status_code in (401, 403)


def test_the_mobile_is_masked_for_a_specialist_and_full_for_a_supervisor(client, customer,
                                                                          specialist, supervisor):
    full = customer.mobile
    masked = get_json(login(client, specialist), f"/api/customers/{customer.pk}/")["mobile"]
    assert masked == customer.masked_mobile and masked != full and "****" in masked
    assert get_json(login(client, supervisor), f"/api/customers/{customer.pk}/")["mobile"] == full


def test_the_customer_payload_names_store_and_specialist(client, supervisor, customer, specialist):
    body = get_json(login(client, supervisor), f"/api/customers/{customer.pk}/")
    assert body["name"] == "张三"
    assert body["store_name"] == "人民路店"
    assert body["assigned_to"] == specialist.pk
    assert body["assigned_to_name"] == specialist.display_name


def test_opening_a_customer_through_the_api_is_audited(client, supervisor, customer):
    login(client, supervisor).get(f"/api/customers/{customer.pk}/")
    entry = AuditEntry.objects.get(action=AuditAction.VIEW_CUSTOMER)
    assert entry.actor == supervisor and entry.object_id == str(customer.pk)


def test_customers_are_found_by_name_mobile_or_its_last_digits(client, supervisor, store):
    zhang = CustomerFactory(store=store, name="张小花", mobile="13912345678")
    CustomerFactory(store=store, name="李大山", mobile="13787654321")
    login(client, supervisor)
    for q in ["小花", "13912345678", "5678"]:
        assert ids(client.get("/api/customers/", {"q": q})) == {zhang.pk}, q
    assert ids(client.get("/api/customers/", {"q": "567"})) == set()  # too short for a tail


def test_customers_filter_by_specialist_and_unassigned(client, supervisor, store, customer,
                                                       specialist):
    nobody = CustomerFactory(store=store, assigned_to=None)
    login(client, supervisor)
    assert ids(client.get("/api/customers/", {"unassigned": "true"})) == {nobody.pk}
    assert ids(client.get("/api/customers/", {"assigned_to": specialist.pk})) == {customer.pk}


def test_the_customer_list_costs_the_same_queries_for_3_or_30(client, supervisor, store,
                                                              django_assert_num_queries):
    for _ in range(3):
        CustomerFactory(store=store)
    login(client, supervisor)
    few = count_queries(client, "/api/customers/")
    for _ in range(27):
        CustomerFactory(store=store)
    with django_assert_num_queries(few):
        assert len(client.get("/api/customers/").json()["results"]) == 30


def test_a_page_past_the_end_is_a_404_with_a_reason_not_a_500(client, supervisor, customer):
    response = login(client, supervisor).get("/api/customers/?page=9")
    assert response.status_code == 404
    assert response.json()["detail"]


# --- Orders -------------------------------------------------------------------------------------

def test_the_order_detail_carries_money_stages_and_payments(client, front_desk, order):
    payment_record(order=order, kind="deposit", amount=Decimal("1000"), received_by=front_desk)
    body = get_json(login(client, front_desk), f"/api/orders/{order.pk}/")
    assert body["customer"] == {"id": order.customer_id, "name": "张三"}
    assert body["amount"] == "5999.00" and body["paid_total"] == "1000.00"
    assert body["balance_owed"] == "4999.00" and body["extras_total"] == "0.00"
    assert body["payment_status"] == "已付定金"
    assert body["status"] == OrderStatus.ACTIVE and body["current_stage"] == StageKind.GOWN
    assert [s["kind"] for s in body["stages"]] == ["order", "gown", "shoot", "selection", "pickup"]
    first = body["stages"][0]
    assert first["status"] == "done" and first["assigned_to_name"] == front_desk.display_name
    assert first["is_late"] is False
    [payment] = body["payments"]
    assert payment["kind"] == "deposit" and payment["amount"] == "1000.00"
    assert payment["received_by_name"] == front_desk.display_name


def test_orders_are_scoped_like_their_customers(client, specialist, other_specialist, manager,
                                                 other_manager, order):
    assert ids(login(client, specialist).get("/api/orders/")) == {order.pk}
    for user in (other_specialist, other_manager):
        login(client, user)
        assert ids(client.get("/api/orders/")) == set()
        assert client.get(f"/api/orders/{order.pk}/").status_code == 404
    assert login(client, manager).get(f"/api/orders/{order.pk}/").status_code == 200


def test_the_order_list_uses_the_order_filter(client, manager, order, customer, package, front_desk):
    cancelled = order_create(customer=customer, package=package, by=front_desk)
    order_cancel(order=cancelled, by=front_desk, reason="改期不拍了")
    login(client, manager)
    assert ids(client.get("/api/orders/", {"status": "cancelled"})) == {cancelled.pk}
    assert ids(client.get("/api/orders/", {"status": "active", "current_stage": "gown"})) == {order.pk}
    assert ids(client.get("/api/orders/", {"q": "张三"})) == {order.pk, cancelled.pk}


def test_a_bad_order_filter_value_is_a_400_with_the_field(client, manager):
    response = login(client, manager).get("/api/orders/", {"status": "bogus"})
    assert response.status_code == 400
    assert "status" in response.json()


def test_the_order_list_costs_the_same_queries_for_3_or_30(client, manager, store, package,
                                                           front_desk, django_assert_num_queries):
    make_orders(3, store=store, package=package, by=front_desk)
    login(client, manager)
    few = count_queries(client, "/api/orders/")
    assert few <= 10
    make_orders(27, store=store, package=package, by=front_desk)
    payment_record(order=Order.objects.first(), kind="deposit", amount=100,
                   received_by=front_desk)
    with django_assert_num_queries(few):
        assert len(client.get("/api/orders/").json()["results"]) == 30


# --- Stage lists --------------------------------------------------------------------------------

def test_the_stage_list_shows_one_kind_of_stage(client, supervisor, order):
    body = get_json(login(client, supervisor), "/api/stages/?kind=gown")
    [row] = body["results"]
    assert row["kind"] == "gown" and row["order"] == order.pk
    assert row["customer_name"] == "张三" and row["balance_owed"] == "5999.00"
    assert ids(client.get("/api/stages/?kind=shoot")) == {order.stages.get(kind="shoot").pk}


def test_the_stage_list_masks_the_mobile_for_a_specialist(client, specialist, customer, order):
    [row] = get_json(login(client, specialist), "/api/stages/?kind=gown")["results"]
    assert row["customer_mobile"] == customer.masked_mobile


def test_the_shoot_list_filters_by_location(client, supervisor, store, package, front_desk, order):
    beach = order_create(customer=CustomerFactory(store=store), package=package, by=front_desk)
    OrderStage.objects.filter(order=beach, kind=StageKind.SHOOT).update(location="海边外景")
    response = login(client, supervisor).get("/api/stages/", {"kind": "shoot", "location": "海边"})
    assert ids(response) == {beach.stages.get(kind="shoot").pk}


def test_the_stage_list_is_scoped_to_the_specialists_customers(client, specialist, order, package,
                                                                others_customer, front_desk):
    order_create(customer=others_customer, package=package, by=front_desk)
    response = login(client, specialist).get("/api/stages/?kind=gown")
    assert ids(response) == {order.stages.get(kind="gown").pk}


@pytest.mark.parametrize("query", ["", "?kind=wedding"])
def test_the_stage_list_needs_a_known_kind(client, supervisor, query):
    response = login(client, supervisor).get(f"/api/stages/{query}")
    assert response.status_code == 400
    assert "kind" in response.json()


@pytest.mark.parametrize("bad", [{"state": "bogus"}, {"scheduled_from": "not-a-date"}])
def test_a_bad_stage_filter_value_is_a_400_with_the_field(client, supervisor, bad):
    response = login(client, supervisor).get("/api/stages/", {"kind": "shoot", **bad})
    assert response.status_code == 400
    assert set(response.json()) == set(bad)


def test_the_stage_list_costs_the_same_queries_for_3_or_30(client, supervisor, store, package,
                                                           front_desk, django_assert_num_queries):
    make_orders(3, store=store, package=package, by=front_desk)
    login(client, supervisor)
    few = count_queries(client, "/api/stages/?kind=gown")
    assert few <= 10
    make_orders(27, store=store, package=package, by=front_desk)
    with django_assert_num_queries(few):
        assert len(client.get("/api/stages/?kind=gown").json()["results"]) == 30


def test_the_stage_list_filters_by_specialist_within_the_viewers_store(client, supervisor, order,
                                                                      specialist, other_manager):
    login(client, supervisor)
    assert ids(client.get("/api/stages/", {"kind": "gown", "specialist": specialist.pk})) == {
        order.stages.get(kind="gown").pk}
    response = client.get("/api/stages/", {"kind": "gown", "specialist": other_manager.pk})
    assert response.status_code == 400 and "specialist" in response.json()


def test_a_stage_list_page_past_the_end_is_a_404(client, supervisor, order):
    response = login(client, supervisor).get("/api/stages/?kind=gown&page=2")
    assert response.status_code == 404 and response.json()["detail"]


# --- Stage actions ------------------------------------------------------------------------------

def test_a_specialist_completes_a_stage_of_their_customers_order(client, specialist, order):
    response = post(login(client, specialist), f"/api/orders/{order.pk}/stages/gown/complete/",
                    {"extra_amount": "300", "extra_note": "加一套礼服", "notes": "顺利"})
    assert response.status_code == 200
    assert response.json()["status"] == StageStatus.DONE and response.json()["extra_amount"] == "300.00"
    stage = order.stages.get(kind="gown")
    assert stage.status == StageStatus.DONE and stage.completed_by == specialist
    order.refresh_from_db()
    assert order.current_stage == StageKind.SHOOT and order.extras_total == Decimal("300.00")


def test_skipping_a_stage_is_a_409(client, specialist, order):
    response = post(login(client, specialist), f"/api/orders/{order.pk}/stages/shoot/complete/", {})
    assert response.status_code == 409
    assert response.json()["code"] == "transition_not_allowed"
    assert order.stages.get(kind="shoot").status == StageStatus.PENDING


def test_a_badly_typed_body_is_a_400_before_the_service_runs(client, specialist, order):
    response = post(login(client, specialist), f"/api/orders/{order.pk}/stages/gown/complete/",
                    {"extra_amount": "lots"})
    assert response.status_code == 400 and "extra_amount" in response.json()
    assert order.stages.get(kind="gown").status == StageStatus.PENDING


def test_an_unknown_stage_in_the_path_is_a_400(client, specialist, order):
    response = post(login(client, specialist), f"/api/orders/{order.pk}/stages/bogus/complete/", {})
    assert response.status_code == 400 and "kind" in response.json()


@pytest.mark.clock
def test_another_specialists_order_answers_404(client, other_specialist, order):
    login(client, other_specialist)
    assert post(client, f"/api/orders/{order.pk}/stages/gown/complete/", {}).status_code == 404
    assert post(client, f"/api/orders/{order.pk}/stages/gown/schedule/",
                {"scheduled_at": (timezone.now() + timedelta(days=1)).isoformat()}).status_code == 404


@pytest.mark.clock
def test_a_stage_is_scheduled_in_the_future(client, specialist, order):
    at = timezone.now() + timedelta(days=3)
    response = post(login(client, specialist), f"/api/orders/{order.pk}/stages/gown/schedule/",
                    {"scheduled_at": at.isoformat(), "note": "周六上午"})
    assert response.status_code == 200 and response.json()["status"] == StageStatus.SCHEDULED
    assert order.stages.get(kind="gown").scheduled_at == at


@pytest.mark.clock
def test_scheduling_into_the_past_is_a_400(client, specialist, order):
    response = post(login(client, specialist), f"/api/orders/{order.pk}/stages/gown/schedule/",
                    {"scheduled_at": (timezone.now() - timedelta(hours=1)).isoformat()})
    assert response.status_code == 400 and "scheduled_at" in response.json()


def test_a_photographer_without_the_order_in_store_scope_gets_404(client, staff_of, other_store, order):
    photographer = staff_of(Role.PHOTOGRAPHER, other_store).user
    response = post(login(client, photographer), f"/api/orders/{order.pk}/stages/gown/complete/", {})
    assert response.status_code == 404


# --- Payments -----------------------------------------------------------------------------------

def test_the_front_desk_takes_a_payment(client, front_desk, order):
    response = post(login(client, front_desk), f"/api/orders/{order.pk}/payments/",
                    {"kind": "deposit", "amount": "2000", "method": "alipay"})
    assert response.status_code == 201
    assert response.json()["amount"] == "2000.00" and response.json()["method"] == "alipay"
    order.refresh_from_db()
    assert order.paid_total == Decimal("2000.00")


def test_a_specialist_may_not_take_a_payment(client, specialist, order):
    response = post(login(client, specialist), f"/api/orders/{order.pk}/payments/",
                    {"kind": "deposit", "amount": "2000"})
    assert response.status_code == 403
    assert not order.payments.exists()


def test_a_payment_on_a_cancelled_order_is_a_409(client, front_desk, order):
    order_cancel(order=order, by=front_desk, reason="客户取消")
    response = post(login(client, front_desk), f"/api/orders/{order.pk}/payments/",
                    {"kind": "deposit", "amount": "100"})
    assert response.status_code == 409 and response.json()["code"] == "order_cancelled"


def test_a_refund_above_what_was_paid_is_a_400_on_the_amount(client, front_desk, order):
    payment_record(order=order, kind="deposit", amount=Decimal("500"), received_by=front_desk)
    response = post(login(client, front_desk), f"/api/orders/{order.pk}/payments/",
                    {"kind": "refund", "amount": "800"})
    assert response.status_code == 400 and "amount" in response.json()


def test_a_payment_with_an_unknown_kind_or_no_amount_is_a_400(client, front_desk, order):
    response = post(login(client, front_desk), f"/api/orders/{order.pk}/payments/", {"kind": "gift"})
    assert response.status_code == 400 and {"kind", "amount"} <= set(response.json())


# --- Schema -------------------------------------------------------------------------------------

def test_the_schema_documents_the_workspace_endpoints(client, specialist):
    response = login(client, specialist).get("/api/schema/")
    assert response.status_code == 200
    schema = response.content.decode()
    for path in ["/api/customers/", "/api/orders/{id}/", "/api/stages/",
                 "/api/orders/{order_id}/stages/{kind}/complete/", "/api/orders/{order_id}/payments/"]:
        assert path in schema


def test_the_schema_generates_without_warnings(tmp_path):
    call_command("spectacular", "--fail-on-warn", "--file", str(tmp_path / "schema.yml"))


def test_a_payment_sent_again_with_its_idempotency_key_is_recorded_once(client, front_desk, order):
    login(client, front_desk)
    url, body = f"/api/orders/{order.pk}/payments/", {"kind": "deposit", "amount": "500"}
    first = client.post(url, body, content_type="application/json", HTTP_IDEMPOTENCY_KEY="k-1")
    again = client.post(url, body, content_type="application/json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert first.status_code == again.status_code == 201
    assert first.json()["id"] == again.json()["id"]
    order.refresh_from_db()
    assert order.paid_total == Decimal("500.00")
    # The key belongs to the order it paid: reusing it on another order is refused.
    other = order_create(customer=CustomerFactory(store=order.store), package=order.package,
                         by=front_desk)
    refused = client.post(f"/api/orders/{other.pk}/payments/", body,
                          content_type="application/json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert refused.status_code == 400 and "request_key" in refused.json()
