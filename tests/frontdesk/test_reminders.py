"""The evening reminders for tomorrow's shoots and selections, and the greeting a week before a
shoot: queued once per booking however often the sweep runs; a failing SMS gateway loses
nothing."""
from datetime import datetime, time, timedelta

import pytest
from celery.schedules import crontab
from django.conf import settings as django_settings
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from callbacks.models import CallbackPurpose, CallbackTask
from callbacks.reminders import greetings_queue, reminders_queue_for_tomorrow
from callbacks.tasks import queue_greetings_task, queue_reminders_task
from frontdesk.schedule import booking_cancel, booking_create
from orders.models import StageKind
from orders.services import order_cancel, order_create
from staff.models import Role
from studio.models import SmsMessage, SmsStatus
from studio.sms import SmsSendError, sms_resend_queued, sms_send
from tests.factories import ChildrenPackageFactory, CustomerFactory

pytestmark = [pytest.mark.django_db, pytest.mark.clock]


def local(days: int, hour: int, minute: int = 0) -> datetime:
    return timezone.make_aware(datetime.combine(timezone.localdate() + timedelta(days=days),
                                                time(hour, minute)))


class FailingSender:
    name, label, needs_template = "failing", "a gateway that is down", False

    def send(self, message):
        raise SmsSendError("gateway down")


@pytest.fixture
def evening():
    """Today 19:00 local: when beat runs the reminder sweep."""
    return local(0, 19)


@pytest.fixture
def book(store, package, front_desk, evening):
    """book(kind, days, hour, by=front_desk, name=...) -> a booking of a new customer's stage."""

    def make(kind=StageKind.SHOOT, days=1, hour=10, by=None, name="张三", package_=None):
        order = order_create(customer=CustomerFactory(store=store, name=name),
                             package=package_ or package, by=front_desk)
        return booking_create(stage=order.stages.get(kind=kind), starts_at=local(days, hour),
                              by=by or front_desk, now=evening - timedelta(days=10))

    return make


def test_tomorrows_shoots_and_selections_get_a_reminder_sms_and_a_call(
        store, book, front_desk, evening):
    store.address, store.phone = "人民路 88 号", "0571-88880001"
    store.save()
    shoot = book(StageKind.SHOOT, 1, 10, name="张三")
    selection = book(StageKind.SELECTION, 1, 15, name="李四")
    book(StageKind.GOWN, 1, 9, name="王五")  # a fitting: no reminder
    book(StageKind.SHOOT, 2, 10, name="赵六")  # the day after: not yet
    assert reminders_queue_for_tomorrow(now=evening) == {"sms": 2, "calls": 2}
    texts = dict(SmsMessage.objects.values_list("customer_id", "body"))
    shoot_text = texts[shoot.stage.order.customer_id]
    assert "10:00到店拍摄" in shoot_text and "人民路 88 号" in shoot_text
    assert "身份证" in shoot_text and "0571-88880001" in shoot_text
    assert "15:00到店选片" in texts[selection.stage.order.customer_id]
    tasks = CallbackTask.objects.filter(purpose=CallbackPurpose.REMINDER)
    assert {t.stage_id for t in tasks} == {shoot.stage_id, selection.stage_id}
    assert {t.assigned_to for t in tasks} == {front_desk}


def test_running_the_reminder_job_twice_queues_nothing_twice(book, evening):
    book(StageKind.SHOOT, 1, 10)
    reminders_queue_for_tomorrow(now=evening)
    assert reminders_queue_for_tomorrow(now=evening) == {"sms": 0, "calls": 0}
    assert reminders_queue_for_tomorrow(now=evening + timedelta(hours=2)) == {"sms": 0, "calls": 0}
    assert SmsMessage.objects.count() == 1
    assert CallbackTask.objects.filter(purpose=CallbackPurpose.REMINDER).count() == 1
    assert SmsMessage.objects.get().dedupe_key.startswith("reminder:")


def test_the_reminder_call_goes_to_the_duty_front_desk(book, staff_of, front_desk, manager,
                                                       evening):
    second_desk = staff_of(Role.FRONT_DESK, user__username="frontdesk2").user
    by_second = book(StageKind.SHOOT, 1, 9, by=second_desk, name="甲")
    by_manager = book(StageKind.SHOOT, 1, 14, by=manager, name="乙")
    reminders_queue_for_tomorrow(now=evening)
    owner = dict(CallbackTask.objects.values_list("stage_id", "assigned_to"))
    assert owner == {by_second.stage_id: second_desk.pk, by_manager.stage_id: front_desk.pk}


def test_cancelled_bookings_and_orders_get_no_reminder(book, front_desk, evening):
    cancelled = book(StageKind.SHOOT, 1, 9, name="甲")
    booking_cancel(booking=cancelled, by=front_desk, reason="改天再约")
    withdrawn = book(StageKind.SHOOT, 1, 14, name="乙")
    order_cancel(order=withdrawn.stage.order, by=front_desk, reason="退单")
    assert reminders_queue_for_tomorrow(now=evening) == {"sms": 0, "calls": 0}


def test_the_reminder_call_is_due_this_evening_before_quiet_hours(book, evening):
    book(StageKind.SHOOT, 1, 9)
    reminders_queue_for_tomorrow(now=evening)
    due = timezone.localtime(CallbackTask.objects.get().due_at)
    assert (due.date(), due.hour, due.minute) == (timezone.localdate(), 20, 59)


def test_a_childrens_shoot_reminder_says_what_a_baby_needs(book, evening):
    book(StageKind.SHOOT, 1, 10, package_=ChildrenPackageFactory())
    reminders_queue_for_tomorrow(now=evening)
    assert "宝宝" in SmsMessage.objects.get().body


def test_a_failing_sms_gateway_leaves_the_reminder_queued_for_retry(settings, book, evening):
    settings.SMS_SENDER = "tests.frontdesk.test_reminders.FailingSender"
    book(StageKind.SHOOT, 1, 10)
    reminders_queue_for_tomorrow(now=evening)
    message = SmsMessage.objects.get()
    sms_send(message_id=message.pk)
    message.refresh_from_db()
    assert (message.status, message.attempts, message.error) == (SmsStatus.QUEUED, 1, "gateway down")
    assert sms_resend_queued(now=timezone.now() + timedelta(minutes=10)) == [message.pk]


def test_the_reminder_is_sent_once_the_sweep_commits(book, evening, django_capture_on_commit_callbacks):
    book(StageKind.SHOOT, 1, 10)
    with django_capture_on_commit_callbacks(execute=True):
        reminders_queue_for_tomorrow(now=evening)
    assert SmsMessage.objects.get().status == SmsStatus.SENT


def test_a_shoot_a_week_ahead_gets_one_greeting_call(book, front_desk, evening):
    in_a_week = book(StageKind.SHOOT, 7, 10, name="一周后")
    book(StageKind.SHOOT, 1, 10, name="明天")  # the evening reminder does it
    book(StageKind.SHOOT, 10, 10, name="十天后")  # not yet
    book(StageKind.SELECTION, 7, 10, name="选片")  # greetings are for shoots
    assert greetings_queue(now=evening) == 1
    assert greetings_queue(now=evening) == 0
    assert greetings_queue(now=evening + timedelta(days=1)) == 0
    task = CallbackTask.objects.get(purpose=CallbackPurpose.GREETING)
    assert (task.stage_id, task.assigned_to) == (in_a_week.stage_id, front_desk)
    assert evening <= task.due_at < in_a_week.starts_at - timedelta(days=1)


def test_the_beat_runs_the_reminders_at_seven_in_the_evening_and_the_greetings_daily():
    schedule = django_settings.CELERY_BEAT_SCHEDULE
    reminders = schedule["queue-reminders"]
    assert reminders["task"] == "callbacks.tasks.queue_reminders_task"
    assert reminders["schedule"] == crontab(hour=19, minute=0)
    assert schedule["queue-greetings"]["task"] == "callbacks.tasks.queue_greetings_task"
    assert django_settings.CELERY_TIMEZONE == "Asia/Shanghai"


def test_the_tasks_call_the_sweeps(book):
    book(StageKind.SHOOT, 1, 10)
    book(StageKind.SHOOT, 7, 10, name="一周后")
    assert queue_reminders_task() == {"sms": 1, "calls": 1}
    assert queue_greetings_task() == 1


def test_the_front_desk_opens_the_call_page_of_a_reminder(client, book, front_desk, evening):
    book(StageKind.SHOOT, 1, 10)
    reminders_queue_for_tomorrow(now=evening)
    client.force_login(front_desk)
    task = CallbackTask.objects.get()
    response = client.get(reverse("callbacks:call", args=[task.pk]))
    assert response.status_code == 200 and "拍摄" in response.content.decode()


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="concurrent inserts need PostgreSQL")
def test_two_reminder_sweeps_at_once_queue_each_reminder_once(book, evening):
    import threading

    from django.db import connections

    for hour in (9, 11, 13):
        book(StageKind.SHOOT, 1, hour, name=f"客户{hour}")
    barrier = threading.Barrier(3)
    errors: list = []

    def run() -> None:
        try:
            barrier.wait()
            reminders_queue_for_tomorrow(now=evening)
        except Exception as exc:  # collected and asserted below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert SmsMessage.objects.count() == 3
    assert CallbackTask.objects.filter(purpose=CallbackPurpose.REMINDER).count() == 3
