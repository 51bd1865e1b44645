"""The factories build what the services would: each row as its service makes it."""
from decimal import Decimal

import pytest
from django.utils import timezone

from callbacks.models import CallbackPurpose, CallbackStatus
from callbacks.quiet_hours import is_quiet
from callbacks.services import policy_for
from complaints.models import Complaint, ComplaintEvent, ComplaintStatus
from orders.models import Order, StageKind, StageStatus
from staff.models import Role

from .callbacks.factories import CallbackTaskFactory
from .complaints.factories import ComplaintFactory
from .customers.factories import CustomerFactory
from .membership.factories import MemberAccountFactory
from .orders.factories import OrderFactory, PaymentFactory
from .staff.factories import StoreFactory


def test_an_order_and_a_complaint_can_be_built_without_the_database():
    store = StoreFactory.build()
    order = OrderFactory.build(customer=CustomerFactory.build(store=store))
    assert (order.pk, order.store, order.amount) == (None, store, order.package.price)
    complaint = ComplaintFactory.build(store=store, customer=order.customer)
    assert (complaint.pk, complaint.store, complaint.customer) == (None, store, order.customer)


@pytest.mark.django_db
def test_an_order_is_booked_by_a_front_desk_of_its_store_with_its_stages():
    order = OrderFactory()
    assert order.store == order.customer.store
    assert order.consultant.staff_profile.role == Role.FRONT_DESK
    assert order.consultant.staff_profile.store == order.store
    stages = list(order.stages.order_by("sequence"))
    assert [s.kind for s in stages] == order.package.stage_kinds
    assert (stages[0].status, order.current_stage) == (StageStatus.DONE, stages[1].kind)
    assert stages[0].kind == StageKind.ORDER


@pytest.mark.django_db
def test_a_payment_goes_into_the_orders_ledger():
    payment = PaymentFactory(amount=Decimal("800.00"))
    order = Order.objects.get(pk=payment.order_id)
    assert (payment.store_id, order.paid_total) == (order.store_id, Decimal("800.00"))


@pytest.mark.django_db
def test_a_complaint_is_registered_with_its_reference_deadline_and_history():
    complaint = ComplaintFactory()
    assert complaint.status == ComplaintStatus.REGISTERED and complaint.reference
    assert complaint.step_due_at > complaint.received_at
    assert complaint.customer.store == complaint.store
    assert list(ComplaintEvent.objects.filter(complaint=complaint).values_list("action", flat=True)
                ) == ["register"]
    assert Complaint.objects.count() == 1


@pytest.mark.django_db
def test_a_callback_task_follows_the_callback_rules():
    customer = CustomerFactory(assigned_to=None)
    task = CallbackTaskFactory(customer=customer)
    assert (task.purpose, task.status) == (CallbackPurpose.HOLIDAY, CallbackStatus.PENDING)
    assert task.store == customer.store == task.campaign.store
    assert task.assigned_to is None  # the customer's specialist: none here
    assert not is_quiet(task.due_at, policy_for(customer.store_id).quiet_periods)
    late = CallbackTaskFactory(customer=customer, purpose=CallbackPurpose.COMPLAINT,
                               due_at=timezone.now(), status=CallbackStatus.OVERDUE)
    assert (late.campaign, late.status) == (None, CallbackStatus.OVERDUE)


@pytest.mark.django_db
def test_a_member_gets_a_card_and_the_points_given():
    account = MemberAccountFactory(points=300)
    assert account.points_balance == 300
    assert account.cards.get().number.startswith("VIP")
    assert account.store == account.customer.store
