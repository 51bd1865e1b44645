"""预约确认 (issue 19): a booking made at the desk tells the customer, through the one outbox,
with the store's template when a gateway needs one."""
from datetime import datetime

import pytest
from django.utils import timezone

from frontdesk.schedule import booking_create
from messaging.models import MessageTemplate
from orders.models import StageKind
from studio.models import SmsMessage, SmsStatus

pytestmark = pytest.mark.django_db
NOW = timezone.make_aware(datetime(2026, 3, 1, 10, 0))


def _book(order, front_desk, **kwargs):
    return booking_create(stage=order.stages.get(kind=StageKind.SHOOT),
                          starts_at=timezone.make_aware(datetime(2026, 3, 12, 14, 0)),
                          by=front_desk, now=NOW, **kwargs)


def test_a_booking_with_notify_queues_the_confirmation_with_its_parameters(order, front_desk):
    booking = _book(order, front_desk, notify=True)
    message = SmsMessage.objects.get(purpose="booking")
    assert message.customer_id == booking.stage.order.customer_id
    assert "3月12日 14:00" in message.body and "拍摄" in message.body


def test_a_booking_without_notify_sends_nothing(order, front_desk):
    _book(order, front_desk)
    assert not SmsMessage.objects.filter(purpose="booking").exists()


def test_on_a_gateway_the_store_template_and_its_parameters_are_used(order, front_desk, settings):
    settings.SMS_SENDER = "messaging.gateways.aliyun.AliyunSmsSender"
    MessageTemplate.objects.create(store=order.store, purpose="booking", channel="sms",
                                   code="SMS_100", text="${customer}您好，${date} ${time}见。")
    settings.SMS_SENDER = "studio.sms.OutboxSender"  # the row is written; nothing is sent here
    _book(order, front_desk, notify=True)
    message = SmsMessage.objects.get(purpose="booking")
    assert message.template_code == "SMS_100"
    assert message.params == [["customer", str(order.customer)], ["date", "3月12日"],
                              ["time", "14:00"]]
    assert message.body == f"{order.customer}您好，3月12日 14:00见。"


def test_without_a_template_on_a_gateway_the_booking_stands_and_the_outbox_says_why(
        order, front_desk, settings):
    settings.SMS_SENDER = "messaging.gateways.aliyun.AliyunSmsSender"
    booking = _book(order, front_desk, notify=True)
    assert booking.pk is not None
    message = SmsMessage.objects.get(purpose="booking")
    assert message.status == SmsStatus.FAILED and "预约确认" in message.error
