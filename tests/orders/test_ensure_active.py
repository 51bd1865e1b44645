"""One guard for a cancelled order: Order.ensure_active(), asked by every service that acts on
an order (stages, bookings, payments, flow cards, reworks, products)."""
from datetime import timedelta

import pytest
from django.utils import timezone

from frontdesk.flowcards import flow_card_create, rework_request
from frontdesk.production import production_item_add
from frontdesk.schedule import booking_create
from orders.models import Order, OrderStatus, StageKind
from orders.services import order_cancel, payment_record, stage_complete, stage_schedule
from staff.models import Role
from studio.errors import TransitionNotAllowed

MESSAGE = "订单 #7 已取消，不能再办理。"


@pytest.mark.parametrize("status", [OrderStatus.ACTIVE, OrderStatus.COMPLETED])
def test_a_running_or_completed_order_may_still_be_acted_on(status):
    Order(pk=7, status=status).ensure_active()  # a completed order still takes its balance


def test_a_cancelled_order_refuses_with_one_message():
    with pytest.raises(TransitionNotAllowed) as excinfo:
        Order(pk=7, status=OrderStatus.CANCELLED).ensure_active()
    assert (excinfo.value.message, excinfo.value.code) == (MESSAGE, "order_cancelled")


@pytest.fixture
def cancelled(order, front_desk):
    return order_cancel(order=order, by=front_desk, reason="客户改期到明年")


@pytest.mark.django_db
@pytest.mark.parametrize("action", [
    "payment", "schedule", "complete", "booking", "flow_card", "rework", "product"])
@pytest.mark.clock
def test_every_service_refuses_a_cancelled_order_the_same_way(cancelled, front_desk, staff_of,
                                                               action):
    manager = staff_of(Role.STORE_MANAGER).user
    photographer = staff_of(Role.PHOTOGRAPHER).user
    soon = timezone.now() + timedelta(days=3)
    calls = {
        "payment": lambda: payment_record(order=cancelled, kind="deposit", amount=100,
                                          received_by=front_desk),
        "schedule": lambda: stage_schedule(order=cancelled, kind=StageKind.GOWN, at=soon,
                                           by=front_desk),
        "complete": lambda: stage_complete(order=cancelled, kind=StageKind.GOWN, by=front_desk),
        "booking": lambda: booking_create(stage=cancelled.stages.get(kind=StageKind.GOWN),
                                          starts_at=soon, by=front_desk),
        "flow_card": lambda: flow_card_create(order=cancelled, by=manager,
                                              photographer=photographer, complete_shoot=True),
        "rework": lambda: rework_request(order=cancelled, by=manager, reason="颜色偏差",
                                         items="相册"),
        "product": lambda: production_item_add(order=cancelled, by=manager, kind="album"),
    }
    with pytest.raises(TransitionNotAllowed) as excinfo:
        calls[action]()
    assert excinfo.value.message == f"订单 #{cancelled.pk} 已取消，不能再办理。"
    assert excinfo.value.code == "order_cancelled"
