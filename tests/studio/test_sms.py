"""The one SMS outbox: queued first, sent on commit, retried on a gateway error, never lost."""
import pytest
from django.urls import reverse

from studio.models import SmsMessage, SmsStatus
from studio.sms import MAX_ATTEMPTS, SmsSendError, sms_queue, sms_resend_queued, sms_send

pytestmark = pytest.mark.django_db


class FailingSender:
    name, label, needs_template = "failing", "a gateway that is down", False

    def send(self, message):
        raise SmsSendError("gateway timeout")


def test_a_message_is_kept_in_the_outbox_and_sent_on_commit(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        message = sms_queue(mobile="13812345678", body="明天拍摄请带好身份证", purpose="reminder")
    message.refresh_from_db()
    assert (message.status, message.attempts) == (SmsStatus.SENT, 1)


@pytest.mark.clock
def test_a_failing_gateway_leaves_the_message_queued_for_a_retry_after_its_backoff(settings):
    from datetime import timedelta

    from django.utils import timezone

    settings.SMS_SENDER = "tests.studio.test_sms.FailingSender"
    message = sms_queue(mobile="13812345678", body="x")
    now = timezone.now()
    sms_send(message_id=message.pk, now=now)
    message.refresh_from_db()
    assert (message.status, message.attempts, message.error, message.send_after) == (
        SmsStatus.QUEUED, 1, "gateway timeout", now + timedelta(minutes=1))
    assert message.pk not in sms_resend_queued(now=now + timedelta(seconds=59))
    assert message.pk in sms_resend_queued(now=now + timedelta(minutes=1))


def test_a_message_is_given_up_after_the_last_attempt(settings):
    settings.SMS_SENDER = "tests.studio.test_sms.FailingSender"
    message = sms_queue(mobile="13812345678", body="x")
    SmsMessage.objects.filter(pk=message.pk).update(attempts=MAX_ATTEMPTS - 1)
    sms_send(message_id=message.pk)
    message.refresh_from_db()
    assert message.status == SmsStatus.FAILED


def test_a_sent_message_is_not_sent_twice(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        message = sms_queue(mobile="13812345678", body="x")
    sms_send(message_id=message.pk)  # a redelivered task
    message.refresh_from_db()
    assert message.attempts == 1


@pytest.mark.clock
def test_the_sweep_finds_messages_a_lost_task_left_queued():
    from datetime import timedelta

    from django.utils import timezone

    message = sms_queue(mobile="13812345678", body="x")  # on_commit never ran: task lost
    assert sms_resend_queued(now=timezone.now() + timedelta(minutes=10)) == [message.pk]


def test_the_outbox_page_shows_the_store_messages_masked(client, supervisor, store, other_store):
    SmsMessage.objects.create(mobile="13812345678", body="本店", store_id=store.pk)
    SmsMessage.objects.create(mobile="13912345678", body="别家", store_id=other_store.pk)
    client.force_login(supervisor)
    html = client.get(reverse("sms_outbox")).content.decode()
    assert "本店" in html and "别家" not in html
    assert "138****5678" in html and "13812345678" not in html


def test_a_specialist_has_no_outbox(client, specialist):
    client.force_login(specialist)
    assert client.get(reverse("sms_outbox")).status_code == 403


def test_a_message_with_a_dedupe_key_is_queued_once():
    assert sms_queue(mobile="13812345678", body="明天拍摄", dedupe_key="reminder:1") is not None
    assert sms_queue(mobile="13812345678", body="明天拍摄", dedupe_key="reminder:1") is None
    assert SmsMessage.objects.count() == 1


def test_a_retry_after_the_gateway_recovers_delivers_the_message(settings):
    settings.SMS_SENDER = "tests.studio.test_sms.FailingSender"
    message = sms_queue(mobile="13812345678", body="明天拍摄")
    sms_send(message_id=message.pk)
    settings.SMS_SENDER = "studio.sms.OutboxSender"  # the gateway is back: the retry sends it
    SmsMessage.objects.filter(pk=message.pk).update(send_after=None)  # its backoff is over
    sms_send(message_id=message.pk)
    message.refresh_from_db()
    assert (message.status, message.attempts, message.error) == (SmsStatus.SENT, 2, "")
