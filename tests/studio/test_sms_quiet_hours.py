"""SMS keeps quiet hours (issue 17, item 7): a message to a customer queued in the store's quiet
hours (callbacks' policy, default 12:00-14:00 and 21:00-09:00) waits in the outbox with its
send time and the beat sweep sends it then; only a one-time code or a message the customer just
asked for (`immediate=True`) goes at once."""
from datetime import date

import pytest
from django.urls import reverse

from callbacks.models import CallbackPolicy
from callbacks.services import callback_send_sms
from studio.models import SmsMessage, SmsStatus
from studio.sms import sms_queue, sms_resend_queued, sms_send
from studio.tasks import resend_queued_sms_task
from tests.callbacks.factories import CallbackTaskFactory
from tests.clock import local_at
from tests.customers.factories import CustomerFactory

pytestmark = [pytest.mark.django_db, pytest.mark.sms_quiet_hours]
DAY = date(2026, 12, 7)


@pytest.fixture
def task(store, specialist):
    customer = CustomerFactory(store=store, assigned_to=specialist)
    return CallbackTaskFactory(customer=customer, triggered_at=local_at("10:00", day=DAY),
                               due_at=local_at("16:00", day=DAY, days=2))


def test_a_thank_you_sms_at_22_35_waits_until_9_the_next_morning(
        task, specialist, time_machine, django_capture_on_commit_callbacks):
    time_machine.move_to(local_at("22:35", day=DAY), tick=False)
    with django_capture_on_commit_callbacks(execute=True):
        message = callback_send_sms(task=task, template="thanks", by=specialist)
    message.refresh_from_db()
    assert (message.status, message.send_after) == (SmsStatus.QUEUED,
                                                    local_at("09:00", day=DAY, days=1))
    sms_send(message_id=message.pk)  # a task that runs early (a redelivery) does not send it
    message.refresh_from_db()
    assert (message.status, message.attempts) == (SmsStatus.QUEUED, 0)
    assert sms_resend_queued(now=local_at("08:59", day=DAY, days=1)) == []
    time_machine.move_to(local_at("09:00", day=DAY, days=1), tick=False)
    assert resend_queued_sms_task() == 1  # the beat sweep; the eager task sends it
    message.refresh_from_db()
    assert (message.status, message.sent_at) == (SmsStatus.SENT, local_at("09:00", day=DAY,
                                                                           days=1))


def test_in_the_daytime_the_sms_goes_at_once(task, specialist, time_machine,
                                             django_capture_on_commit_callbacks):
    time_machine.move_to(local_at("10:00", day=DAY), tick=False)
    with django_capture_on_commit_callbacks(execute=True):
        message = callback_send_sms(task=task, template="survey", by=specialist)
    message.refresh_from_db()
    assert (message.status, message.send_after) == (SmsStatus.SENT, None)


def test_the_stores_own_quiet_hours_count(store, time_machine):
    CallbackPolicy.objects.create(store=store, quiet_hours="19:30-08:00")
    time_machine.move_to(local_at("12:30", day=DAY), tick=False)  # quiet by default, not here
    assert sms_queue(mobile="13812345678", body="x", store_id=store.pk).send_after is None
    time_machine.move_to(local_at("20:00", day=DAY), tick=False)
    message = sms_queue(mobile="13812345678", body="x", store_id=store.pk)
    assert message.send_after == local_at("08:00", day=DAY, days=1)


def test_a_one_time_code_goes_at_once_in_quiet_hours(store, time_machine,
                                                    django_capture_on_commit_callbacks):
    time_machine.move_to(local_at("23:00", day=DAY), tick=False)
    with django_capture_on_commit_callbacks(execute=True):
        message = sms_queue(mobile="13812345678", body="验证码 123456", store_id=store.pk,
                            purpose="portal:code", immediate=True)
    message.refresh_from_db()
    assert (message.status, message.send_after) == (SmsStatus.SENT, None)


def test_the_outbox_shows_when_a_held_message_goes(client, supervisor, store, time_machine):
    time_machine.move_to(local_at("22:35", day=DAY), tick=False)
    sms_queue(mobile="13812345678", body="感谢", store_id=store.pk, purpose="callback:thanks")
    client.force_login(supervisor)
    html = client.get(reverse("sms_outbox")).content.decode()
    assert 'data-testid="send-after"' in html and "2026-12-08 09:00" in html
    assert SmsMessage.objects.get().status == SmsStatus.QUEUED
