"""The front desk's step maps (frontdesk.workflow): rework and production items. Who may take
each step, from which states, and each service refusing the wrong role on its own — called
directly, no view, no client; then the pages offering exactly the available steps."""
from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import timezone

from frontdesk.flowcards import rework_decide, rework_done, rework_request
from frontdesk.models import (
    PRODUCTION_TRANSITIONS,
    REWORK_TRANSITIONS,
    ProductionItem,
    ProductKind,
    Rework,
)
from frontdesk.models import ProductionStatus as P
from frontdesk.models import ReworkStatus as W
from frontdesk.production import (
    production_arrive,
    production_item_add,
    production_pickup,
    production_qc,
    production_send,
)
from frontdesk.workflow import PRODUCTION_STEPS, REWORK_STEPS
from orders.models import StageKind
from orders.services import stage_complete
from staff.models import Role
from studio.workflow import CREATE

pytestmark = pytest.mark.django_db

R = Role
# Written out, not read from the map: the test fails when the map (or a role's group) is wrong.
DESK = {R.FRONT_DESK, R.STORE_MANAGER, R.GENERAL_MANAGER}
REWORK_ROLES = {"request": DESK, "decide": {R.STORE_MANAGER, R.GENERAL_MANAGER}, "done": DESK}
PRODUCTION_ROLES = {"add": DESK, "send": DESK, "arrive": DESK, "qc": DESK, "pickup": DESK}
# Every move of each transition map and the step that makes it (neither workflow has a sweep;
# the pickup SMS follows the last check that passes, it moves nothing).
REWORK_MOVES = {
    (CREATE, W.REQUESTED): "request",
    (W.REQUESTED, W.APPROVED): "decide", (W.REQUESTED, W.REJECTED): "decide",
    (W.APPROVED, W.DONE): "done",
}
PRODUCTION_MOVES = {
    (CREATE, P.PENDING): "add",
    (P.PENDING, P.SENT): "send", (P.QC_FAILED, P.SENT): "send",
    (P.SENT, P.ARRIVED): "arrive",
    (P.ARRIVED, P.QC_PASSED): "qc", (P.ARRIVED, P.QC_FAILED): "qc",
    (P.QC_PASSED, P.PICKED_UP): "pickup",
}


@pytest.fixture
def selected_order(order, front_desk):
    """An order whose shoot and photo selection are done: it may be reworked, its products
    may go to the lab."""
    for kind in (StageKind.GOWN, StageKind.SHOOT, StageKind.SELECTION):
        stage_complete(order=order, kind=kind, by=front_desk)
    return order


def _tomorrow():
    return timezone.localdate() + timedelta(days=1)


# --- the maps against the transition maps ------------------------------------------------------

@pytest.mark.parametrize("steps, transitions, moves, model", [
    (REWORK_STEPS, REWORK_TRANSITIONS, REWORK_MOVES, Rework),
    (PRODUCTION_STEPS, PRODUCTION_TRANSITIONS, PRODUCTION_MOVES, ProductionItem),
], ids=["rework", "production"])
def test_every_move_of_the_transition_map_is_a_step_and_every_step_a_move(
        steps, transitions, moves, model):
    edges = {(s, t) for s, targets in transitions.items() for t in targets}
    created = model._meta.get_field("status").default
    assert set(moves) == edges | {(CREATE, created)}
    for step in steps:
        # The step leaves exactly the states of its moves (the services leave the state to the
        # model's move_to, so a wider or narrower map would offer a refused step, or hide one)...
        assert step.sources == {s for (s, _t), action in moves.items() if action == step.action}
        # ...and reaches the target of each of them (None: the input decides between them).
        targets = {t for (_s, t), action in moves.items() if action == step.action}
        if step.target is not None:
            assert targets == {step.target}
        else:
            assert len(targets) > 1, step.action


@pytest.mark.parametrize("role", Role.values)
def test_each_roles_group_allows_exactly_the_expected_steps(staff_of, role):
    user = staff_of(role).user
    assert {step.action for step in REWORK_STEPS if step.permits(user)} == {
        action for action, roles in REWORK_ROLES.items() if role in roles}
    assert {step.action for step in PRODUCTION_STEPS if step.permits(user)} == {
        action for action, roles in PRODUCTION_ROLES.items() if role in roles}


# --- each service as every role ----------------------------------------------------------------

def _rework_at(action: str, order, front_desk, manager) -> Rework | None:
    """The rework the step starts from (None: the request creates it)."""
    if action == "request":
        return None
    rework = rework_request(order=order, by=front_desk, reason="肤色偏黄", items="重修 2 张")
    if action == "done":
        rework_decide(rework=rework, by=manager, approve=True)
    rework.refresh_from_db()
    return rework


def _rework_call(action: str, order, rework, user):
    if action == "request":
        return rework_request(order=order, by=user, reason="肤色偏黄", items="重修 2 张")
    if action == "decide":
        return rework_decide(rework=rework, by=user, approve=True)
    return rework_done(rework=rework, by=user)


def _rework_footprint() -> list:
    return list(Rework.objects.order_by("pk").values_list("status", "decided_by", "done_at"))


@pytest.mark.parametrize("action", list(REWORK_ROLES))
@pytest.mark.parametrize("role", Role.values)
def test_each_rework_service_alone_refuses_the_wrong_role(staff_of, selected_order, front_desk,
                                                          manager, action, role):
    rework = _rework_at(action, selected_order, front_desk, manager)
    user = staff_of(role).user
    before = _rework_footprint()
    if role in REWORK_ROLES[action]:
        assert _rework_call(action, selected_order, rework, user)
        assert _rework_footprint() != before
    else:
        with pytest.raises(PermissionDenied):
            _rework_call(action, selected_order, rework, user)
        assert _rework_footprint() == before


def _item_at(action: str, order, front_desk) -> ProductionItem | None:
    """A product in the state the step leaves (None: adding creates one)."""
    if action == "add":
        return None
    item = production_item_add(order=order, by=front_desk, kind=ProductKind.ALBUM)
    if action in ("arrive", "qc", "pickup"):
        production_send(item=item, by=front_desk, due_on=_tomorrow())
    if action in ("qc", "pickup"):
        production_arrive(item=item, by=front_desk)
    if action == "pickup":
        production_qc(item=item, by=front_desk, count=1, passed=True)
    item.refresh_from_db()
    return item


def _production_call(action: str, order, item, user):
    if action == "add":
        return production_item_add(order=order, by=user, kind=ProductKind.FRAME)
    if action == "send":
        return production_send(item=item, by=user, due_on=_tomorrow())
    if action == "arrive":
        return production_arrive(item=item, by=user)
    if action == "qc":
        return production_qc(item=item, by=user, count=1, passed=True)
    return production_pickup(item=item, by=user, picked_up_by="张三")


def _production_footprint() -> list:
    return list(ProductionItem.objects.order_by("pk").values_list(
        "status", "sent_at", "arrived_at", "qc_by", "picked_up_at"))


@pytest.mark.parametrize("action", list(PRODUCTION_ROLES))
@pytest.mark.parametrize("role", Role.values)
@pytest.mark.clock
def test_each_production_service_alone_refuses_the_wrong_role(staff_of, selected_order,
                                                              front_desk, action, role):
    item = _item_at(action, selected_order, front_desk)
    user = staff_of(role).user
    before = _production_footprint()
    if role in PRODUCTION_ROLES[action]:
        assert _production_call(action, selected_order, item, user)
        assert _production_footprint() != before
    else:
        with pytest.raises(PermissionDenied):
            _production_call(action, selected_order, item, user)
        assert _production_footprint() == before


@pytest.mark.clock
def test_the_role_is_refused_before_the_state(selected_order, front_desk, manager, supervisor):
    """A refusal does not tell an outsider the state: a finished rework, a product picked
    up, the wrong role: 403 all the same."""
    rework = _rework_at("done", selected_order, front_desk, manager)
    rework_done(rework=rework, by=front_desk)
    item = _item_at("pickup", selected_order, front_desk)
    production_pickup(item=item, by=front_desk, picked_up_by="张三")
    for call in (lambda: rework_decide(rework=rework, by=supervisor, approve=True),
                 lambda: rework_done(rework=rework, by=supervisor),
                 lambda: production_send(item=item, by=supervisor, due_on=_tomorrow()),
                 lambda: production_qc(item=item, by=supervisor, count=1, passed=True)):
        with pytest.raises(PermissionDenied):
            call()


# --- the pages offer exactly the available steps -----------------------------------------------

ROW_FORMS = {"send": "send-form", "arrive": "arrive-form", "qc": "qc-form",
             "pickup": "pickup-form"}


@pytest.mark.parametrize("action", list(ROW_FORMS))
@pytest.mark.parametrize("who", ["front_desk", "supervisor"])
@pytest.mark.clock
def test_the_production_page_offers_the_available_steps(client, request, selected_order,
                                                        front_desk, action, who):
    item = _item_at(action, selected_order, front_desk)
    user = request.getfixturevalue(who)
    client.force_login(user)
    page = client.get(reverse("frontdesk:production_order", args=[selected_order.pk]))
    html = page.content.decode()
    offered = {step.action for step in PRODUCTION_STEPS.available(state=item.status, user=user)}
    assert {a for a, testid in ROW_FORMS.items() if f'data-testid="{testid}"' in html} == offered
    assert ('data-testid="add-form"' in html) == PRODUCTION_STEPS["add"].permits(user)
    assert offered == ({action} if who == "front_desk" else set())


@pytest.mark.parametrize("state", [W.REQUESTED, W.APPROVED, W.REJECTED])
@pytest.mark.parametrize("who", ["front_desk", "manager", "supervisor"])
def test_the_rework_page_offers_the_available_steps(client, request, selected_order, front_desk,
                                                    manager, state, who):
    rework = _rework_at("decide", selected_order, front_desk, manager)
    if state != W.REQUESTED:
        rework_decide(rework=rework, by=manager, approve=state == W.APPROVED, note="不需要")
    user = request.getfixturevalue(who)
    client.force_login(user)
    html = client.get(reverse("frontdesk:rework", args=[rework.pk])).content.decode()
    offered = {step.action for step in REWORK_STEPS.available(state=state, user=user)}
    shown = {action for action, testid in (("decide", "decide-form"), ("done", "done-form"))
             if f'data-testid="{testid}"' in html}
    assert shown == offered
