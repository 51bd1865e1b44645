"""An unreached call does not erase lateness (issue 17, item 4): the task keeps its deadline
(due_at) for the overdue list and the on-time rate; the next call gets a time of its own
(retry_at), after the policy's interval, outside quiet hours and inside the customer's
preferred contact window."""
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from callbacks.models import CallbackPolicy, CallbackStatus, CallbackTask
from callbacks.selectors import callback_counts, callbacks_list_for_task_list
from callbacks.services import callback_record, callbacks_mark_overdue
from callbacks.summary import _task_figures
from customers.models import ContactTime
from tests.callbacks.factories import CallbackTaskFactory
from tests.customers.factories import CustomerFactory

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")


def at(month: int, day: int, hm: str) -> datetime:
    hour, minute = map(int, hm.split(":"))
    return datetime(2026, month, day, hour, minute, tzinfo=SHANGHAI)


@pytest.fixture
def policy(store):
    return CallbackPolicy.objects.create(store=store, max_attempts=3, retry_after_hours=4)


def _task(store, specialist, *, due_at, contact=ContactTime.ANY) -> CallbackTask:
    customer = CustomerFactory(store=store, assigned_to=specialist, preferred_contact_time=contact)
    return CallbackTaskFactory(customer=customer, triggered_at=due_at.replace(day=1),
                               due_at=due_at)


def test_an_unreached_call_keeps_a_late_task_late(store, specialist, policy):
    task = _task(store, specialist, due_at=at(7, 15, "16:00"))
    callbacks_mark_overdue(now=at(7, 16, "09:00"))
    now = at(12, 7, "10:00")
    callback_record(task=task, by=specialist, reached=False, now=now)
    task.refresh_from_db()
    assert (task.status, task.due_at, task.attempts) == (CallbackStatus.OVERDUE,
                                                         at(7, 15, "16:00"), 1)
    assert task.retry_at == at(12, 7, "14:00")  # 10:00 + 4 h
    overdue = callbacks_list_for_task_list(specialist, view="overdue", now=now)
    today = callbacks_list_for_task_list(specialist, view="today", now=now)
    assert list(overdue) == [task] and list(today) == []
    assert callback_counts(specialist, now=now)["overdue"] == 1
    # Answered later the same day, it was still answered late.
    callback_record(task=task, by=specialist, reached=True, satisfaction="satisfied",
                    now=at(12, 7, "14:05"))
    figures = _task_figures(CallbackTask.objects.filter(pk=task.pk), at(12, 7, "15:00"))
    assert (figures["completed"], figures["on_time"]) == (1, 0)


def test_an_unreached_pending_task_keeps_its_deadline(store, specialist, policy):
    task = _task(store, specialist, due_at=at(12, 9, "16:00"))
    callback_record(task=task, by=specialist, reached=False, now=at(12, 7, "09:10"))
    task.refresh_from_db()
    assert (task.status, task.due_at) == (CallbackStatus.PENDING, at(12, 9, "16:00"))
    # 13:10 falls in the 12:00-14:00 quiet period: the next call is at 14:00.
    assert task.retry_at == at(12, 7, "14:00")


def test_the_retry_is_inside_the_customers_preferred_window(store, specialist, policy):
    task = _task(store, specialist, due_at=at(12, 9, "16:00"), contact=ContactTime.AFTERNOON)
    callback_record(task=task, by=specialist, reached=False, now=at(12, 7, "15:00"))
    task.refresh_from_db()
    # 19:00 is outside quiet hours but the customer asked for 下午 14:00-18:00.
    assert task.retry_at == at(12, 8, "14:00")


def test_a_task_to_be_retried_today_is_on_todays_list(store, specialist, policy):
    task = _task(store, specialist, due_at=at(12, 10, "16:00"))
    callback_record(task=task, by=specialist, reached=False, now=at(12, 7, "09:10"))
    now = at(12, 7, "10:00")
    assert list(callbacks_list_for_task_list(specialist, view="today", now=now)) == [task]
    assert callback_counts(specialist, now=now)["today"] == 1
    # The next morning its retry time has passed but not its deadline: not late.
    assert callback_counts(specialist, now=at(12, 8, "10:00"))["overdue"] == 0


def test_the_last_unreached_call_clears_the_retry_time(store, specialist, policy):
    task = _task(store, specialist, due_at=at(12, 9, "16:00"))
    for hm in ("09:10", "14:00", "18:00"):
        callback_record(task=task, by=specialist, reached=False, now=at(12, 7, hm))
    task.refresh_from_db()
    assert (task.status, task.retry_at, task.due_at) == (CallbackStatus.UNREACHABLE, None,
                                                         at(12, 9, "16:00"))


def test_a_later_time_booked_on_a_late_task_keeps_it_late(store, specialist, policy):
    task = _task(store, specialist, due_at=at(7, 15, "16:00"))
    callbacks_mark_overdue(now=at(7, 16, "09:00"))
    now = at(12, 7, "10:00")
    callback_record(task=task, by=specialist, reached=True, next_appointment_at=at(12, 9, "15:00"),
                    now=now)
    task.refresh_from_db()
    assert (task.status, task.due_at) == (CallbackStatus.OVERDUE, at(7, 15, "16:00"))
    assert task.booked_at == task.retry_at == at(12, 9, "15:00")
    assert list(callbacks_list_for_task_list(specialist, view="overdue", now=now)) == [task]


def test_a_later_time_booked_in_time_moves_the_deadline(store, specialist, policy):
    task = _task(store, specialist, due_at=at(12, 9, "16:00"))
    callback_record(task=task, by=specialist, reached=True, next_appointment_at=at(12, 10, "15:00"),
                    now=at(12, 7, "10:00"))
    task.refresh_from_db()
    assert (task.status, task.due_at, task.retry_at) == (CallbackStatus.PENDING,
                                                         at(12, 10, "15:00"), None)
