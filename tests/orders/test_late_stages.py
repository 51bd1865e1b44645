"""The late-stage sweep: one statement, idempotent, right after a reschedule."""
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from orders.models import FollowUpStatus, LateFollowUp
from orders.services import (
    followup_resolve,
    late_stages_find,
    order_cancel,
    stage_complete,
    stage_schedule,
)
from orders.tasks import find_late_stages_task
from studio.errors import TransitionNotAllowed

pytestmark = [pytest.mark.django_db, pytest.mark.clock]


@pytest.fixture
def booked(order, front_desk):
    """The order's gown selection booked for tomorrow 10:00."""
    at = timezone.now() + timedelta(days=1)
    stage_schedule(order=order, kind="gown", at=at, by=front_desk)
    return order, at


def test_a_stage_past_its_time_gets_one_follow_up_for_the_customers_specialist(booked, specialist):
    _order, at = booked
    assert late_stages_find(now=at - timedelta(minutes=1)) == 0
    assert late_stages_find(now=at + timedelta(minutes=1)) == 1
    followup = LateFollowUp.objects.get()
    assert (followup.stage.kind, followup.scheduled_at, followup.assigned_to, followup.status) == (
        "gown", at, specialist, FollowUpStatus.OPEN)


def test_running_the_sweep_twice_creates_nothing_more(booked):
    _order, at = booked
    late_stages_find(now=at + timedelta(hours=1))
    assert late_stages_find(now=at + timedelta(hours=2)) == 0
    assert LateFollowUp.objects.count() == 1


def test_the_sweep_inserts_with_one_statement_whatever_the_number_of_late_stages(
        customer, package, front_desk):
    from orders.services import order_create

    at = timezone.now() + timedelta(hours=1)
    for _ in range(5):
        o = order_create(customer=customer, package=package, by=front_desk)
        stage_schedule(order=o, kind="gown", at=at, by=front_desk)
    with CaptureQueriesContext(connection) as queries:
        assert late_stages_find(now=at + timedelta(minutes=5)) == 5
    inserts = [q for q in queries.captured_queries if q["sql"].lstrip().upper().startswith("INSERT")]
    assert len(inserts) == 1


def test_a_done_stage_is_not_late(booked, front_desk):
    order, at = booked
    stage_complete(order=order, kind="gown", by=front_desk, at=at - timedelta(hours=1))
    assert late_stages_find(now=at + timedelta(hours=1)) == 0


def test_a_cancelled_order_raises_no_follow_up(booked, front_desk):
    order, at = booked
    order_cancel(order=order, by=front_desk, reason="客户取消")
    assert late_stages_find(now=at + timedelta(hours=1)) == 0


def test_a_stage_rescheduled_after_it_was_found_late_closes_the_old_follow_up_and_can_be_late_again(
        booked, front_desk):
    order, at = booked
    late_stages_find(now=at + timedelta(hours=1))
    new_time = at + timedelta(days=3)
    stage_schedule(order=order, kind="gown", at=new_time, by=front_desk,
                   now=at + timedelta(hours=2))
    late_stages_find(now=at + timedelta(hours=3))
    old = LateFollowUp.objects.get(scheduled_at=at)
    assert old.status == FollowUpStatus.OBSOLETE
    assert LateFollowUp.objects.open().count() == 0
    late_stages_find(now=new_time + timedelta(minutes=1))
    assert LateFollowUp.objects.open().get().scheduled_at == new_time


def test_the_beat_task_runs_the_sweep(booked, monkeypatch):
    _order, at = booked
    monkeypatch.setattr("orders.tasks.timezone.now", lambda: at + timedelta(hours=1))
    assert find_late_stages_task() == 1


def test_a_follow_up_is_resolved_once_with_a_note(booked, specialist):
    _order, at = booked
    late_stages_find(now=at + timedelta(hours=1))
    followup = LateFollowUp.objects.get()
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        followup_resolve(followup=followup, by=specialist, note="  ")
    followup_resolve(followup=followup, by=specialist, note="客户生病，改约下周")
    with pytest.raises(TransitionNotAllowed):
        followup_resolve(followup=followup, by=specialist, note="again")
