"""Callback pages: who sees which tasks, the call page, recording, distribution, campaigns."""
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from callbacks.models import CallbackScript, CallbackStatus, CallbackTask
from orders.services import order_create, stage_complete
from staff.models import Role
from studio.models import AuditAction, AuditEntry
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def task(order, front_desk, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        stage_complete(order=order, kind="gown", by=front_desk)
    return CallbackTask.objects.get(stage__order=order)


def test_a_specialist_lists_only_their_callbacks(client, specialist, other_specialist, task,
                                                 store, package, front_desk,
                                                 django_capture_on_commit_callbacks):
    other = order_create(customer=CustomerFactory(store=store, assigned_to=other_specialist),
                         package=package, by=front_desk)
    with django_capture_on_commit_callbacks(execute=True):
        stage_complete(order=other, kind="gown", by=front_desk)
    client.force_login(specialist)
    response = client.get(reverse("callbacks:list"), {"view": "open"})
    assert [t.pk for t in response.context["page"].object_list] == [task.pk]


def test_the_list_uses_a_fixed_number_of_queries(client, supervisor, store, package, front_desk,
                                                 django_capture_on_commit_callbacks,
                                                 django_assert_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def add(n):
        for _ in range(n):
            o = order_create(customer=CustomerFactory(store=store), package=package, by=front_desk)
            with django_capture_on_commit_callbacks(execute=True):
                stage_complete(order=o, kind="gown", by=front_desk)
    client.force_login(supervisor)
    url = reverse("callbacks:list") + "?view=open"
    add(2)
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    add(12)
    with django_assert_num_queries(len(few.captured_queries)):
        response = client.get(url)
    assert len(response.context["page"].object_list) == 14


def test_the_call_page_shows_the_filled_script(client, specialist, task):
    client.force_login(specialist)
    html = client.get(reverse("callbacks:call", args=[task.pk])).content.decode()
    assert "张三" in html and "礼服挑选" in html and 'data-answer="satisfied"' in html
    assert specialist.display_name in html


def test_the_call_page_warns_during_quiet_hours(client, specialist, task, monkeypatch):
    monkeypatch.setattr("callbacks.views.is_quiet", lambda moment, quiet: True)
    client.force_login(specialist)
    assert "客户休息时段" in client.get(reverse("callbacks:call", args=[task.pk])).content.decode()


def test_saving_the_record_form_completes_the_callback(client, specialist, task):
    client.force_login(specialist)
    response = client.post(reverse("callbacks:call", args=[task.pk]), {
        "channel": "phone", "reached": "yes", "satisfaction": "satisfied", "score": "5",
        "comments": "很满意", "suggestions": "希望多些外景"})
    assert response.status_code == 302
    task.refresh_from_db()
    assert task.status == CallbackStatus.DONE
    assert task.records.get().suggestions == "希望多些外景"


def test_an_incomplete_record_shows_the_error_and_saves_nothing(client, specialist, task):
    client.force_login(specialist)
    response = client.post(reverse("callbacks:call", args=[task.pk]),
                           {"channel": "phone", "reached": "yes"})
    assert response.status_code == 400
    assert "满意度" in response.content.decode()
    assert not task.records.exists()


def test_another_specialist_cannot_open_the_callback(client, other_specialist, task):
    client.force_login(other_specialist)
    assert client.get(reverse("callbacks:call", args=[task.pk])).status_code == 404
    assert client.post(reverse("callbacks:reveal", args=[task.pk])).status_code == 404


def test_another_stores_manager_cannot_open_the_callback(client, other_manager, task):
    client.force_login(other_manager)
    assert client.get(reverse("callbacks:call", args=[task.pk])).status_code == 404


def test_revealing_the_number_is_a_post_and_audited(client, specialist, task):
    client.force_login(specialist)
    assert client.get(reverse("callbacks:reveal", args=[task.pk])).status_code == 405
    response = client.post(reverse("callbacks:reveal", args=[task.pk]))
    assert response.json()["mobile"] == task.customer.mobile
    assert AuditEntry.objects.filter(action=AuditAction.REVEAL_MOBILE, actor=specialist).exists()


def test_the_call_page_masks_the_number_for_a_specialist(client, specialist, task):
    client.force_login(specialist)
    html = client.get(reverse("callbacks:call", args=[task.pk])).content.decode()
    assert task.customer.mobile not in html and task.customer.masked_mobile in html


def test_a_photographer_has_no_callbacks(client, staff_of):
    client.force_login(staff_of(Role.PHOTOGRAPHER).user)
    assert client.get(reverse("callbacks:list")).status_code == 403


def test_the_supervisor_balances_unassigned_callbacks(client, supervisor, specialist,
                                                      other_specialist, store, package,
                                                      front_desk, django_capture_on_commit_callbacks):
    for _ in range(4):
        o = order_create(customer=CustomerFactory(store=store), package=package, by=front_desk)
        with django_capture_on_commit_callbacks(execute=True):
            stage_complete(order=o, kind="gown", by=front_desk)
    assert CallbackTask.objects.filter(assigned_to__isnull=True).count() == 4
    client.force_login(supervisor)
    client.post(reverse("callbacks:distribute"), {"action": "balance"})
    assert CallbackTask.objects.filter(assigned_to=specialist).count() == 2
    assert CallbackTask.objects.filter(assigned_to=other_specialist).count() == 2


def test_the_general_manager_balances_the_unassigned_callbacks_of_the_store_picked(
        client, general_manager, specialist, other_specialist, store, other_store, package,
        front_desk, django_capture_on_commit_callbacks):
    for _ in range(2):
        o = order_create(customer=CustomerFactory(store=store), package=package, by=front_desk)
        with django_capture_on_commit_callbacks(execute=True):
            stage_complete(order=o, kind="gown", by=front_desk)
    client.force_login(general_manager)
    page = client.get(reverse("callbacks:list") + "?view=unassigned").content.decode()
    assert 'data-testid="balance-store"' in page and other_store.name in page
    client.post(reverse("callbacks:distribute"), {"action": "balance", "store": other_store.pk})
    assert CallbackTask.objects.filter(assigned_to__isnull=True).count() == 2  # not that store's
    client.post(reverse("callbacks:distribute"), {"action": "balance", "store": store.pk})
    assert CallbackTask.objects.filter(assigned_to__isnull=False).count() == 2


def test_handing_over_nothing_or_another_stores_callback_says_so_instead_of_success(
        client, general_manager, specialist, staff_of, store, other_store, package, front_desk,
        django_capture_on_commit_callbacks):
    o = order_create(customer=CustomerFactory(store=store), package=package, by=front_desk)
    with django_capture_on_commit_callbacks(execute=True):
        stage_complete(order=o, kind="gown", by=front_desk)
    unassigned = CallbackTask.objects.get(assigned_to__isnull=True)
    far = staff_of(Role.SPECIALIST, other_store).user
    client.force_login(general_manager)
    url = reverse("callbacks:distribute")

    def said(data) -> str:
        return " ".join(str(m) for m in client.post(url, data, follow=True).context["messages"])

    assert said({"to": far.pk}) == "请先勾选要交出的回访。"
    assert "另有 1 个" in said({"to": far.pk, "task": unassigned.pk})
    assert said({"action": "balance", "store": other_store.pk}) == f"{other_store.name} 没有未分配的回访。"
    unassigned.refresh_from_db()
    assert unassigned.assigned_to is None
    assert said({"to": specialist.pk, "task": unassigned.pk}).startswith("已将 1 个回访任务交给")


def test_a_specialist_may_not_distribute(client, specialist, task):
    client.force_login(specialist)
    assert client.post(reverse("callbacks:distribute"), {"action": "balance"}).status_code == 403


def test_a_supervisor_edits_a_script_into_a_new_version(client, supervisor):
    client.force_login(supervisor)
    data = {f: f"{f} {{customer}}" for f in ["opening", "question", "satisfied_followup",
                                             "unsatisfied_followup", "satisfied_closing",
                                             "unsatisfied_closing"]}
    client.post(reverse("callbacks:script_edit", args=["holiday"]), data)
    assert CallbackScript.objects.filter(purpose="holiday").order_by("-version").first().version == 2


def test_a_specialist_may_not_edit_scripts(client, specialist):
    client.force_login(specialist)
    assert client.get(reverse("callbacks:script_edit", args=["holiday"])).status_code == 403


@pytest.mark.clock
def test_a_campaign_previews_then_creates_tasks(client, supervisor, specialist, store):
    CustomerFactory.create_batch(3, store=store, is_vip=True, wedding_on=timezone.localdate())
    CustomerFactory(store=store)
    client.force_login(supervisor)
    data = {"name": "周年店庆", "purpose": "anniversary", "vip_only": "on"}
    response = client.post(reverse("callbacks:campaigns"), {**data, "action": "preview"})
    assert response.context["preview"] == 3
    client.post(reverse("callbacks:campaigns"), {**data, "action": "create"})
    assert CallbackTask.objects.filter(purpose="anniversary").count() == 3


def test_a_sms_from_the_call_page_lands_in_the_outbox(client, specialist, task):
    from studio.models import SmsMessage

    client.force_login(specialist)
    client.post(reverse("callbacks:sms", args=[task.pk]), {"template": "survey"})
    assert SmsMessage.objects.get().customer_id == task.customer_id


@pytest.mark.clock
def test_the_overdue_tab_lists_late_callbacks(client, specialist, task):
    CallbackTask.objects.filter(pk=task.pk).update(due_at=timezone.now() - timedelta(hours=1))
    client.force_login(specialist)
    response = client.get(reverse("callbacks:list"), {"view": "overdue"})
    assert response.context["counts"]["overdue"] == 1


@pytest.mark.clock
def test_the_summary_page_and_its_export_for_a_supervisor(client, supervisor, task, specialist):
    from callbacks.services import callback_record

    callback_record(task=task, by=specialist, reached=True, satisfaction="satisfied", score=5,
                    suggestions="多些外景")
    client.force_login(supervisor)
    today = timezone.localdate().isoformat()
    response = client.get(reverse("callbacks:summary"), {"start": today, "end": today})
    assert response.status_code == 200
    assert response.context["summary"]["tasks"]["completed"] == 1
    assert "多些外景" in response.content.decode()
    export = client.get(reverse("callbacks:summary"), {"start": today, "end": today,
                                                       "export": "xlsx"})
    assert export["Content-Type"].startswith("application/vnd.openxmlformats")


def test_a_specialist_has_no_summary(client, specialist):
    client.force_login(specialist)
    assert client.get(reverse("callbacks:summary")).status_code == 403


@pytest.mark.clock
def test_a_bad_date_in_the_summary_falls_back_to_this_month(client, supervisor):
    client.force_login(supervisor)
    response = client.get(reverse("callbacks:summary"), {"start": "昨天", "end": "2026-13-45"})
    assert response.status_code == 400  # the period form says what was wrong (studio.periods)
    assert response.context["start"] == timezone.localdate().replace(day=1)
    assert 'data-testid="form-errors"' in response.content.decode()


def test_the_call_page_offers_to_open_a_complaint_for_the_customer(client, specialist, task):
    client.force_login(specialist)
    html = client.get(reverse("callbacks:call", args=[task.pk])).content.decode()
    # Filled in from the callback: the customer, the order, the service (issue 17 item 6).
    assert f"/complaints/new/?task={task.pk}" in html


@pytest.mark.clock
def test_a_campaign_takes_its_customers_from_a_saved_segment(client, supervisor, specialist, store):
    from membership.models import Segment

    # A fixed day of the month: replace(month=6) on the 31st of a month was a ValueError.
    CustomerFactory.create_batch(2, store=store,
                                 wedding_on=timezone.localdate().replace(month=5, day=20))
    CustomerFactory(store=store, wedding_on=timezone.localdate().replace(month=6, day=20))
    segment = Segment.objects.create(store=store, name="五月婚期", conditions={"wedding_month": 5})
    client.force_login(supervisor)
    page = client.get(reverse("callbacks:campaigns"), {"segment": segment.pk})
    assert page.context["form"].initial["segment"] == str(segment.pk)
    client.post(reverse("callbacks:campaigns"), {"name": "结婚纪念日", "purpose": "holiday",
                                                 "segment": segment.pk, "action": "create"})
    assert CallbackTask.objects.filter(purpose="holiday").count() == 2


def test_the_callback_list_exports_for_a_supervisor_but_not_a_specialist(client, supervisor,
                                                                         specialist, task):
    client.force_login(specialist)
    assert client.get(reverse("callbacks:list"), {"view": "all", "export": "xlsx"}
                      ).status_code == 403
    client.force_login(supervisor)
    response = client.get(reverse("callbacks:list"), {"view": "all", "export": "xlsx"})
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
