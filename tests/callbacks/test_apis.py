"""The callbacks API: the task list and one task with its calls, recording a call, scripts and
campaigns; who may do what (each role, including the refusals) and the payloads."""
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from callbacks.models import (
    CallbackCampaign,
    CallbackPurpose,
    CallbackRecord,
    CallbackStatus,
    CallbackTask,
)
from callbacks.services import callback_record, campaign_create, script_latest, script_save
from customers.models import Customer
from orders.services import order_create, payment_record, stage_complete
from staff.models import Role
from tests.api import count_queries, get_json, ids, login, post

from ..factories import CustomerFactory

SCRIPT_TEXTS = {
    "opening": "{customer}{title}您好，我是{store}的{specialist}。",
    "question": "您对{date}的{service}满意吗？",
    "satisfied_followup": "谢谢您的认可！",
    "unsatisfied_followup": "哪里让您不满意？",
    "satisfied_closing": "祝您生活愉快。",
    "unsatisfied_closing": "我们会改进，谢谢您。",
}


def local_tomorrow(hour: int) -> str:
    """Tomorrow at `hour` o'clock, Shanghai time, as the API is sent it."""
    moment = timezone.localtime() + timedelta(days=1)
    return moment.replace(hour=hour, minute=0, second=0, microsecond=0).isoformat()


@pytest.fixture
def serve(package, front_desk, django_capture_on_commit_callbacks):
    """serve(customer, days_ago=0) -> the post-service callback after the customer's gown
    selection, created as in production: stage_complete → signal on commit → (eager) task."""

    def make(customer: Customer, *, days_ago: int = 0) -> CallbackTask:
        order = order_create(customer=customer, package=package, by=front_desk)
        with django_capture_on_commit_callbacks(execute=True):
            stage_complete(order=order, kind="gown", by=front_desk,
                           at=timezone.now() - timedelta(days=days_ago))
        return CallbackTask.objects.get(stage__order=order)

    return make


@pytest.fixture
def task(serve, customer):
    """张三's callback, given to specialist_a: pending, due within three days."""
    return serve(customer)


@pytest.fixture
def others_task(serve, store, other_specialist):
    return serve(CustomerFactory(store=store, assigned_to=other_specialist, name="李四"))


@pytest.fixture
def other_store_task(serve, other_store):
    return serve(CustomerFactory(store=other_store, name="王五"))


@pytest.fixture
def photographer(staff_of):
    return staff_of(Role.PHOTOGRAPHER).user


# --- Who sees which callbacks ------------------------------------------------------------------

@pytest.mark.clock
def test_a_specialist_lists_and_opens_only_the_callbacks_given_to_them(client, specialist, task,
                                                                       others_task,
                                                                       other_store_task):
    login(client, specialist)
    assert ids(client.get("/api/callbacks/?view=all")) == {task.pk}
    assert client.get(f"/api/callbacks/{task.pk}/").status_code == 200
    assert client.get(f"/api/callbacks/{others_task.pk}/").status_code == 404
    assert client.get(f"/api/callbacks/{other_store_task.pk}/").status_code == 404


@pytest.mark.parametrize("role", ["supervisor", "front_desk", "manager"])
@pytest.mark.clock
def test_store_roles_see_their_stores_callbacks_and_not_the_others(request, client, role, task,
                                                                   others_task, other_store_task):
    login(client, request.getfixturevalue(role))
    assert ids(client.get("/api/callbacks/?view=all")) == {task.pk, others_task.pk}
    assert client.get(f"/api/callbacks/{others_task.pk}/").status_code == 200
    assert client.get(f"/api/callbacks/{other_store_task.pk}/").status_code == 404


@pytest.mark.clock
def test_the_general_manager_sees_every_store_and_can_narrow_to_one(client, general_manager, store,
                                                                     task, other_store_task):
    login(client, general_manager)
    assert ids(client.get("/api/callbacks/?view=all")) == {task.pk, other_store_task.pk}
    assert ids(client.get(f"/api/callbacks/?view=all&store={store.pk}")) == {task.pk}
    assert client.get(f"/api/callbacks/{other_store_task.pk}/").status_code == 200


@pytest.mark.parametrize("url", ["/api/callbacks/", "/api/callbacks/1/", "/api/callback-scripts/",
                                 "/api/callback-campaigns/"])
def test_anonymous_visitors_are_refused(client, db, url):
    assert client.get(url).status_code in (401, 403)


@pytest.mark.clock
def test_anonymous_visitors_cannot_record_a_call(client, task):
    response = post(client, f"/api/callbacks/{task.pk}/records/", {"reached": False})
    assert response.status_code in (401, 403)
    assert not CallbackRecord.objects.exists()


@pytest.mark.clock
def test_a_photographer_may_not_list_open_or_record_callbacks(client, photographer, task):
    login(client, photographer)
    assert client.get("/api/callbacks/").status_code == 403
    assert client.get(f"/api/callbacks/{task.pk}/").status_code == 403
    assert post(client, f"/api/callbacks/{task.pk}/records/", {"reached": False}).status_code == 403
    assert client.get("/api/callback-scripts/").status_code == 403
    assert client.get("/api/callback-campaigns/").status_code == 403


# --- Payload ------------------------------------------------------------------------------------

@pytest.mark.clock
def test_the_mobile_is_masked_for_a_specialist_and_full_for_a_supervisor(client, task, customer,
                                                                          specialist, supervisor):
    login(client, specialist)
    [row] = get_json(client, "/api/callbacks/", {"view": "all"})["results"]
    assert row["customer_mobile"] == customer.masked_mobile != customer.mobile
    detail = get_json(client, f"/api/callbacks/{task.pk}/")
    assert detail["customer_mobile"] == customer.masked_mobile
    login(client, supervisor)
    assert get_json(client, f"/api/callbacks/{task.pk}/")["customer_mobile"] == customer.mobile


@pytest.mark.clock
def test_a_callback_names_the_customer_service_order_and_specialist(client, supervisor, task,
                                                                     specialist, package):
    body = get_json(login(client, supervisor), f"/api/callbacks/{task.pk}/")
    assert body["customer_name"] == "张三" and body["store_name"] == "人民路店"
    assert body["purpose"] == "post_service" and body["service"] == "礼服挑选"
    assert body["order"] == task.stage.order_id and body["package"] == package.name
    assert body["assigned_to"] == specialist.pk
    assert body["assigned_to_name"] == specialist.display_name
    assert body["status"] == CallbackStatus.PENDING and body["attempts"] == 0
    assert body["campaign"] is None and body["campaign_name"] is None
    assert body["records"] == []


@pytest.mark.clock
def test_the_detail_lists_the_calls_newest_first(client, supervisor, specialist, task):
    callback_record(task=task, by=specialist, reached=False)
    callback_record(task=task, by=specialist, reached=True, satisfaction="satisfied", score=5,
                    comments="照片很好", now=timezone.now() + timedelta(minutes=5))
    records = get_json(login(client, supervisor), f"/api/callbacks/{task.pk}/")["records"]
    assert [(r["reached"], r["satisfaction"], r["score"]) for r in records] == [
        (True, "satisfied", 5), (False, "", None)]
    assert records[0]["by_name"] == specialist.display_name and records[0]["comments"] == "照片很好"


# --- The list's tabs and filters ----------------------------------------------------------------

@pytest.mark.clock
def test_the_list_tabs_sort_callbacks_as_the_page_does(client, supervisor, serve, store, task,
                                                       specialist):
    late = serve(CustomerFactory(store=store, assigned_to=specialist), days_ago=5)  # due 2 days ago
    nobody = serve(CustomerFactory(store=store, assigned_to=None))
    done = serve(CustomerFactory(store=store, assigned_to=specialist))
    callback_record(task=done, by=specialist, reached=True, satisfaction="satisfied")
    login(client, supervisor)
    tab = {view: ids(client.get("/api/callbacks/", {"view": view}))
           for view in ["today", "overdue", "open", "unassigned", "done", "all"]}
    assert tab["overdue"] == {late.pk} and late.pk not in tab["today"]  # disjoint (issue 17)
    assert tab["open"] == {task.pk, late.pk, nobody.pk}
    assert tab["unassigned"] == {nobody.pk}
    assert tab["done"] == {done.pk}
    assert tab["all"] == {task.pk, late.pk, nobody.pk, done.pk}
    assert ids(client.get("/api/callbacks/")) == tab["today"]  # the page's default tab


def test_an_unknown_tab_or_purpose_is_a_400_with_the_field(client, supervisor):
    login(client, supervisor)
    response = client.get("/api/callbacks/", {"view": "tomorrow"})
    assert response.status_code == 400 and "view" in response.json()
    response = client.get("/api/callbacks/", {"view": "all", "purpose": "gossip"})
    assert response.status_code == 400 and "purpose" in response.json()


@pytest.mark.clock
def test_the_list_filters_by_purpose_and_specialist(client, supervisor, store, task, others_task,
                                                    other_specialist, customer):
    campaign = campaign_create(name="国庆回访", purpose="holiday", store=store,
                               customers=Customer.objects.filter(pk=customer.pk), by=supervisor)
    holiday = campaign.tasks.get()
    login(client, supervisor)
    assert ids(client.get("/api/callbacks/", {"view": "all", "purpose": "holiday"})) == {holiday.pk}
    assert ids(client.get("/api/callbacks/", {"view": "all", "purpose": "post_service"})) == {
        task.pk, others_task.pk}
    assert ids(client.get("/api/callbacks/", {"view": "all", "purpose": "post_service",
                                              "assigned_to": other_specialist.pk})) == {others_task.pk}
    row = next(r for r in get_json(client, "/api/callbacks/", {"view": "all"})["results"]
               if r["id"] == holiday.pk)
    assert row["campaign_name"] == "国庆回访" and row["service"] == "节日回访"
    assert row["order"] is None and row["package"] is None


@pytest.mark.clock
def test_the_callback_list_costs_the_same_queries_for_3_or_30(client, supervisor, serve, store,
                                                              specialist,
                                                              django_assert_num_queries):
    for _ in range(3):
        serve(CustomerFactory(store=store, assigned_to=specialist))
    login(client, supervisor)
    few = count_queries(client, "/api/callbacks/?view=all")
    assert few <= 10
    for i in range(27):
        serve(CustomerFactory(store=store, assigned_to=specialist if i % 2 else None))
    campaign_create(name="店庆", purpose="anniversary", store=store,
                    customers=Customer.objects.filter(pk__in=Customer.objects.values("pk")[:5]),
                    by=supervisor)
    with django_assert_num_queries(few):
        assert len(client.get("/api/callbacks/?view=all").json()["results"]) == 35


@pytest.mark.clock
def test_the_detail_costs_the_same_queries_for_one_call_or_three(client, supervisor, specialist,
                                                                 task, django_assert_num_queries):
    callback_record(task=task, by=specialist, reached=False)
    login(client, supervisor)
    few = count_queries(client, f"/api/callbacks/{task.pk}/")
    for minutes in (5, 10):
        callback_record(task=task, by=supervisor, reached=False,
                        now=timezone.now() + timedelta(minutes=minutes))
    with django_assert_num_queries(few):
        assert len(client.get(f"/api/callbacks/{task.pk}/").json()["records"]) == 3


@pytest.mark.clock
def test_a_callback_list_page_past_the_end_is_a_404_with_a_reason(client, supervisor, task):
    response = login(client, supervisor).get("/api/callbacks/?view=all&page=2")
    assert response.status_code == 404 and response.json()["detail"]


# --- Recording a call ---------------------------------------------------------------------------

@pytest.mark.clock
def test_a_satisfied_answer_completes_the_callback_with_the_latest_script(client, specialist, task,
                                                                         supervisor):
    latest = script_save(purpose="post_service", by=supervisor, **SCRIPT_TEXTS)  # v1 is seeded
    response = post(login(client, specialist), f"/api/callbacks/{task.pk}/records/", {
        "reached": True, "satisfaction": "satisfied", "score": 5, "comments": " 拍得很好 ",
        "suggestions": "停车位少"})
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["task"]["id"] == task.pk and body["task"]["status"] == CallbackStatus.DONE
    assert body["task"]["completed_at"] and body["task"]["attempts"] == 1
    record = body["record"]
    assert (record["reached"], record["satisfaction"], record["score"]) == (True, "satisfied", 5)
    assert record["comments"] == "拍得很好" and record["channel"] == "phone"
    assert record["by"] == specialist.pk and record["by_name"] == specialist.display_name
    assert record["script"] == latest.pk and record["script_version"] == latest.version == 2
    assert record["wants_complaint"] is False
    task.refresh_from_db()
    assert task.status == CallbackStatus.DONE


@pytest.mark.clock
def test_a_dissatisfied_answer_is_flagged_for_a_complaint(client, supervisor, task):
    response = post(login(client, supervisor), f"/api/callbacks/{task.pk}/records/", {
        "reached": True, "satisfaction": "dissatisfied", "score": 1, "channel": "wechat"})
    assert response.status_code == 201
    assert response.json()["record"]["wants_complaint"] is True
    assert response.json()["record"]["channel"] == "wechat"
    assert response.json()["record"]["script_version"] == 1  # the script the migration seeds


@pytest.mark.clock
def test_an_unanswered_call_is_retried_later(client, specialist, task):
    before = timezone.now()
    response = post(login(client, specialist), f"/api/callbacks/{task.pk}/records/",
                    {"reached": False})
    assert response.status_code == 201
    state = response.json()["task"]
    assert state["status"] == CallbackStatus.PENDING and state["attempts"] == 1
    task.refresh_from_db()
    assert task.due_at >= before + timedelta(hours=4)  # the default retry interval
    assert state["due_at"] == timezone.localtime(task.due_at).isoformat()


@pytest.mark.clock
def test_a_booked_time_moves_the_deadline(client, specialist, task):
    at = local_tomorrow(10)
    response = post(login(client, specialist), f"/api/callbacks/{task.pk}/records/",
                    {"reached": True, "next_appointment_at": at})
    assert response.status_code == 201, response.content
    state = response.json()["task"]
    assert state["status"] == CallbackStatus.PENDING
    assert state["due_at"] == state["booked_at"] == at


@pytest.mark.parametrize("hour", [13, 22, 8])
@pytest.mark.clock
def test_a_booked_time_in_quiet_hours_is_a_400(client, specialist, task, hour):
    response = post(login(client, specialist), f"/api/callbacks/{task.pk}/records/",
                    {"reached": True, "next_appointment_at": local_tomorrow(hour)})
    assert response.status_code == 400
    assert "next_appointment_at" in response.json()
    assert not CallbackRecord.objects.exists()


@pytest.mark.clock
def test_reached_without_an_answer_or_a_booked_time_is_a_400(client, specialist, task):
    response = post(login(client, specialist), f"/api/callbacks/{task.pk}/records/",
                    {"reached": True})
    assert response.status_code == 400 and "satisfaction" in response.json()
    assert not CallbackRecord.objects.exists()
    task.refresh_from_db()
    assert task.status == CallbackStatus.PENDING and task.attempts == 0


@pytest.mark.parametrize("body, field", [
    ({"reached": True, "satisfaction": "satisfied", "score": 7}, "score"),
    ({"reached": True, "satisfaction": "thrilled"}, "satisfaction"),
    ({"satisfaction": "satisfied"}, "reached"),
    ({"reached": False, "channel": "pigeon"}, "channel"),
    ({"reached": True, "next_appointment_at": "next week"}, "next_appointment_at"),
    ({"reached": False, "satisfaction": "satisfied"}, "satisfaction"),
])
@pytest.mark.clock
def test_a_bad_record_is_a_400_on_its_field(client, specialist, task, body, field):
    response = post(login(client, specialist), f"/api/callbacks/{task.pk}/records/", body)
    assert response.status_code == 400 and field in response.json()
    assert not CallbackRecord.objects.exists()


@pytest.mark.clock
def test_recording_on_a_closed_callback_is_a_409(client, specialist, task):
    callback_record(task=task, by=specialist, reached=True, satisfaction="satisfied")
    response = post(login(client, specialist), f"/api/callbacks/{task.pk}/records/",
                    {"reached": True, "satisfaction": "average"})
    assert response.status_code == 409 and response.json()["code"] == "callback_closed"
    assert task.records.count() == 1


@pytest.mark.clock
def test_recording_on_an_out_of_scope_callback_is_a_404(client, specialist, supervisor,
                                                        others_task, other_store_task):
    body = {"reached": True, "satisfaction": "satisfied"}
    assert post(login(client, specialist), f"/api/callbacks/{others_task.pk}/records/",
                body).status_code == 404
    assert post(login(client, supervisor), f"/api/callbacks/{other_store_task.pk}/records/",
                body).status_code == 404
    assert not CallbackRecord.objects.exists()


# --- Scripts ------------------------------------------------------------------------------------

@pytest.fixture
def scripts(supervisor):
    """Every purpose has v1 (a data migration seeds them); post_service gets v2 and v3,
    holiday v2."""
    return [script_save(purpose="post_service", by=supervisor, **SCRIPT_TEXTS),
            script_save(purpose="post_service", by=supervisor,
                        **{**SCRIPT_TEXTS, "opening": "您好，{customer}{title}！"}),
            script_save(purpose="holiday", by=supervisor, **SCRIPT_TEXTS)]


def test_the_script_list_shows_the_latest_version_of_each_purpose(client, specialist, scripts,
                                                                  supervisor):
    rows = get_json(login(client, specialist), "/api/callback-scripts/")["results"]
    assert {(r["purpose"], r["version"]) for r in rows} == {
        (purpose, {"post_service": 3, "holiday": 2}.get(purpose, 1))
        for purpose in CallbackPurpose.values}
    post_service = next(r for r in rows if r["purpose"] == "post_service")
    assert post_service["opening"] == "您好，{customer}{title}！"
    assert post_service["created_by_name"] == supervisor.display_name


def test_a_purpose_lists_every_version_newest_first(client, specialist, scripts):
    rows = get_json(login(client, specialist), "/api/callback-scripts/",
                    {"purpose": "post_service"})["results"]
    assert [r["version"] for r in rows] == [3, 2, 1]
    assert {r["purpose"] for r in rows} == {"post_service"}
    response = client.get("/api/callback-scripts/", {"purpose": "gossip"})
    assert response.status_code == 400 and "purpose" in response.json()


@pytest.mark.parametrize("role", ["supervisor", "manager", "general_manager"])
def test_leads_save_a_script_as_a_new_version(request, client, role, scripts):
    user = request.getfixturevalue(role)
    response = post(login(client, user), "/api/callback-scripts/",
                    {"purpose": "post_service", **SCRIPT_TEXTS, "question": "还满意吗？"})
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["purpose"], body["version"], body["question"]) == ("post_service", 4, "还满意吗？")
    assert body["created_by"] == user.pk


@pytest.mark.parametrize("role", ["specialist", "front_desk"])
def test_callers_read_scripts_but_may_not_write_them(request, client, role, scripts):
    login(client, request.getfixturevalue(role))
    assert client.get("/api/callback-scripts/").status_code == 200
    response = post(client, "/api/callback-scripts/", {"purpose": "post_service", **SCRIPT_TEXTS})
    assert response.status_code == 403
    assert script_latest("post_service") == scripts[1]


@pytest.mark.parametrize("body, field", [
    ({"purpose": "post_service", **SCRIPT_TEXTS, "opening": "  "}, "opening"),
    ({"purpose": "gossip", **SCRIPT_TEXTS}, "purpose"),
    ({"purpose": "post_service", "opening": "您好"}, "question"),
])
def test_a_bad_script_is_a_400_on_its_field(client, supervisor, body, field):
    response = post(login(client, supervisor), "/api/callback-scripts/", body)
    assert response.status_code == 400 and field in response.json()


# --- Campaigns ----------------------------------------------------------------------------------

@pytest.fixture
def vips(store, other_store, specialist, other_specialist):
    """Two VIPs and one ordinary customer at 人民路店 (two specialists to share them); one VIP
    at 滨江店."""
    return {
        "here": [CustomerFactory(store=store, is_vip=True), CustomerFactory(store=store, is_vip=True)],
        "ordinary": CustomerFactory(store=store, is_vip=False),
        "there": CustomerFactory(store=other_store, is_vip=True),
    }


def test_a_supervisor_creates_a_campaign_for_their_stores_vips(client, supervisor, store, vips,
                                                               specialist, other_specialist):
    response = post(login(client, supervisor), "/api/callback-campaigns/", {
        "name": "春节回访", "purpose": "holiday", "conditions": {"vip_only": True}})
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["tasks_created"] == 2 and body["store"] == store.pk
    assert body["store_name"] == "人民路店" and body["conditions"] == {"vip_only": True}
    assert body["created_by_name"] == supervisor.display_name
    tasks = CallbackTask.objects.filter(campaign_id=body["id"])
    assert {t.customer_id for t in tasks} == {c.pk for c in vips["here"]}
    # spread over the store's specialists, one each
    assert {t.assigned_to_id for t in tasks} == {specialist.pk, other_specialist.pk}
    assert all(t.purpose == "holiday" and t.status == CallbackStatus.PENDING for t in tasks)


def test_a_campaign_by_spending_keeps_the_amount_exact(client, manager, store, package, front_desk,
                                                       specialist):
    big, small = CustomerFactory(store=store), CustomerFactory(store=store)
    for who, amount in ((big, "2000"), (small, "500")):
        order = order_create(customer=who, package=package, by=front_desk)
        payment_record(order=order, kind="deposit", amount=Decimal(amount), received_by=front_desk)
    response = post(login(client, manager), "/api/callback-campaigns/", {
        "name": "老客户升级", "purpose": "upgrade", "conditions": {"min_spend": "1000"}})
    assert response.status_code == 201, response.content
    assert response.json()["conditions"] == {"min_spend": "1000.00"}
    assert [t.customer for t in CallbackTask.objects.filter(purpose="upgrade")] == [big]


def test_the_general_manager_names_the_store(client, general_manager, other_store, staff_of, vips):
    login(client, general_manager)
    body = {"name": "店庆", "purpose": "anniversary", "conditions": {"vip_only": True}}
    response = post(client, "/api/callback-campaigns/", body)
    assert response.status_code == 400 and "store" in response.json()
    staff_of(Role.SPECIALIST, other_store)
    response = post(client, "/api/callback-campaigns/", {**body, "store": other_store.pk})
    assert response.status_code == 201, response.content
    assert response.json()["tasks_created"] == 1
    assert CallbackTask.objects.get(campaign__store=other_store).customer == vips["there"]


def test_a_supervisor_may_not_create_a_campaign_for_another_store(client, supervisor, other_store,
                                                                  vips):
    response = post(login(client, supervisor), "/api/callback-campaigns/", {
        "name": "店庆", "purpose": "anniversary", "store": other_store.pk})
    assert response.status_code == 400 and "store" in response.json()
    assert not CallbackCampaign.objects.exists()


def test_a_campaign_without_matching_customers_is_a_400(client, supervisor, vips):
    response = post(login(client, supervisor), "/api/callback-campaigns/", {
        "name": "婚期回访", "purpose": "promotion", "conditions": {"wedding_month": 6}})
    assert response.status_code == 400 and "conditions" in response.json()
    assert not CallbackCampaign.objects.exists()


@pytest.mark.parametrize("body, field", [
    ({"name": "x", "purpose": "post_service"}, "purpose"),
    ({"name": "x", "purpose": "complaint"}, "purpose"),
    ({"name": "", "purpose": "holiday"}, "name"),
    ({"name": "x", "purpose": "holiday", "conditions": {"birthday_month": 13}}, "conditions"),
    ({"name": "x", "purpose": "holiday", "conditions": {"min_spend": "-1"}}, "conditions"),
    ({"name": "x", "purpose": "holiday", "store": 999999}, "store"),
])
def test_a_bad_campaign_is_a_400_on_its_field(client, supervisor, vips, body, field):
    response = post(login(client, supervisor), "/api/callback-campaigns/", body)
    assert response.status_code == 400 and field in response.json()
    assert not CallbackCampaign.objects.exists()


@pytest.mark.parametrize("role", ["specialist", "front_desk"])
def test_callers_may_neither_list_nor_create_campaigns(request, client, role, vips):
    login(client, request.getfixturevalue(role))
    assert client.get("/api/callback-campaigns/").status_code == 403
    response = post(client, "/api/callback-campaigns/", {"name": "春节", "purpose": "holiday"})
    assert response.status_code == 403
    assert not CallbackCampaign.objects.exists()


def test_campaigns_are_listed_by_store(client, supervisor, manager, other_manager, general_manager,
                                       store, other_store, staff_of, vips):
    staff_of(Role.SPECIALIST, other_store)
    here = campaign_create(name="本店", purpose="holiday", store=store,
                           customers=Customer.objects.all(), by=manager)
    there = campaign_create(name="他店", purpose="renewal", store=other_store,
                            customers=Customer.objects.all(), by=other_manager)
    for user in (supervisor, manager):
        assert ids(login(client, user).get("/api/callback-campaigns/")) == {here.pk}
    assert ids(login(client, other_manager).get("/api/callback-campaigns/")) == {there.pk}
    login(client, general_manager)
    assert ids(client.get("/api/callback-campaigns/")) == {here.pk, there.pk}
    assert ids(client.get("/api/callback-campaigns/", {"store": other_store.pk})) == {there.pk}
    assert ids(client.get("/api/callback-campaigns/", {"purpose": "holiday"})) == {here.pk}


# --- Schema -------------------------------------------------------------------------------------

def test_the_schema_documents_the_callback_endpoints(client, specialist):
    schema = login(client, specialist).get("/api/schema/").content.decode()
    for path in ["/api/callbacks/", "/api/callbacks/{id}/", "/api/callbacks/{task_id}/records/",
                 "/api/callback-scripts/", "/api/callback-campaigns/"]:
        assert path in schema
    assert "CallbackStatusEnum" in schema
