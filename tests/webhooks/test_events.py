"""Each event is emitted by its service, inside its transaction, with the documented payload
(webhooks.payloads): one test per event."""
from datetime import timedelta

import pytest
from django.utils import timezone

from callbacks.models import CallbackPurpose, CallbackTask
from callbacks.services import callback_record
from complaints.services import complaint_judge, complaint_register
from customers.services import customer_register
from membership.services import member_card_issue, points_adjust
from orders.services import order_cancel, order_create, payment_record, stage_complete
from webhooks.models import DeliveryStatus, WebhookDelivery, WebhookEndpoint

pytestmark = pytest.mark.django_db

ISO = "+08:00"  # times in the studio's zone, with its offset


@pytest.fixture
def hook(store, receiver):
    """hook(event): an endpoint of S01 for that event only, at the receiver."""

    def make(event: str) -> WebhookEndpoint:
        return WebhookEndpoint.objects.create(store=store, url=receiver.url, events=[event])

    return make


def _sent(receiver, event: str) -> dict:
    """The one request for `event`: its envelope, checked, and its data."""
    [request] = [r for r in receiver.requests if r.headers["X-Studio-Event"] == event]
    body = request.json
    assert set(body) == {"id", "event", "created_at", "store", "data"}
    assert body["event"] == event and body["store"]["code"] == "S01"
    assert body["created_at"].endswith(ISO)
    delivery = WebhookDelivery.objects.get(event_id=body["id"])
    assert delivery.status == DeliveryStatus.DELIVERED
    return body["data"]


def _customer_ref(customer) -> dict:
    return {"id": customer.pk, "name": customer.name, "title": customer.title,
            "mobile": customer.mobile[:3] + "****" + customer.mobile[-4:]}


def test_customer_created(store, front_desk, hook, receiver, django_capture_on_commit_callbacks):
    hook("customer.created")
    with django_capture_on_commit_callbacks(execute=True):
        customer = customer_register(store=store, by=front_desk, name="王小美",
                                     mobile="13812345678")
    data = _sent(receiver, "customer.created")
    assert data == {"id": customer.pk, "name": "王小美", "title": customer.title,
                    "mobile": "138****5678", "source": customer.source, "assigned_to": None,
                    "created_at": data["created_at"]}
    assert "13812345678" not in receiver.requests[0].body.decode()


def test_order_created(customer, package, front_desk, hook, receiver,
                       django_capture_on_commit_callbacks):
    hook("order.created")
    with django_capture_on_commit_callbacks(execute=True):
        order = order_create(customer=customer, package=package, by=front_desk,
                             amount="6999.00", discount="200", deposit="1000")
    data = _sent(receiver, "order.created")
    assert data == {"id": order.pk, "customer": _customer_ref(customer), "package": package.name,
                    "amount": "6999.00", "discount": "200.00", "paid_total": "1000.00",
                    "status": "active", "current_stage": order.current_stage,
                    "cancelled_reason": "", "created_at": data["created_at"]}


def test_order_cancelled(order, front_desk, manager, hook, receiver,
                         django_capture_on_commit_callbacks):
    hook("order.cancelled")
    with django_capture_on_commit_callbacks(execute=True):
        order_cancel(order=order, by=manager, reason="客户改期到明年")
    data = _sent(receiver, "order.cancelled")
    assert (data["id"], data["status"], data["cancelled_reason"]) == (
        order.pk, "cancelled", "客户改期到明年")
    assert data["customer"] == _customer_ref(order.customer)


def test_payment_recorded(order, front_desk, hook, receiver,
                          django_capture_on_commit_callbacks):
    hook("payment.recorded")
    with django_capture_on_commit_callbacks(execute=True):
        payment = payment_record(order=order, kind="deposit", amount="500", method="wechat",
                                 received_by=front_desk)
    data = _sent(receiver, "payment.recorded")
    assert data == {"id": payment.pk, "order": order.pk, "customer": _customer_ref(order.customer),
                    "kind": "deposit", "amount": "500.00", "method": "wechat",
                    "paid_at": data["paid_at"], "receipt": payment.receipt.number}
    assert data["paid_at"].endswith(ISO)


def test_stage_completed(order, front_desk, hook, receiver, django_capture_on_commit_callbacks):
    hook("stage.completed")
    with django_capture_on_commit_callbacks(execute=True):
        stage = stage_complete(order=order, kind="gown", by=front_desk)
    data = _sent(receiver, "stage.completed")
    assert data == {"id": stage.pk, "order": order.pk, "customer": _customer_ref(order.customer),
                    "kind": "gown", "status": "done", "completed_at": data["completed_at"],
                    "order_status": "active"}


def test_callback_completed(customer, store, specialist, hook, receiver,
                            django_capture_on_commit_callbacks):
    hook("callback.completed")
    now = timezone.now()
    task = CallbackTask.objects.create(customer=customer, store=store, triggered_at=now,
                                       purpose=CallbackPurpose.POST_SERVICE,
                                       due_at=now + timedelta(days=2))
    with django_capture_on_commit_callbacks(execute=True):
        callback_record(task=task, by=specialist, reached=False)  # not reached: not completed
    assert not receiver.requests
    with django_capture_on_commit_callbacks(execute=True):
        record = callback_record(task=task, by=specialist, reached=True, satisfaction="satisfied",
                                 score=5)
    data = _sent(receiver, "callback.completed")
    assert data == {"id": task.pk, "record": record.pk, "customer": _customer_ref(customer),
                    "purpose": "post_service", "channel": "phone", "satisfaction": "satisfied",
                    "score": 5, "wants_complaint": False, "completed_at": data["completed_at"]}


def test_complaint_registered(store, customer, front_desk, hook, receiver,
                              django_capture_on_commit_callbacks):
    hook("complaint.registered")
    with django_capture_on_commit_callbacks(execute=True):
        complaint = complaint_register(store=store, by=front_desk, customer=customer,
                                       channel="phone", category="product_quality",
                                       content="相册有划痕")
    data = _sent(receiver, "complaint.registered")
    assert data == {"id": complaint.pk, "reference": complaint.reference,
                    "customer": _customer_ref(customer), "order": None, "channel": "phone",
                    "category": "product_quality", "severity": complaint.severity,
                    "status": "registered", "received_at": data["received_at"]}
    assert "相册有划痕" not in receiver.requests[0].body.decode()  # the content stays in the app


def test_complaint_closed(store, customer, front_desk, supervisor, hook, receiver,
                          django_capture_on_commit_callbacks):
    hook("complaint.closed")
    complaint = complaint_register(store=store, by=front_desk, customer=customer,
                                   channel="phone", category="product_quality", content="划痕")
    assert not receiver.requests  # registered: not this endpoint's event
    with django_capture_on_commit_callbacks(execute=True):
        complaint_judge(complaint=complaint, by=supervisor, valid=False, reason="误会",
                        explanation="已向客户解释")
    data = _sent(receiver, "complaint.closed")
    assert (data["id"], data["status"], data["reference"]) == (
        complaint.pk, "rejected", complaint.reference)


def test_points_changed(customer, front_desk, supervisor, hook, receiver,
                        django_capture_on_commit_callbacks):
    account = member_card_issue(customer=customer, number="VIP001", by=front_desk).account
    hook("points.changed")
    with django_capture_on_commit_callbacks(execute=True):
        entry = points_adjust(account=account, points=50, by=supervisor, reason="补录")
    data = _sent(receiver, "points.changed")
    assert data == {"id": entry.pk, "member": account.pk, "customer": _customer_ref(customer),
                    "kind": "adjust", "points": 50, "balance_after": entry.balance_after,
                    "order": None, "at": data["at"]}


def test_an_event_of_a_failed_service_is_not_sent(order, front_desk, hook, receiver,
                                                  django_capture_on_commit_callbacks):
    """Refused (a refund above what was paid): the transaction rolls back with its delivery."""
    from django.core.exceptions import ValidationError

    hook("payment.recorded")
    with pytest.raises(ValidationError), django_capture_on_commit_callbacks(execute=True):
        payment_record(order=order, kind="refund", amount="99999", received_by=front_desk)
    assert not WebhookDelivery.objects.exists() and not receiver.requests
