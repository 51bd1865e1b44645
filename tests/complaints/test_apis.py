"""The complaints API: the archive and one complaint, registration, one endpoint per step and the
statistics; who may do what (each role, including the refusals: 403 for a role that may not,
404 out of scope, 400 on the field for bad data, 409 for a step the state does not allow), the
payloads, the whole loop through the API, and the list's query count."""
from datetime import timedelta
from decimal import Decimal

import pytest
from django.test import RequestFactory
from django.utils import timezone

from callbacks.models import CallbackPurpose, CallbackTask
from complaints.exports import complaint_archive_filtered
from complaints.models import (
    Complaint,
    ComplaintEvent,
    ComplaintPenalty,
    ComplaintSolution,
    ComplaintStatus,
)
from complaints.services import (
    complaint_approve,
    complaint_implement,
    complaint_investigate,
    complaint_judge,
    complaint_propose,
)
from customers.models import Customer
from orders.services import order_create
from staff.models import Department, DepartmentKind, Role
from tests.api import count_queries, get_json, ids, login, post

from ..factories import CustomerFactory
from .conftest import SIGNATURE
from .factories import ComplaintFactory


def in_two_days() -> str:
    return (timezone.now() + timedelta(days=2)).isoformat()


def register(store, customer, **kwargs) -> Complaint:
    """A complaint registered from the public page (no staff member, so no permission asked)."""
    return ComplaintFactory(store=store, customer=customer, **{
        "category": "service_attitude", "content": "态度不好", **kwargs})


@pytest.fixture
def photographer(staff_of):
    return staff_of(Role.PHOTOGRAPHER).user


@pytest.fixture
def others_complaint(store, other_specialist):
    """A complaint of 李四, a customer of specialist_b in the same store."""
    return register(store, CustomerFactory(store=store, assigned_to=other_specialist, name="李四"))


@pytest.fixture
def other_store_complaint(other_store):
    return register(other_store, CustomerFactory(store=other_store, name="王五"))


def step_url(complaint: Complaint, step: str) -> str:
    return f"/api/complaints/{complaint.pk}/{step}/"


JUDGE_INVALID = {"valid": False, "reason": "误会", "explanation": "已向客户解释清楚"}


# --- Who sees which complaints ------------------------------------------------------------------

def test_a_specialist_lists_and_opens_only_their_customers_complaints(
        client, specialist, registered, others_complaint, other_store_complaint):
    login(client, specialist)
    assert ids(client.get("/api/complaints/")) == {registered.pk}
    assert client.get(f"/api/complaints/{registered.pk}/").status_code == 200
    assert client.get(f"/api/complaints/{others_complaint.pk}/").status_code == 404
    assert client.get(f"/api/complaints/{other_store_complaint.pk}/").status_code == 404


@pytest.mark.parametrize("role", ["supervisor", "front_desk", "manager"])
def test_store_roles_see_their_stores_complaints_and_not_the_others(
        request, client, role, registered, others_complaint, other_store_complaint):
    login(client, request.getfixturevalue(role))
    assert ids(client.get("/api/complaints/")) == {registered.pk, others_complaint.pk}
    assert client.get(f"/api/complaints/{others_complaint.pk}/").status_code == 200
    assert client.get(f"/api/complaints/{other_store_complaint.pk}/").status_code == 404


def test_the_general_manager_sees_every_store_and_can_narrow_to_one(
        client, general_manager, store, registered, other_store_complaint):
    login(client, general_manager)
    assert ids(client.get("/api/complaints/")) == {registered.pk, other_store_complaint.pk}
    assert ids(client.get("/api/complaints/", {"store": store.pk})) == {registered.pk}
    assert client.get(f"/api/complaints/{other_store_complaint.pk}/").status_code == 200


@pytest.mark.parametrize("url", ["/api/complaints/", "/api/complaints/1/",
                                 "/api/complaints/statistics/"])
def test_anonymous_visitors_are_refused(client, db, url):
    assert client.get(url).status_code in (401, 403)


def test_anonymous_visitors_cannot_register_or_judge(client, registered):
    body = {"channel": "phone", "category": "other", "content": "x", "name": "赵六",
            "mobile": "13900001111"}
    assert post(client, "/api/complaints/", body).status_code in (401, 403)
    assert post(client, step_url(registered, "judge"), JUDGE_INVALID).status_code in (401, 403)
    assert Complaint.objects.count() == 1


@pytest.mark.clock
def test_a_photographer_may_do_nothing_with_complaints(client, photographer, approved, customer):
    login(client, photographer)
    solution = approved.solutions.get(is_approved=True)
    assert client.get("/api/complaints/").status_code == 403
    assert client.get(f"/api/complaints/{approved.pk}/").status_code == 403
    assert client.get("/api/complaints/statistics/").status_code == 403
    assert post(client, "/api/complaints/", {"customer": customer.pk, "channel": "phone",
                                             "category": "other", "content": "x"}).status_code == 403
    for step, body in [("judge", JUDGE_INVALID), ("investigate", {"cause": "x"}),
                       ("solutions", {"kind": "apology", "description": "道歉"}),
                       ("approve", {"solution": solution.pk, "comment": "好"}),
                       ("implement", {"accepted": True, "signature": SIGNATURE})]:
        assert post(client, step_url(approved, step), body).status_code == 403, step
    assert Complaint.objects.count() == 1 and approved.events.count() == 6


# --- Payload ------------------------------------------------------------------------------------

def test_the_mobile_is_masked_for_a_specialist_and_full_for_a_supervisor(
        client, registered, customer, specialist, supervisor):
    login(client, specialist)
    [row] = get_json(client, "/api/complaints/")["results"]
    assert row["customer_mobile"] == customer.masked_mobile != customer.mobile
    assert get_json(client, f"/api/complaints/{registered.pk}/")["customer_mobile"] == (
        customer.masked_mobile)
    login(client, supervisor)
    [row] = get_json(client, "/api/complaints/")["results"]
    assert row["customer_mobile"] == customer.mobile
    assert get_json(client, f"/api/complaints/{registered.pk}/")["customer_mobile"] == (
        customer.mobile)


@pytest.mark.clock
def test_a_row_of_the_archive_names_the_customer_store_department_and_people(
        client, supervisor, investigated, customer, store, specialist, cs_department):
    [row] = get_json(login(client, supervisor), "/api/complaints/")["results"]
    assert row["reference"] == investigated.reference
    assert (row["customer"], row["customer_name"]) == (customer.pk, "张三")
    assert (row["store"], row["store_name"]) == (store.pk, "人民路店")
    assert (row["status"], row["category"], row["channel"], row["severity"]) == (
        "investigated", "product_quality", "phone", "low")  # 一般 unless chosen
    assert row["responsible_department_name"] == cs_department.name
    assert row["responsible_staff_name"] == investigated.responsible_staff.display_name
    assert row["registered_by_name"] == specialist.display_name
    assert row["handled_by"] == specialist.pk and row["is_valid"] is True


@pytest.mark.clock
def test_the_detail_shows_the_history_solutions_and_penalties(client, supervisor, approved,
                                                              specialist, staff_of):
    designer = approved.responsible_staff
    complaint_implement(complaint=approved, by=supervisor, accepted=True,
                        signature_data_url=SIGNATURE, feedback="满意",
                        penalties=[{"staff": designer, "amount": Decimal("100"),
                                    "description": "装裱划伤"}])
    body = get_json(login(client, supervisor), f"/api/complaints/{approved.pk}/")
    assert [e["action"] for e in body["events"]] == [
        "register", "judge", "investigate", "propose", "propose", "approve", "implement"]
    assert body["events"][0]["by_name"] == specialist.display_name
    assert [(s["kind"], s["cost"], s["is_approved"]) for s in body["solutions"]] == [
        ("remake", "300.00", True), ("points", "50.00", False)]
    assert body["solutions"][0]["proposed_by_name"] == specialist.display_name
    [penalty] = body["penalties"]
    assert (penalty["staff"], penalty["staff_name"], penalty["amount"]) == (
        designer.pk, designer.display_name, "100.00")
    assert body["status"] == "closed" and body["has_signature"] is True
    assert body["approved_by_name"] == supervisor.display_name
    assert body["approval_comment"] == "重做最能挽回客户"
    assert body["customer_feedback"] == "满意" and body["customer_accepted"] is True
    assert body["followup_task"] and body["followup_status"] == "pending"
    assert body["customer_specialist_name"] == specialist.display_name


@pytest.mark.clock
def test_the_detail_costs_the_same_queries_for_one_solution_and_penalty_or_three(
        client, supervisor, store, cs_department, staff_of, django_assert_num_queries):
    designer = staff_of(Role.DESIGNER).user

    def closed_with(n: int) -> Complaint:
        complaint = register(store, CustomerFactory(store=store))
        complaint_judge(complaint=complaint, by=supervisor, valid=True, reason="确有其事",
                        department=cs_department, promised_at=timezone.now() + timedelta(days=1))
        complaint_investigate(complaint=complaint, by=supervisor, cause="划伤",
                              responsible_staff=designer)
        solutions = [complaint_propose(complaint=complaint, by=supervisor, kind="remake",
                                       description=f"方案{i}", cost=i) for i in range(n)]
        complaint_approve(complaint=complaint, by=supervisor, solution=solutions[0],
                          comment="同意")
        return complaint_implement(
            complaint=complaint, by=supervisor, accepted=True, signature_data_url=SIGNATURE,
            penalties=[{"staff": designer if i % 2 else supervisor, "amount": i,
                        "description": "处罚"} for i in range(n)])

    one, three = closed_with(1), closed_with(3)
    login(client, supervisor)
    few = count_queries(client, f"/api/complaints/{one.pk}/")
    with django_assert_num_queries(few):
        body = client.get(f"/api/complaints/{three.pk}/").json()
    assert (len(body["events"]), len(body["solutions"]), len(body["penalties"])) == (8, 3, 3)


@pytest.mark.clock
def test_the_complaint_list_costs_the_same_queries_for_3_or_30(
        client, supervisor, store, specialist, cs_department, staff_of,
        django_assert_num_queries):
    designer = staff_of("designer").user

    def complaints(n: int) -> None:
        for i in range(n):
            complaint = register(store, CustomerFactory(
                store=store, assigned_to=specialist if i % 2 else None))
            if i % 3:
                complaint_judge(complaint=complaint, by=supervisor, valid=True, reason="成立",
                                department=cs_department,
                                promised_at=timezone.now() + timedelta(days=1))
                complaint_investigate(complaint=complaint, by=supervisor, cause="原因",
                                      responsible_staff=designer)

    complaints(3)
    login(client, supervisor)
    few = count_queries(client, "/api/complaints/")
    assert few <= 10
    complaints(27)
    with django_assert_num_queries(few):
        assert len(client.get("/api/complaints/").json()["results"]) == 30


def test_a_complaint_list_page_past_the_end_is_a_404_with_a_reason(client, supervisor,
                                                                   registered):
    response = login(client, supervisor).get("/api/complaints/?page=2")
    assert response.status_code == 404 and response.json()["detail"]


# --- The archive's filters, the page's rules ----------------------------------------------------

@pytest.fixture
def archive(store, supervisor, specialist, cs_department, staff_of):
    """Complaints of several categories, states, departments, people and days."""
    designer = staff_of("designer").user
    sales = Department.objects.create(store=store, kind=DepartmentKind.SALES, name="门市部")
    now = timezone.now()
    made = []
    for i, (category, days_ago, name, mobile) in enumerate([
            ("product_quality", 0, "张三", "13800000001"), ("price", 3, "李四", "13900000002"),
            ("schedule", 10, "王五", "13700000003"), ("service_attitude", 40, "赵六", "13600000004"),
            ("other", 1, "孙七", "13500000005")]):
        customer = CustomerFactory(store=store, name=name, mobile=mobile, assigned_to=specialist)
        complaint = register(store, customer, category=category,
                             received_at=now - timedelta(days=days_ago))
        if i in (0, 1, 2):
            complaint_judge(complaint=complaint, by=supervisor, valid=True, reason="成立",
                            department=cs_department if i != 1 else sales,
                            promised_at=now + timedelta(days=1))
        if i == 0:
            complaint_investigate(complaint=complaint, by=supervisor, cause="原因",
                                  responsible_staff=designer)
        if i == 2:
            complaint_investigate(complaint=complaint, by=supervisor, cause="原因",
                                  handled_by=designer)
        if i == 4:
            complaint_judge(complaint=complaint, by=supervisor, valid=False, reason="不成立",
                            explanation="已解释")
        made.append(complaint)
    return {"complaints": made, "designer": designer, "sales": sales}


@pytest.mark.clock
def test_the_api_filters_as_the_archive_page_does(client, supervisor, archive, cs_department):
    today = timezone.localdate()
    cases = [
        {}, {"q": "张三"}, {"q": "0002"}, {"q": "13700000003"}, {"category": "price"},
        {"status": "open"}, {"status": "investigated"}, {"status": "rejected"},
        {"status": "registered"}, {"department": archive["sales"].pk},
        {"department": cs_department.pk, "status": "open"}, {"staff": archive["designer"].pk},
        {"start": (today - timedelta(days=5)).isoformat()},
        {"end": (today - timedelta(days=5)).isoformat()},
        {"start": (today - timedelta(days=12)).isoformat(),
         "end": (today - timedelta(days=2)).isoformat(), "status": "open"},
    ]
    login(client, supervisor)
    for params in cases:
        page = complaint_archive_filtered(supervisor, RequestFactory().get("/", params).GET)
        assert ids(client.get("/api/complaints/", params)) == {c.pk for c in page}, params
    # The cases tell complaints apart (a filter that did nothing would pass the loop above).
    assert ids(client.get("/api/complaints/", {"staff": archive["designer"].pk})) == {
        archive["complaints"][0].pk, archive["complaints"][2].pk}
    assert ids(client.get("/api/complaints/", {"status": "open"})) == {
        c.pk for c in archive["complaints"][:4]}


@pytest.mark.parametrize("params, field", [
    ({"status": "lost"}, "status"), ({"category": "food"}, "category"),
    ({"start": "昨天"}, "start"), ({"department": "x"}, "department"),
])
def test_a_filter_value_that_is_not_one_is_a_400_on_its_field(client, supervisor, params, field):
    response = login(client, supervisor).get("/api/complaints/", params)
    assert response.status_code == 400 and field in response.json()


# --- Registering --------------------------------------------------------------------------------

REGISTER = {"channel": "callback", "category": "service_attitude", "severity": "high",
            "content": "回访时客户反映前台态度不好"}


def test_a_specialist_registers_a_complaint_for_their_customer(client, specialist, customer,
                                                               store, order):
    response = post(login(client, specialist), "/api/complaints/",
                    {**REGISTER, "customer": customer.pk, "order": order.pk})
    assert response.status_code == 201, response.content
    body = response.json()
    complaint = Complaint.objects.get()
    assert body["id"] == complaint.pk and body["reference"] == complaint.reference
    assert (complaint.customer, complaint.store, complaint.order) == (customer, store, order)
    assert (body["status"], body["severity"], body["channel"]) == ("registered", "high", "callback")
    assert body["registered_by"] == specialist.pk and body["step_due_at"]
    assert [e["action"] for e in body["events"]] == ["register"]


def test_the_front_desk_registers_a_new_complainant_in_their_store(client, front_desk, store):
    response = post(login(client, front_desk), "/api/complaints/",
                    {**REGISTER, "name": "赵六", "mobile": "13900001111"})
    assert response.status_code == 201, response.content
    complaint = Complaint.objects.get()
    assert complaint.store == store
    assert (complaint.customer.name, complaint.customer.mobile) == ("赵六", "13900001111")
    assert response.json()["customer_mobile"] == "13900001111"  # the front desk sees it in full


def test_a_known_mobile_is_the_stores_customer_not_a_new_one(client, supervisor, customer):
    response = post(login(client, supervisor), "/api/complaints/",
                    {**REGISTER, "name": "张三", "mobile": customer.mobile})
    assert response.status_code == 201
    assert Complaint.objects.get().customer == customer and Customer.objects.count() == 1


def test_the_general_manager_names_the_store(client, general_manager, other_store):
    login(client, general_manager)
    body = {**REGISTER, "name": "赵六", "mobile": "13900001111"}
    response = post(client, "/api/complaints/", body)
    assert response.status_code == 400 and "store" in response.json()
    response = post(client, "/api/complaints/", {**body, "store": other_store.pk})
    assert response.status_code == 201
    assert Complaint.objects.get().store == other_store


def test_a_store_role_may_not_register_for_another_store(client, supervisor, other_store,
                                                         customer):
    login(client, supervisor)
    response = post(client, "/api/complaints/", {**REGISTER, "name": "赵六",
                                                 "mobile": "13900001111", "store": other_store.pk})
    assert response.status_code == 400 and "store" in response.json()
    response = post(client, "/api/complaints/", {**REGISTER, "customer": customer.pk,
                                                 "store": other_store.pk})
    assert response.status_code == 400 and "store" in response.json()
    assert not Complaint.objects.exists()


def test_a_customer_or_order_out_of_scope_is_a_400_on_its_field(client, other_specialist,
                                                                supervisor, customer, order,
                                                                store, other_store):
    login(client, other_specialist)
    response = post(client, "/api/complaints/", {**REGISTER, "customer": customer.pk})
    assert response.status_code == 400 and "customer" in response.json()
    theirs = CustomerFactory(store=store, assigned_to=other_specialist)
    response = post(client, "/api/complaints/",
                    {**REGISTER, "customer": theirs.pk, "order": order.pk})
    assert response.status_code == 400 and "order" in response.json()
    stranger = CustomerFactory(store=other_store)
    response = post(login(client, supervisor), "/api/complaints/",
                    {**REGISTER, "customer": stranger.pk})
    assert response.status_code == 400 and "customer" in response.json()
    assert not Complaint.objects.exists()


def test_an_order_of_someone_else_is_a_400(client, supervisor, store, order):
    someone = CustomerFactory(store=store)
    response = post(login(client, supervisor), "/api/complaints/",
                    {**REGISTER, "customer": someone.pk, "order": order.pk})
    assert response.status_code == 400 and "order" in response.json()
    assert not Complaint.objects.exists()


@pytest.mark.parametrize("body, field", [
    ({**REGISTER, "name": "赵六", "mobile": "12345"}, "mobile"),
    ({**REGISTER, "name": "赵六"}, "mobile"),
    ({**REGISTER, "mobile": "13900001111"}, "name"),
    ({**REGISTER, "name": "赵六", "mobile": "13900001111", "channel": "pigeon"}, "channel"),
    ({**REGISTER, "name": "赵六", "mobile": "13900001111", "category": "weather"}, "category"),
    ({**REGISTER, "name": "赵六", "mobile": "13900001111", "severity": "apocalyptic"}, "severity"),
    ({**REGISTER, "name": "赵六", "mobile": "13900001111", "content": "   "}, "content"),
    ({**REGISTER, "name": "赵六", "mobile": "13900001111", "content": "长" * 2001}, "content"),
])
def test_a_bad_registration_is_a_400_on_its_field(client, supervisor, body, field):
    response = post(login(client, supervisor), "/api/complaints/", body)
    assert response.status_code == 400 and field in response.json(), response.content
    assert not Complaint.objects.exists()


# --- Judge --------------------------------------------------------------------------------------

@pytest.mark.clock
def test_a_valid_complaint_goes_to_its_department(client, specialist, registered, cs_department):
    response = post(login(client, specialist), step_url(registered, "judge"), {
        "valid": True, "reason": "确有划痕", "department": cs_department.pk,
        "promised_at": in_two_days()})
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["status"], body["is_valid"]) == ("investigating", True)
    assert body["responsible_department"] == cs_department.pk
    assert body["investigation_promised_at"] and body["events"][-1]["action"] == "judge"


def test_a_complaint_found_not_valid_is_closed_with_the_explanation(client, specialist,
                                                                    registered):
    response = post(login(client, specialist), step_url(registered, "judge"),
                    {**JUDGE_INVALID, "customer_understood": True})
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["status"], body["is_valid"], body["customer_understood"]) == (
        "rejected", False, True)
    assert body["explanation"] == "已向客户解释清楚" and body["closed_at"]


@pytest.mark.parametrize("body, field", [
    ({"valid": True, "reason": "成立", "promised_at": "2099-01-01T10:00:00+08:00"}, "department"),
    ({"valid": True, "reason": "成立", "department": "{dept}"}, "promised_at"),
    ({"valid": True, "reason": "成立", "department": "{dept}",
      "promised_at": "2000-01-01T10:00:00+08:00"}, "promised_at"),
    ({"valid": False, "reason": "误会"}, "explanation"),
    ({"valid": False, "reason": " ", "explanation": "x"}, "reason"),
    ({"reason": "x", "explanation": "x"}, "valid"),
    ({"valid": True, "reason": "成立", "department": 999999,
      "promised_at": "2099-01-01T10:00:00+08:00"}, "department"),
])
def test_a_bad_judgement_is_a_400_on_its_field(client, specialist, registered, cs_department,
                                               body, field):
    body = {k: (cs_department.pk if v == "{dept}" else v) for k, v in body.items()}
    response = post(login(client, specialist), step_url(registered, "judge"), body)
    assert response.status_code == 400 and field in response.json(), response.content
    registered.refresh_from_db()
    assert registered.status == ComplaintStatus.REGISTERED


@pytest.mark.clock
def test_another_stores_department_is_a_400(client, supervisor, registered, other_store):
    theirs = Department.objects.create(store=other_store, kind=DepartmentKind.SALES, name="门市部")
    response = post(login(client, supervisor), step_url(registered, "judge"), {
        "valid": True, "reason": "成立", "department": theirs.pk, "promised_at": in_two_days()})
    assert response.status_code == 400 and "department" in response.json()


@pytest.mark.clock
def test_judging_twice_is_a_409(client, specialist, judged):
    response = post(login(client, specialist), step_url(judged, "judge"), JUDGE_INVALID)
    assert response.status_code == 409
    assert response.json()["code"] == "transition_not_allowed"
    judged.refresh_from_db()
    assert judged.status == ComplaintStatus.INVESTIGATING


def test_the_front_desk_registers_but_may_not_judge(client, front_desk, registered):
    assert post(login(client, front_desk), step_url(registered, "judge"),
                JUDGE_INVALID).status_code == 403
    assert client.get(f"/api/complaints/{registered.pk}/").status_code == 200


def test_judging_out_of_scope_is_a_404(client, specialist, supervisor, others_complaint,
                                       other_store_complaint):
    assert post(login(client, specialist), step_url(others_complaint, "judge"),
                JUDGE_INVALID).status_code == 404
    assert post(login(client, supervisor), step_url(other_store_complaint, "judge"),
                JUDGE_INVALID).status_code == 404
    assert not ComplaintEvent.objects.filter(action="judge").exists()


# --- Investigate --------------------------------------------------------------------------------

@pytest.mark.clock
def test_the_investigation_names_the_cause_and_the_person_responsible(client, specialist, judged,
                                                                      staff_of):
    designer = staff_of("designer").user
    response = post(login(client, specialist), step_url(judged, "investigate"),
                    {"cause": "装裱时划伤", "responsible_staff": designer.pk})
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["status"], body["cause"]) == ("investigated", "装裱时划伤")
    assert (body["responsible_staff"], body["handled_by"]) == (designer.pk, specialist.pk)


@pytest.mark.clock
def test_someone_of_another_store_cannot_be_responsible(client, specialist, judged, staff_of,
                                                        other_store):
    stranger = staff_of("designer", other_store).user
    response = post(login(client, specialist), step_url(judged, "investigate"),
                    {"cause": "x", "responsible_staff": stranger.pk})
    assert response.status_code == 400 and "responsible_staff" in response.json()
    response = post(client, step_url(judged, "investigate"), {"responsible_staff": None})
    assert response.status_code == 400 and "cause" in response.json()


def test_investigating_before_the_judgement_is_a_409(client, specialist, registered):
    response = post(login(client, specialist), step_url(registered, "investigate"),
                    {"cause": "x"})
    assert response.status_code == 409


@pytest.mark.clock
def test_investigating_needs_the_permission_and_the_scope(client, front_desk, other_specialist,
                                                          judged):
    assert post(login(client, front_desk), step_url(judged, "investigate"),
                {"cause": "x"}).status_code == 403
    assert post(login(client, other_specialist), step_url(judged, "investigate"),
                {"cause": "x"}).status_code == 404


# --- Propose ------------------------------------------------------------------------------------

@pytest.mark.clock
def test_each_proposal_adds_a_solution(client, specialist, investigated):
    login(client, specialist)
    response = post(client, step_url(investigated, "solutions"),
                    {"kind": "remake", "description": "免费重做相册", "cost": "300"})
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["solution"]["kind"], body["solution"]["cost"]) == ("remake", "300.00")
    assert body["complaint"]["status"] == "proposed"
    response = post(client, step_url(investigated, "solutions"),
                    {"kind": "apology", "description": "当面道歉"})
    assert response.status_code == 201
    assert [s["kind"] for s in response.json()["complaint"]["solutions"]] == ["remake", "apology"]
    assert response.json()["solution"]["cost"] == "0.00"


@pytest.mark.parametrize("body, field", [
    ({"kind": "remake", "description": "重做", "cost": "-1"}, "cost"),
    ({"kind": "remake", "description": "重做", "cost": "很多"}, "cost"),
    ({"kind": "yacht", "description": "送游艇"}, "kind"),
    ({"kind": "remake", "description": "  "}, "description"),
])
@pytest.mark.clock
def test_a_bad_solution_is_a_400_on_its_field(client, specialist, investigated, body, field):
    response = post(login(client, specialist), step_url(investigated, "solutions"), body)
    assert response.status_code == 400 and field in response.json(), response.content
    assert not ComplaintSolution.objects.exists()


@pytest.mark.clock
def test_proposing_before_the_investigation_is_a_409(client, specialist, judged):
    response = post(login(client, specialist), step_url(judged, "solutions"),
                    {"kind": "apology", "description": "道歉"})
    assert response.status_code == 409 and not ComplaintSolution.objects.exists()


@pytest.mark.clock
def test_proposing_needs_the_permission_and_the_scope(client, front_desk, other_manager,
                                                      investigated):
    body = {"kind": "apology", "description": "道歉"}
    assert post(login(client, front_desk), step_url(investigated, "solutions"),
                body).status_code == 403
    assert post(login(client, other_manager), step_url(investigated, "solutions"),
                body).status_code == 404


# --- Approve ------------------------------------------------------------------------------------

@pytest.mark.clock
def test_the_supervisor_approves_the_best_solution(client, supervisor, proposed):
    points = proposed.solutions.get(kind="points")
    response = post(login(client, supervisor), step_url(proposed, "approve"),
                    {"solution": points.pk, "comment": "积分更合适"})
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["status"], body["approved_by"], body["approval_comment"]) == (
        "approved", supervisor.pk, "积分更合适")
    assert [s["kind"] for s in body["solutions"] if s["is_approved"]] == ["points"]


@pytest.mark.parametrize("role", ["specialist", "front_desk", "manager", "general_manager"])
@pytest.mark.clock
def test_only_the_supervisor_may_approve(request, client, role, proposed):
    solution = proposed.solutions.first()
    response = post(login(client, request.getfixturevalue(role)), step_url(proposed, "approve"),
                    {"solution": solution.pk, "comment": "同意"})
    assert response.status_code == 403
    proposed.refresh_from_db()
    assert proposed.status == ComplaintStatus.PROPOSED


@pytest.mark.clock
def test_a_bad_approval_is_a_400_on_its_field(client, supervisor, proposed, others_complaint):
    login(client, supervisor)
    solution = proposed.solutions.first()
    response = post(client, step_url(proposed, "approve"), {"solution": solution.pk, "comment": ""})
    assert response.status_code == 400 and "comment" in response.json()
    response = post(client, step_url(proposed, "approve"), {"comment": "同意"})
    assert response.status_code == 400 and "solution" in response.json()
    elsewhere = ComplaintSolution.objects.create(complaint=others_complaint, kind="gift",
                                                 description="礼品", proposed_by=supervisor)
    response = post(client, step_url(proposed, "approve"),
                    {"solution": elsewhere.pk, "comment": "同意"})
    assert response.status_code == 400 and "solution" in response.json()
    assert not ComplaintSolution.objects.filter(is_approved=True).exists()


@pytest.mark.clock
def test_approving_twice_is_a_409(client, supervisor, approved):
    solution = approved.solutions.get(is_approved=True)
    response = post(login(client, supervisor), step_url(approved, "approve"),
                    {"solution": solution.pk, "comment": "再批一次"})
    assert response.status_code == 409


@pytest.mark.clock
def test_approving_out_of_scope_is_a_404(client, staff_of, other_store, proposed):
    their_supervisor = staff_of(Role.SUPERVISOR, other_store).user
    solution = proposed.solutions.first()
    assert post(login(client, their_supervisor), step_url(proposed, "approve"),
                {"solution": solution.pk, "comment": "同意"}).status_code == 404


# --- Implement ----------------------------------------------------------------------------------

@pytest.mark.clock
def test_implementing_records_penalties_the_signature_and_a_follow_up_callback(
        client, supervisor, approved, staff_of):
    designer = approved.responsible_staff
    head = staff_of(Role.SELECTION_CONSULTANT).user
    response = post(login(client, supervisor), step_url(approved, "implement"), {
        "accepted": True, "signature": SIGNATURE, "feedback": "客户满意",
        "penalties": [
            {"staff": designer.pk, "amount": "100.00", "description": "装裱划伤"},
            {"staff": head.pk, "amount": "50", "description": "部门主管连带责任",
             "is_department_head": True}]})
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["status"], body["customer_accepted"], body["has_signature"]) == (
        "closed", True, True)
    assert [(p["staff"], p["amount"], p["is_department_head"]) for p in body["penalties"]] == [
        (designer.pk, "100.00", False), (head.pk, "50.00", True)]
    task = CallbackTask.objects.get(pk=body["followup_task"])
    assert (task.purpose, task.customer_id) == (CallbackPurpose.COMPLAINT, approved.customer_id)


@pytest.mark.parametrize("body, field", [
    ({"accepted": False, "signature": SIGNATURE}, "accepted"),
    ({"accepted": True, "signature": ""}, "signature"),
    ({"accepted": True, "signature": "data:image/jpeg;base64,/9j/4AAQ"}, "signature"),
    ({"accepted": True, "signature": "data:image/png;base64,bm90IGEgcG5n"}, "signature"),
    ({"accepted": True}, "signature"),
    ({"signature": SIGNATURE}, "accepted"),
    ({"accepted": True, "signature": SIGNATURE,
      "penalties": [{"staff": "{designer}", "amount": "-5", "description": "x"}]}, "penalties"),
    ({"accepted": True, "signature": SIGNATURE,
      "penalties": [{"staff": "{designer}", "amount": "5"}]}, "penalties"),
    ({"accepted": True, "signature": SIGNATURE,
      "penalties": [{"staff": 999999, "amount": "5", "description": "x"}]}, "penalties"),
])
@pytest.mark.clock
def test_a_bad_implementation_is_a_400_on_its_field(client, supervisor, approved, body, field):
    designer = approved.responsible_staff
    body = {**body, "penalties": [{k: designer.pk if v == "{designer}" else v
                                   for k, v in p.items()} for p in body.get("penalties", [])]}
    response = post(login(client, supervisor), step_url(approved, "implement"), body)
    assert response.status_code == 400 and field in response.json(), response.content
    approved.refresh_from_db()
    assert approved.status == ComplaintStatus.APPROVED
    assert not ComplaintPenalty.objects.exists() and not CallbackTask.objects.exists()


@pytest.mark.clock
def test_a_penalty_on_someone_of_another_store_is_a_400(client, supervisor, approved, staff_of,
                                                        other_store):
    stranger = staff_of(Role.DESIGNER, other_store).user
    response = post(login(client, supervisor), step_url(approved, "implement"), {
        "accepted": True, "signature": SIGNATURE,
        "penalties": [{"staff": stranger.pk, "amount": "10", "description": "x"}]})
    assert response.status_code == 400 and "penalties" in response.json()
    assert not ComplaintPenalty.objects.exists()


@pytest.mark.clock
def test_implementing_before_the_approval_is_a_409(client, supervisor, proposed):
    response = post(login(client, supervisor), step_url(proposed, "implement"),
                    {"accepted": True, "signature": SIGNATURE})
    assert response.status_code == 409 and not CallbackTask.objects.exists()


@pytest.mark.parametrize("role", ["specialist", "front_desk"])
@pytest.mark.clock
def test_implementing_needs_a_lead(request, client, role, approved):
    response = post(login(client, request.getfixturevalue(role)), step_url(approved, "implement"),
                    {"accepted": True, "signature": SIGNATURE})
    assert response.status_code == 403
    approved.refresh_from_db()
    assert approved.status == ComplaintStatus.APPROVED


@pytest.mark.clock
def test_the_customer_refusing_sends_the_complaint_back_for_another_approval(client, supervisor,
                                                                             approved):
    response = post(login(client, supervisor), step_url(approved, "refuse"),
                    {"feedback": "客户想要退款"})
    assert response.status_code == 200 and response.json()["status"] == ComplaintStatus.PROPOSED
    assert post(client, step_url(approved, "refuse"), {"feedback": "再次"}).status_code == 409
    assert post(client, step_url(approved, "refuse"), {"feedback": ""}).status_code == 400


@pytest.mark.clock
def test_implementing_out_of_scope_is_a_404(client, other_manager, approved):
    assert post(login(client, other_manager), step_url(approved, "implement"),
                {"accepted": True, "signature": SIGNATURE}).status_code == 404


# --- The whole loop through the API -------------------------------------------------------------

@pytest.mark.clock
def test_a_complaint_goes_from_registration_to_closed_with_a_follow_up_callback(
        client, specialist, supervisor, customer, cs_department, staff_of):
    """《顾客投诉登记表》 → judged valid → investigated → two solutions → the supervisor picks one
    → penalties, signature, closed, and a follow-up callback (L48 处理后有回访)."""
    designer = staff_of(Role.DESIGNER).user
    login(client, specialist)
    response = post(client, "/api/complaints/", {
        "customer": customer.pk, "channel": "phone", "category": "product_quality",
        "content": "相册有划痕"})
    assert response.status_code == 201, response.content
    complaint_id = response.json()["id"]
    url = f"/api/complaints/{complaint_id}/"

    steps = [
        (specialist, "judge", {"valid": True, "reason": "确有划痕", "department": cs_department.pk,
                               "promised_at": in_two_days()}, 200, "investigating"),
        (specialist, "investigate", {"cause": "装裱时划伤", "responsible_staff": designer.pk},
         200, "investigated"),
        (specialist, "solutions", {"kind": "remake", "description": "免费重做相册", "cost": "300"},
         201, "proposed"),
        (specialist, "solutions", {"kind": "points", "description": "赠送 500 积分", "cost": "50"},
         201, "proposed"),
    ]
    for user, step, body, code, after in steps:
        response = post(login(client, user), f"{url}{step}/", body)
        assert response.status_code == code, (step, response.content)
        assert get_json(client, url)["status"] == after

    remake = next(s for s in get_json(client, url)["solutions"] if s["kind"] == "remake")
    assert post(client, f"{url}approve/", {"solution": remake["id"],
                                           "comment": "同意"}).status_code == 403
    response = post(login(client, supervisor), f"{url}approve/",
                    {"solution": remake["id"], "comment": "重做最能挽回客户"})
    assert response.status_code == 200 and response.json()["status"] == "approved"
    response = post(client, f"{url}implement/", {
        "accepted": True, "signature": SIGNATURE, "feedback": "客户表示满意",
        "penalties": [{"staff": designer.pk, "amount": "100", "description": "装裱划伤"}]})
    assert response.status_code == 200, response.content

    body = get_json(client, url)
    assert body["status"] == "closed" and body["closed_at"] and body["step_due_at"] is None
    assert [e["action"] for e in body["events"]] == [
        "register", "judge", "investigate", "propose", "propose", "approve", "implement"]
    assert [e["after"] for e in body["events"]][-1] == "closed"
    task = CallbackTask.objects.get(pk=body["followup_task"])
    assert task.purpose == CallbackPurpose.COMPLAINT and task.customer == customer
    assert task.assigned_to == specialist and body["followup_status"] == task.status
    # The specialist who registered it still sees the closed complaint in their archive.
    assert ids(login(client, specialist).get("/api/complaints/", {"status": "closed"})) == {
        complaint_id}
    assert post(client, f"{url}judge/", JUDGE_INVALID).status_code == 409


# --- Statistics ---------------------------------------------------------------------------------

@pytest.fixture
def closed(approved, supervisor):
    return complaint_implement(
        complaint=approved, by=supervisor, accepted=True, signature_data_url=SIGNATURE,
        penalties=[{"staff": approved.responsible_staff, "amount": Decimal("100.50"),
                    "description": "装裱划伤"}])


@pytest.mark.clock
def test_the_supervisor_gets_the_statistics_in_json_terms(client, supervisor, closed, store,
                                                          customer):
    register(store, customer, category="price")  # 张三 complains twice: a repeat customer
    today = timezone.localdate()
    body = get_json(login(client, supervisor), "/api/complaints/statistics/")
    assert (body["start"], body["end"], body["store"]) == (
        today.replace(day=1).isoformat(), today.isoformat(), store.pk)
    assert (body["overall"]["total"], body["overall"]["closed"], body["overall"]["open"]) == (
        2, 1, 1)
    assert body["compensation"]["cost"] == "300.00"
    assert body["compensation"]["by_kind"][0]["cost"] == "300.00"
    assert body["penalties"]["amount"] == "100.50"
    assert body["by_category"]["months"] == [today.replace(day=1).isoformat()]
    [repeat] = body["repeat_customers"]
    assert repeat["customer_id"] == customer.pk and repeat["count"] == 2
    assert repeat["last_received_at"].endswith("+08:00")  # local time, as the pages show
    assert {s["key"] for s in body["steps"]} >= {"judge", "close"}


@pytest.mark.clock
def test_statistics_take_a_period_and_swap_it_when_reversed(client, supervisor, closed):
    login(client, supervisor)
    today = timezone.localdate()
    body = get_json(client, "/api/complaints/statistics/",
                    {"start": (today + timedelta(days=5)).isoformat(),
                     "end": (today + timedelta(days=1)).isoformat()})
    assert body["start"] < body["end"] and body["overall"]["total"] == 0
    response = client.get("/api/complaints/statistics/", {"start": "上个月"})
    assert response.status_code == 400 and "start" in response.json()


@pytest.mark.clock
def test_statistics_stay_in_the_viewers_store(client, supervisor, general_manager, closed,
                                              other_store, other_store_complaint, store):
    response = login(client, supervisor).get("/api/complaints/statistics/",
                                             {"store": other_store.pk})
    assert response.status_code == 400 and "store" in response.json()
    login(client, general_manager)
    assert get_json(client, "/api/complaints/statistics/")["overall"]["total"] == 2
    body = get_json(client, "/api/complaints/statistics/", {"store": other_store.pk})
    assert (body["store"], body["overall"]["total"]) == (other_store.pk, 1)


@pytest.mark.parametrize("role", ["specialist", "front_desk"])
def test_statistics_are_for_leads_only(request, client, role, db):
    assert login(client, request.getfixturevalue(role)).get(
        "/api/complaints/statistics/").status_code == 403


def test_the_order_of_a_complaint_is_shown_with_its_package(client, supervisor, customer, store,
                                                            package, front_desk):
    order = order_create(customer=customer, package=package, by=front_desk)
    complaint = register(store, customer, order=order)
    body = get_json(login(client, supervisor), f"/api/complaints/{complaint.pk}/")
    assert (body["order"], body["order_package"]) == (order.pk, package.name)
