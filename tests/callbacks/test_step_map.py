"""The callback task's step map (callbacks.workflow): who may take each step, from which states,
and the services refusing the wrong role on their own — called directly, no view, no client."""
from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import timezone

from callbacks.models import CALLBACK_TRANSITIONS, CallbackRecord, CallbackTask
from callbacks.models import CallbackStatus as S
from callbacks.services import (
    callback_record,
    callback_send_sms,
    callbacks_assign,
    callbacks_balance,
)
from callbacks.workflow import CALLBACK_STEPS
from staff.models import Role
from studio.errors import TransitionNotAllowed
from studio.models import SmsMessage

pytestmark = pytest.mark.django_db

R = Role
CALLERS = {R.SPECIALIST, R.SUPERVISOR, R.FRONT_DESK, R.STORE_MANAGER, R.GENERAL_MANAGER}
# Written out, not read from the map: the test fails when the map (or a role's group) is wrong.
ALLOWED_ROLES = {
    "record": CALLERS,
    "send_sms": CALLERS,
    "assign": {R.SUPERVISOR, R.STORE_MANAGER, R.GENERAL_MANAGER},
}
OPEN = {S.PENDING, S.OVERDUE}
SOURCES = {"record": OPEN, "send_sms": OPEN, "assign": OPEN}
# Every move of the transition map and what makes it: a call recorded, or a sweep.
MOVES = {
    (S.PENDING, S.PENDING): "record", (S.PENDING, S.DONE): "record",
    (S.PENDING, S.UNREACHABLE): "record", (S.OVERDUE, S.PENDING): "record",
    (S.OVERDUE, S.DONE): "record", (S.OVERDUE, S.UNREACHABLE): "record",
    (S.OVERDUE, S.OVERDUE): "record",  # unanswered: a late task stays late (issue 17)
    (S.PENDING, S.OVERDUE): "sweep",  # callbacks_mark_overdue
    (S.PENDING, S.CANCELLED): "sweep", (S.OVERDUE, S.CANCELLED): "sweep",  # a walk-out closed
}


@pytest.fixture
def open_task(customer, store):
    now = timezone.now()
    return CallbackTask.objects.create(customer=customer, store=store, triggered_at=now,
                                       due_at=now + timedelta(days=2))


def _call(action: str, task: CallbackTask, user, specialist):
    if action == "record":
        return callback_record(task=task, by=user, reached=True, satisfaction="satisfied")
    if action == "send_sms":
        return callback_send_sms(task=task, template="thanks", by=user)
    return callbacks_assign(tasks=CallbackTask.objects.filter(pk=task.pk), to=specialist, by=user)


def _footprint(task: CallbackTask) -> tuple:
    task = CallbackTask.objects.get(pk=task.pk)
    return (task.status, task.assigned_to_id, CallbackRecord.objects.count(),
            SmsMessage.objects.count())


def test_the_map_has_the_expected_steps_and_sources():
    assert {step.action: step.sources for step in CALLBACK_STEPS} == SOURCES


def test_every_move_of_the_transition_map_is_a_recorded_call_or_a_sweep():
    edges = {(s, t) for s, targets in CALLBACK_TRANSITIONS.items() for t in targets}
    assert set(MOVES) == edges
    for (source, _target), action in MOVES.items():
        if action != "sweep":
            assert source in CALLBACK_STEPS[action].sources
    for step in CALLBACK_STEPS:
        assert all(CALLBACK_TRANSITIONS[source] for source in step.sources), step.action


@pytest.mark.parametrize("role", Role.values)
def test_each_roles_group_allows_exactly_the_expected_steps(staff_of, role):
    user = staff_of(role).user
    allowed = {step.action for step in CALLBACK_STEPS if step.permits(user)}
    assert allowed == {action for action, roles in ALLOWED_ROLES.items() if role in roles}


@pytest.mark.parametrize("action", list(ALLOWED_ROLES))
@pytest.mark.parametrize("role", Role.values)
@pytest.mark.clock
def test_the_service_alone_refuses_the_wrong_role(staff_of, open_task, specialist, action, role):
    user = staff_of(role).user
    before = _footprint(open_task)
    if role in ALLOWED_ROLES[action]:
        assert _call(action, open_task, user, specialist)
        assert _footprint(open_task) != before
    else:
        with pytest.raises(PermissionDenied):
            _call(action, open_task, user, specialist)
        assert _footprint(open_task) == before


@pytest.mark.clock
def test_balancing_refuses_the_wrong_role(open_task, store, specialist):
    with pytest.raises(PermissionDenied):
        callbacks_balance(tasks=CallbackTask.objects.all(), store=store, by=specialist)
    assert CallbackTask.objects.get(pk=open_task.pk).assigned_to is None


@pytest.mark.clock
def test_a_closed_task_takes_no_step(open_task, specialist, supervisor):
    callback_record(task=open_task, by=specialist, reached=True, satisfaction="satisfied")
    open_task.refresh_from_db()
    with pytest.raises(TransitionNotAllowed) as refused:
        callback_send_sms(task=open_task, template="thanks", by=specialist)
    assert refused.value.code == "callback_closed"
    assert callbacks_assign(tasks=CallbackTask.objects.filter(pk=open_task.pk), to=specialist,
                            by=supervisor) == 0
    assert CALLBACK_STEPS.available(state=S.DONE, user=supervisor) == []


@pytest.mark.clock
def test_the_call_page_offers_the_available_steps(client, specialist, open_task):
    CallbackTask.objects.filter(pk=open_task.pk).update(assigned_to=specialist)
    client.force_login(specialist)
    url = reverse("callbacks:call", args=[open_task.pk])
    page = client.get(url).content.decode()
    assert 'data-testid="record-form"' in page and reverse("callbacks:sms",
                                                          args=[open_task.pk]) in page
    callback_record(task=open_task, by=specialist, reached=True, satisfaction="satisfied")
    page = client.get(url).content.decode()
    assert 'data-testid="record-form"' not in page and reverse("callbacks:sms",
                                                              args=[open_task.pk]) not in page
