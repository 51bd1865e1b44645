"""The stage step map and the order's two steps (orders.workflow): who may take each step, from
which states, and each service refusing the wrong role on its own — called directly, no view,
no client."""
from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import timezone

from orders.models import STAGE_TRANSITIONS, OrderStatus, Payment, StageEvent
from orders.models import StageStatus as S
from orders.services import order_cancel, payment_record, stage_complete, stage_schedule
from orders.workflow import ORDER_CANCEL, ORDER_PAYMENT, ORDER_STEPS, STAGE_STEPS
from staff.models import Role
from studio.errors import DomainError, TransitionNotAllowed

pytestmark = pytest.mark.django_db

R = Role
# Written out, not read from the map: the test fails when the map (or a role's group) is wrong.
# Everyone who serves a customer records a stage; the cashier takes money only.
RECORDERS = set(Role.values) - {R.CASHIER}
ALLOWED_ROLES = {
    "schedule": RECORDERS,
    "complete": RECORDERS,
    "pay": {R.FRONT_DESK, R.CASHIER, R.STORE_MANAGER, R.GENERAL_MANAGER},
    "cancel": {R.FRONT_DESK, R.STORE_MANAGER, R.GENERAL_MANAGER},
    # The sale (issue 16): the front desk and the managers sell and change orders; only the
    # managers approve a discount above the store's limit.
    "create": {R.FRONT_DESK, R.STORE_MANAGER, R.GENERAL_MANAGER},
    "change": {R.FRONT_DESK, R.STORE_MANAGER, R.GENERAL_MANAGER},
    "approve": {R.STORE_MANAGER, R.GENERAL_MANAGER},
}
OPEN = {S.PENDING, S.SCHEDULED}
STAGE_SOURCES = {"schedule": OPEN, "complete": OPEN}
# Every move of the stage transition map and the step that makes it (no sweep moves a stage).
MOVES = {
    (S.PENDING, S.SCHEDULED): "schedule", (S.SCHEDULED, S.SCHEDULED): "schedule",
    (S.PENDING, S.DONE): "complete", (S.SCHEDULED, S.DONE): "complete",
}


def _call(action: str, order, user):
    if action == "schedule":
        return stage_schedule(order=order, kind="gown", at=timezone.now() + timedelta(days=2),
                              by=user)
    if action == "complete":
        return stage_complete(order=order, kind="gown", by=user)
    if action == "pay":
        return payment_record(order=order, kind="deposit", amount=Decimal("100"),
                              received_by=user)
    return order_cancel(order=order, by=user, reason="客户取消")


def _footprint(order) -> tuple:
    order.refresh_from_db()
    gown = order.stages.get(kind="gown")
    return (order.status, order.paid_total, gown.status, gown.scheduled_at,
            StageEvent.objects.count(), Payment.objects.count())


def test_the_map_has_the_expected_steps_and_sources():
    assert {step.action: step.sources for step in STAGE_STEPS} == STAGE_SOURCES
    waiting = OrderStatus.PENDING_APPROVAL
    assert {step.action: step.sources for step in ORDER_STEPS} == {
        "create": {None}, "approve": {waiting}, "change": {waiting, OrderStatus.ACTIVE},
        "pay": {waiting, OrderStatus.ACTIVE, OrderStatus.COMPLETED},
        "cancel": {waiting, OrderStatus.ACTIVE}}


def test_every_move_of_the_stage_transition_map_is_a_step():
    edges = {(s, t) for s, targets in STAGE_TRANSITIONS.items() for t in targets}
    assert set(MOVES) == edges
    for (source, target), action in MOVES.items():
        assert source in STAGE_STEPS[action].sources and STAGE_STEPS[action].target == target
    # The services leave the state to the model's verb: the sources must be exactly the states
    # the transition map lets reach the step's target, or a page would offer a refused step.
    for step in STAGE_STEPS:
        assert step.sources == {s for s, targets in STAGE_TRANSITIONS.items()
                                if step.target in targets}, step.action


@pytest.mark.parametrize("role", Role.values)
def test_each_roles_group_allows_exactly_the_expected_steps(staff_of, role):
    user = staff_of(role).user
    allowed = {step.action for step in (*STAGE_STEPS, *ORDER_STEPS) if step.permits(user)}
    assert allowed == {action for action, roles in ALLOWED_ROLES.items() if role in roles}


@pytest.mark.parametrize("action", ["schedule", "complete", "pay", "cancel"])  # the sale's: test_sale.py
@pytest.mark.parametrize("role", Role.values)
@pytest.mark.clock
def test_the_service_alone_refuses_the_wrong_role(staff_of, order, action, role):
    user = staff_of(role).user
    before = _footprint(order)
    if role in ALLOWED_ROLES[action]:
        assert _call(action, order, user)
        assert _footprint(order) != before
    else:
        with pytest.raises(PermissionDenied):
            _call(action, order, user)
        assert _footprint(order) == before


@pytest.mark.parametrize("action", ["schedule", "complete", "cancel"])
@pytest.mark.clock
def test_the_system_takes_any_step(order, action):
    """by=None is the system (a sweep, a job): allowed; a payment always names who took it."""
    before = _footprint(order)
    assert _call(action, order, None)
    assert _footprint(order) != before


@pytest.mark.clock
def test_the_role_is_refused_before_the_state(order, front_desk, staff_of):
    """A refusal does not tell an outsider the state: a cancelled order, the wrong role: 403."""
    order_cancel(order=order, by=front_desk, reason="客户取消")
    cashier = staff_of(R.CASHIER).user
    for action in ("schedule", "complete"):
        with pytest.raises(PermissionDenied):
            _call(action, order, cashier)
    with pytest.raises(PermissionDenied):
        _call("pay", order, staff_of(R.SPECIALIST).user)
    with pytest.raises(DomainError):
        _call("pay", order, cashier)


@pytest.mark.clock
def test_a_done_stage_takes_no_step(order, front_desk):
    stage_complete(order=order, kind="gown", by=front_desk)
    assert STAGE_STEPS.available(state=S.DONE, user=front_desk) == []
    for action in ("schedule", "complete"):
        with pytest.raises(TransitionNotAllowed):
            _call(action, order, front_desk)


def test_a_completed_order_still_takes_money_and_a_cancelled_one_does_not(
        order, front_desk, manager):
    for kind in ("gown", "shoot", "selection"):
        stage_complete(order=order, kind=kind, by=front_desk)
    stage_complete(order=order, kind="pickup", by=front_desk, picked_up_by="张三")
    order.refresh_from_db()
    assert order.status == OrderStatus.COMPLETED and order.status in ORDER_PAYMENT.sources
    assert payment_record(order=order, kind="deposit", amount=Decimal("100"), received_by=manager)
    assert order.status not in ORDER_CANCEL.sources
    with pytest.raises(TransitionNotAllowed):
        order_cancel(order=order, by=manager, reason="客户取消")


@pytest.mark.parametrize("role, shown", [(R.CASHIER, {"payment-form"}),
                                         (R.PHOTOGRAPHER, {"complete-form", "schedule-form"}),
                                         (R.FRONT_DESK, {"payment-form", "complete-form",
                                                         "schedule-form"})])
def test_the_customer_page_offers_the_steps_the_role_may_take(client, staff_of, order, role,
                                                              shown):
    user = staff_of(role).user
    # The page needs customers.view_customer, which a photographer's group lacks.
    user.user_permissions.add(Permission.objects.get(content_type__app_label="customers",
                                                     codename="view_customer"))
    client.force_login(user)
    page = client.get(reverse("orders:customer", args=[order.customer_id])).content.decode()
    forms = {"payment-form", "complete-form", "schedule-form"}
    assert {f for f in forms if f'data-testid="{f}"' in page} == shown
