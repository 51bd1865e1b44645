"""The stage and payment services: order of stages, history, the ledger and the balance owed."""
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from orders.models import (
    Order,
    OrderStage,
    OrderStatus,
    Payment,
    StageEvent,
    StageKind,
    StageStatus,
)
from orders.services import (
    order_cancel,
    order_create,
    payment_record,
    stage_complete,
    stage_schedule,
)
from orders.signals import stage_completed
from studio.errors import DomainError, TransitionNotAllowed
from tests.factories import ChildrenPackageFactory, CustomerFactory

pytestmark = pytest.mark.django_db


def test_a_new_order_lays_out_its_packages_stages_with_the_order_stage_done(order, front_desk):
    stages = list(order.stages.order_by("sequence"))
    assert [s.kind for s in stages] == ["order", "gown", "shoot", "selection", "pickup"]
    assert stages[0].status == StageStatus.DONE and stages[0].completed_by == front_desk
    assert all(s.status == StageStatus.PENDING for s in stages[1:])
    assert order.current_stage == StageKind.GOWN


def test_an_order_cannot_skip_a_stage_its_package_includes(order, front_desk):
    with pytest.raises(TransitionNotAllowed, match="礼服挑选"):
        stage_complete(order=order, kind=StageKind.SHOOT, by=front_desk)
    assert OrderStage.objects.get(order=order, kind="shoot").status == StageStatus.PENDING


def test_a_childrens_order_goes_straight_from_order_to_shoot(customer, front_desk):
    order = order_create(customer=customer, package=ChildrenPackageFactory(), by=front_desk)
    assert order.current_stage == StageKind.SHOOT
    stage_complete(order=order, kind=StageKind.SHOOT, by=front_desk)
    with pytest.raises(DomainError, match="不含"):
        stage_complete(order=order, kind=StageKind.GOWN, by=front_desk)


def test_a_stage_cannot_be_completed_twice(order, front_desk):
    stage_complete(order=order, kind=StageKind.GOWN, by=front_desk)
    with pytest.raises(TransitionNotAllowed):
        stage_complete(order=order, kind=StageKind.GOWN, by=front_desk)
    assert StageEvent.objects.filter(stage__order=order, stage__kind="gown").count() == 1


@pytest.mark.clock
def test_a_completed_stage_records_time_staff_and_history(order, front_desk, staff_of):
    photographer = staff_of("photographer").user
    stage_complete(order=order, kind=StageKind.GOWN, by=front_desk)
    at = timezone.now() - timedelta(hours=2)
    stage = stage_complete(order=order, kind=StageKind.SHOOT, by=front_desk, at=at,
                           assigned_to=photographer, location="西湖湖滨")
    stage.refresh_from_db()
    assert (stage.status, stage.completed_at, stage.completed_by, stage.assigned_to,
            stage.location) == (StageStatus.DONE, at, front_desk, photographer, "西湖湖滨")
    event = StageEvent.objects.get(stage=stage)
    assert (event.before, event.after, event.by) == ("pending", "done", front_desk)
    order.refresh_from_db()
    assert order.current_stage == StageKind.SELECTION


def test_completing_pickup_completes_the_order(order, front_desk):
    for kind in ["gown", "shoot", "selection"]:
        stage_complete(order=order, kind=kind, by=front_desk)
    stage_complete(order=order, kind="pickup", by=front_desk, picked_up_by="张三")
    order.refresh_from_db()
    assert (order.status, order.current_stage) == (OrderStatus.COMPLETED, "")


def test_pickup_requires_who_picked_up(order, front_desk):
    for kind in ["gown", "shoot", "selection"]:
        stage_complete(order=order, kind=kind, by=front_desk)
    with pytest.raises(ValidationError) as err:
        stage_complete(order=order, kind="pickup", by=front_desk)
    assert "picked_up_by" in err.value.message_dict
    assert OrderStage.objects.get(order=order, kind="pickup").status == StageStatus.PENDING


def test_an_unknown_stage_is_refused_with_a_clear_message(order, front_desk):
    with pytest.raises(ValidationError) as err:
        stage_complete(order=order, kind="wedding_party", by=front_desk)
    assert "未知的服务阶段" in err.value.message_dict["kind"][0]


def test_completion_is_announced_on_commit(order, front_desk, django_capture_on_commit_callbacks):
    received = []

    def receiver(sender, stage_id, kind, **kwargs):
        received.append((stage_id, kind))

    stage_completed.connect(receiver)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            stage = stage_complete(order=order, kind=StageKind.GOWN, by=front_desk)
    finally:
        stage_completed.disconnect(receiver)
    assert received == [(stage.pk, "gown")]


def test_the_balance_owed_follows_deposits_add_ons_and_refunds(customer, package, front_desk):
    order = order_create(customer=customer, package=package, by=front_desk,
                         amount=Decimal("6000"), discount=Decimal("500"))
    payment_record(order=order, kind="deposit", amount=Decimal("2000"), received_by=front_desk)
    stage_complete(order=order, kind="gown", by=front_desk, extra_amount=Decimal("800"),
                   extra_note="加选婚纱一套")
    payment_record(order=order, kind="addon", amount=Decimal("800"), received_by=front_desk)
    payment_record(order=order, kind="refund", amount=Decimal("300"), received_by=front_desk)
    order.refresh_from_db()
    # due 6000 - 500 + 800 = 6300; paid 2000 + 800 - 300 = 2500; owed 3800
    assert (order.paid_total, order.extras_total, order.balance_owed) == (
        Decimal("2500.00"), Decimal("800.00"), Decimal("3800.00"))
    assert order.payment_status == "已付定金"
    signed = sum(p.signed_amount for p in Payment.objects.filter(order=order))
    assert signed == order.paid_total


def test_a_refund_above_what_was_paid_is_refused_and_nothing_saved(order, front_desk):
    payment_record(order=order, kind="deposit", amount=Decimal("1000"), received_by=front_desk)
    with pytest.raises(ValidationError) as err:
        payment_record(order=order, kind="refund", amount=Decimal("1000.01"),
                       received_by=front_desk)
    assert "超过已收款" in err.value.message_dict["amount"][0]
    order.refresh_from_db()
    assert order.paid_total == Decimal("1000.00")
    assert order.payments.count() == 1


@pytest.mark.parametrize("amount", ["-100", "0", "abc", "NaN"])
def test_a_payment_that_is_not_a_positive_amount_is_refused(order, front_desk, amount):
    with pytest.raises(ValidationError) as err:
        payment_record(order=order, kind="deposit", amount=amount, received_by=front_desk)
    assert "amount" in err.value.message_dict
    assert not order.payments.exists()


def test_an_unknown_payment_kind_is_refused(order, front_desk):
    with pytest.raises(ValidationError):
        payment_record(order=order, kind="tip", amount=100, received_by=front_desk)


def test_a_payment_on_a_cancelled_order_is_refused(order, front_desk):
    order_cancel(order=order, by=front_desk, reason="客户改期到明年")
    with pytest.raises(DomainError, match="已取消"):
        payment_record(order=order, kind="deposit", amount=100, received_by=front_desk)
    assert not order.payments.exists()


def test_a_negative_discount_or_discount_above_amount_is_refused(customer, package, front_desk):
    with pytest.raises(ValidationError):
        order_create(customer=customer, package=package, by=front_desk, discount=Decimal("-1"))
    with pytest.raises(ValidationError):
        order_create(customer=customer, package=package, by=front_desk, amount=Decimal("100"),
                     discount=Decimal("200"))
    assert not Order.objects.exists()


def test_a_negative_add_on_is_refused(order, front_desk):
    with pytest.raises(ValidationError):
        stage_complete(order=order, kind="gown", by=front_desk, extra_amount=Decimal("-5"))
    order.refresh_from_db()
    assert order.extras_total == 0
    assert OrderStage.objects.get(order=order, kind="gown").status == StageStatus.PENDING


@pytest.mark.clock
def test_scheduling_into_the_past_is_refused(order, front_desk):
    with pytest.raises(ValidationError) as err:
        stage_schedule(order=order, kind="gown", at=timezone.now() - timedelta(minutes=5),
                       by=front_desk)
    assert "scheduled_at" in err.value.message_dict


@pytest.mark.clock
def test_rescheduling_keeps_the_history(order, front_desk):
    first = timezone.now() + timedelta(days=1)
    second = first + timedelta(days=3)
    stage_schedule(order=order, kind="gown", at=first, by=front_desk)
    stage_schedule(order=order, kind="gown", at=second, by=front_desk, note="客户出差")
    events = list(StageEvent.objects.filter(stage__order=order, stage__kind="gown")
                  .values_list("action", "scheduled_at"))
    assert events == [("scheduled", first), ("rescheduled", second)]


def test_cancelling_twice_is_refused(order, front_desk):
    order_cancel(order=order, by=front_desk, reason="客户取消")
    with pytest.raises(TransitionNotAllowed):
        order_cancel(order=order, by=front_desk, reason="再次取消")


def test_an_order_belongs_to_its_customers_store(store, other_store, package, front_desk):
    customer = CustomerFactory(store=other_store)
    order = order_create(customer=customer, package=package, by=front_desk)
    assert order.store == other_store
