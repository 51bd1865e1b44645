"""The one SMS outbox and its pluggable sender.

Services call `sms_queue(...)`: the message is a row first (never lost), then a task sends it
on commit; a beat sweep resends what is still queued. The sender is chosen by the SMS_SENDER
setting; the default keeps messages in the outbox (the UI shows them) without a gateway.

Quiet hours: a message to a customer queued when the store does not disturb its customers waits
(`send_after`, shown in the outbox) and the beat sweep sends it at the next allowed time. The
rule is the store's callback policy; studio knows no app, so the SMS_NOT_BEFORE setting names it
(callbacks.services.sms_not_before). Only one-time codes and messages a customer has just asked
for are queued with `immediate=True`.
"""
import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from functools import partial

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.module_loading import import_string

from .models import SmsMessage, SmsStatus

logger = logging.getLogger(__name__)
MAX_ATTEMPTS = 5


class SmsSendError(Exception):
    """The gateway did not take the message; it stays queued and is tried again."""


class OutboxSender:
    """Default sender: no gateway; the message is recorded as delivered to the outbox."""

    def send(self, message: SmsMessage) -> str:
        logger.info("sms to %s****%s recorded in the outbox", message.mobile[:3], message.mobile[-4:])
        return f"outbox-{message.pk}"


def get_sender():
    return import_string(getattr(settings, "SMS_SENDER", "studio.sms.OutboxSender"))()


def _not_before_rule() -> Callable[..., datetime | None] | None:
    path = getattr(settings, "SMS_NOT_BEFORE", "")
    return import_string(path) if path else None


def sms_not_before(*, store_id: int | None, now: datetime) -> datetime | None:
    """When a message to a customer of the store queued `now` may go: None for at once, else
    the end of the store's quiet hours (the SMS_NOT_BEFORE rule)."""
    rule = _not_before_rule()
    return rule(store_id=store_id, now=now) if rule is not None and store_id is not None else None


def sms_queue(*, mobile: str, body: str, purpose: str = "", store_id: int | None = None,
              customer_id: int | None = None, by=None, dedupe_key: str | None = None,
              immediate: bool = False, now: datetime | None = None) -> SmsMessage | None:
    """Put a message in the outbox and send it once the transaction commits — or, queued in
    the store's quiet hours, at the next allowed time (`send_after`, sent by the beat sweep),
    unless `immediate` (a one-time code, a message the customer just asked for). With a
    `dedupe_key` (a sweep's reminder), a message already queued under it is not queued again:
    returns None."""
    from .tasks import enqueue, send_sms_task

    send_after = None if immediate else sms_not_before(store_id=store_id,
                                                       now=now or timezone.now())
    try:
        with transaction.atomic():
            message = SmsMessage.objects.create(
                mobile=mobile, body=body, purpose=purpose, store_id=store_id,
                customer_id=customer_id, created_by=by, dedupe_key=dedupe_key,
                send_after=send_after)
    except IntegrityError:
        if dedupe_key is None:
            raise
        return None
    if send_after is not None:
        return message  # never a Celery ETA (DESIGN): the row waits for the sweep
    # A broker that is down or hung costs the request at most ~1 s: the row stays queued and
    # resend_queued_sms_task sends it later.
    transaction.on_commit(partial(enqueue, send_sms_task, message.pk))
    return message


def sms_send(*, message_id: int) -> SmsMessage:
    """Send one queued message through the configured sender. Raises SmsSendError (after
    recording the attempt) so that the task retries; gives up after MAX_ATTEMPTS."""
    failure: SmsSendError | None = None
    with transaction.atomic():
        message = SmsMessage.objects.select_for_update().get(pk=message_id)
        if message.status != SmsStatus.QUEUED:
            return message  # already sent, or given up: a redelivered task does nothing
        if message.send_after is not None and message.send_after > timezone.now():
            return message  # waits for the end of quiet hours; the sweep sends it then
        message.attempts += 1
        try:
            message.provider_id = get_sender().send(message)
        except SmsSendError as exc:
            failure = exc
            message.error = str(exc)[:200]
            if message.attempts >= MAX_ATTEMPTS:
                message.status = SmsStatus.FAILED
        else:
            message.status, message.sent_at, message.error = SmsStatus.SENT, timezone.now(), ""
        message.save(update_fields=["attempts", "provider_id", "status", "sent_at", "error"])
    if failure is not None and message.status == SmsStatus.QUEUED:
        raise failure  # recorded above; the caller's retry tries again
    return message


def sms_resend_queued(*, now: datetime, older_than: timedelta = timedelta(minutes=5)) -> list[int]:
    """Ids of messages to send now: still queued after `older_than` (a lost task, a broker
    outage), or held for quiet hours whose time has come."""
    return list(SmsMessage.objects.filter(status=SmsStatus.QUEUED).filter(
        Q(send_after__isnull=True, created_at__lt=now - older_than)
        | Q(send_after__lte=now)).values_list("pk", flat=True))
