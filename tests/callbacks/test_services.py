"""Callback tasks: created once per service, overdue sweep, records, retries, campaigns."""
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from callbacks.models import (
    CallbackPolicy,
    CallbackScript,
    CallbackStatus,
    CallbackTask,
    Satisfaction,
)
from callbacks.services import (
    callback_record,
    callback_send_sms,
    callbacks_create_for_stage,
    callbacks_mark_overdue,
    callbacks_sweep_completed_stages,
    campaign_create,
    script_latest,
    script_render,
    script_save,
)
from callbacks.tasks import create_callback_for_stage_task
from customers.models import Customer
from orders.models import OrderStage
from orders.services import stage_complete
from studio.errors import DomainError
from studio.models import SmsMessage
from tests.clock import local_at
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def gown_done(order, front_desk, django_capture_on_commit_callbacks):
    """Gown selection done at 2026-11-20 15:00 (Shanghai): its callback task, created by the
    stage_completed signal on commit through the (eager) Celery task."""
    at = datetime(2026, 11, 20, 15, 0, tzinfo=SHANGHAI)
    with django_capture_on_commit_callbacks(execute=True):
        stage_complete(order=order, kind="gown", by=front_desk, at=at)
    return CallbackTask.objects.get(stage__order=order, stage__kind="gown")


def test_completing_a_service_creates_one_callback_for_the_customers_specialist(gown_done,
                                                                              specialist):
    assert (gown_done.purpose, gown_done.assigned_to, gown_done.status) == (
        "post_service", specialist, CallbackStatus.PENDING)
    assert gown_done.due_at <= gown_done.triggered_at + timedelta(days=3)


def test_the_trigger_twice_or_a_redelivered_message_creates_nothing_more(gown_done):
    stage_id = gown_done.stage_id
    assert callbacks_create_for_stage(stage_id=stage_id) == 0
    create_callback_for_stage_task(stage_id)  # a redelivered Celery message
    assert callbacks_sweep_completed_stages(now=gown_done.triggered_at + timedelta(hours=1)) == 0
    assert CallbackTask.objects.filter(stage_id=stage_id).count() == 1


def test_the_booking_stage_gets_no_callback(order):
    assert not CallbackTask.objects.filter(stage__order=order).exists()


@pytest.mark.clock
def test_the_sweep_creates_what_a_lost_signal_missed(order, front_desk):
    stage_complete(order=order, kind="gown", by=front_desk)  # on_commit never runs: signal lost
    assert not CallbackTask.objects.exists()
    assert callbacks_sweep_completed_stages(now=timezone.now()) == 1
    assert callbacks_sweep_completed_stages(now=timezone.now()) == 0


@pytest.mark.clock
def test_a_broker_outage_does_not_stop_the_stage(order, front_desk, monkeypatch,
                                                 django_capture_on_commit_callbacks):
    def broker_down(*args, **kwargs):
        raise ConnectionError("redis down")

    monkeypatch.setattr("callbacks.tasks.create_callback_for_stage_task.delay", broker_down)
    with django_capture_on_commit_callbacks(execute=True):
        stage = stage_complete(order=order, kind="gown", by=front_desk)
    assert OrderStage.objects.get(pk=stage.pk).status == "done"
    assert not CallbackTask.objects.exists()
    assert callbacks_sweep_completed_stages(now=timezone.now()) == 1


def test_overdue_marking_is_one_update_and_idempotent(gown_done, django_assert_num_queries):
    later = gown_done.due_at + timedelta(minutes=1)
    with django_assert_num_queries(1):
        assert callbacks_mark_overdue(now=later) == 1
    assert callbacks_mark_overdue(now=later) == 0
    gown_done.refresh_from_db()
    assert (gown_done.status, gown_done.escalated_at) == (CallbackStatus.OVERDUE, later)


def test_a_satisfied_answer_completes_the_task(gown_done, specialist):
    now = gown_done.triggered_at + timedelta(days=1, hours=1)
    record = callback_record(task=gown_done, by=specialist, reached=True,
                             satisfaction=Satisfaction.SATISFIED, score=5, now=now)
    gown_done.refresh_from_db()
    assert (gown_done.status, gown_done.completed_at, record.wants_complaint) == (
        CallbackStatus.DONE, now, False)
    # The record keeps its task's store: a store's answers are read without the tasks.
    assert record.store_id == gown_done.store_id


def test_a_dissatisfied_answer_is_flagged_for_a_complaint(gown_done, specialist):
    record = callback_record(task=gown_done, by=specialist, reached=True,
                             satisfaction=Satisfaction.DISSATISFIED, comments="修图不满意")
    assert record.wants_complaint


def test_booking_a_later_time_moves_the_due_date_and_it_is_not_overdue(gown_done, specialist):
    now = gown_done.due_at - timedelta(hours=3)
    booked = datetime(2026, 12, 1, 19, 0, tzinfo=SHANGHAI)
    callback_record(task=gown_done, by=specialist, reached=True, next_appointment_at=booked,
                    now=now)
    gown_done.refresh_from_db()
    assert (gown_done.status, gown_done.due_at, gown_done.booked_at) == (
        CallbackStatus.PENDING, booked, booked)
    assert callbacks_mark_overdue(now=booked - timedelta(minutes=1)) == 0


def test_a_booked_time_inside_quiet_hours_is_refused(gown_done, specialist):
    with pytest.raises(ValidationError) as err:
        callback_record(task=gown_done, by=specialist, reached=True,
                        next_appointment_at=datetime(2026, 12, 1, 22, 30, tzinfo=SHANGHAI),
                        now=gown_done.triggered_at)
    assert "休息时段" in err.value.message_dict["next_appointment_at"][0]
    assert not gown_done.records.exists()


def test_an_unanswered_call_is_retried_outside_quiet_hours_then_marked_unreachable(
        gown_done, specialist, store):
    CallbackPolicy.objects.create(store=store, max_attempts=3, retry_after_hours=4)
    now, deadline = datetime(2026, 11, 21, 19, 0, tzinfo=SHANGHAI), gown_done.due_at
    callback_record(task=gown_done, by=specialist, reached=False, now=now)
    gown_done.refresh_from_db()
    # 19:00 + 4 h = 23:00, inside 21:00-09:00: the retry is at 09:00 the next morning; the
    # deadline stays (issue 17).
    assert (gown_done.status, gown_done.attempts, gown_done.retry_at) == (
        CallbackStatus.PENDING, 1, datetime(2026, 11, 22, 9, 0, tzinfo=SHANGHAI))
    assert gown_done.due_at == deadline
    callback_record(task=gown_done, by=specialist, reached=False, now=now + timedelta(days=1))
    callback_record(task=gown_done, by=specialist, reached=False, now=now + timedelta(days=1, hours=5))
    gown_done.refresh_from_db()
    assert (gown_done.status, gown_done.attempts) == (CallbackStatus.UNREACHABLE, 3)
    with pytest.raises(DomainError):
        callback_record(task=gown_done, by=specialist, reached=False)


@pytest.mark.parametrize(("kwargs", "field"), [
    ({"reached": True}, "satisfaction"),
    ({"reached": False, "satisfaction": "satisfied"}, "satisfaction"),
    ({"reached": True, "satisfaction": "satisfied", "score": 7}, "score"),
])
def test_an_incomplete_or_inconsistent_record_is_refused(gown_done, specialist, kwargs, field):
    with pytest.raises(ValidationError) as err:
        callback_record(task=gown_done, by=specialist, **kwargs)
    assert field in err.value.message_dict
    gown_done.refresh_from_db()
    assert gown_done.status == CallbackStatus.PENDING and not gown_done.records.exists()


def test_an_overdue_task_can_still_be_completed(gown_done, specialist):
    callbacks_mark_overdue(now=gown_done.due_at + timedelta(hours=1))
    callback_record(task=gown_done, by=specialist, reached=True, satisfaction="average")
    gown_done.refresh_from_db()
    assert gown_done.status == CallbackStatus.DONE


def test_the_script_is_filled_with_the_customer_service_date_and_specialist(gown_done, specialist):
    script = script_latest("post_service")
    parts = script_render(script, task=gown_done, specialist=specialist)
    assert "张三" in parts["opening"] and specialist.display_name in parts["opening"]
    assert "11月20日" in parts["question"] and "礼服挑选" in parts["question"]


def test_editing_a_script_keeps_its_versions(supervisor):
    texts = {f: "新话术 {customer}" for f in ["opening", "question", "satisfied_followup",
                                            "unsatisfied_followup", "satisfied_closing",
                                            "unsatisfied_closing"]}
    first = script_save(purpose="holiday", by=supervisor, **texts)
    second = script_save(purpose="holiday", by=supervisor, **texts)
    assert (first.version, second.version) == (2, 3)  # v1 ships with the migration
    assert script_latest("holiday") == second
    assert CallbackScript.objects.filter(purpose="holiday").count() == 3
    with pytest.raises(ValidationError):
        script_save(purpose="holiday", by=supervisor, **{**texts, "opening": " "})


def test_a_campaign_spreads_its_tasks_over_the_specialists_by_load(
        store, specialist, other_specialist, supervisor, gown_done):
    CustomerFactory.create_batch(5, store=store, is_vip=True)
    campaign = campaign_create(name="元旦回访", purpose="holiday", store=store, by=supervisor,
                               customers=Customer.objects.filter(is_vip=True))
    assert campaign.tasks_created == 5
    per = {u: CallbackTask.objects.filter(campaign=campaign, assigned_to=u).count()
           for u in (specialist, other_specialist)}
    # specialist already holds the gown callback: 1+2 vs 0+3
    assert per == {specialist: 2, other_specialist: 3}


def test_a_campaign_with_nobody_is_refused(store, supervisor):
    with pytest.raises(ValidationError):
        campaign_create(name="空", purpose="holiday", store=store, by=supervisor,
                        customers=Customer.objects.none())


@pytest.mark.clock
def test_a_thank_you_sms_goes_to_the_outbox(gown_done, specialist, time_machine,
                                           django_capture_on_commit_callbacks):
    time_machine.move_to(local_at("10:00"), tick=False)  # outside quiet hours: sent at once
    with django_capture_on_commit_callbacks(execute=True):
        message = callback_send_sms(task=gown_done, template="thanks", by=specialist)
    message.refresh_from_db()
    assert message.status == "sent" and "感谢您选择我们" in message.body
    assert SmsMessage.objects.count() == 1


def test_a_purpose_without_a_saved_script_uses_the_shipped_version(gown_done, specialist):
    CallbackScript.objects.all().delete()
    script = script_latest("post_service")
    assert script.pk is None and "{service}" in script.question
    record = callback_record(task=gown_done, by=specialist, reached=True, satisfaction="satisfied",
                             script=script)
    assert record.script is None
