"""The one outbox for messages to customers, and the sender interface behind it.

Services queue through `messaging.services.message_queue` (a purpose, the store's template and its
parameters), which calls `sms_queue` here: the message is a row first (never lost), then a task
sends it on commit; a beat sweep sends what is still due. The row is the truth:

- **Exactly once.** `sms_send` locks the row and sends only a queued one; a redelivered task finds
  it sent. An attempt that timed out may have reached the gateway, so the row is marked
  `in_doubt` and the next attempt asks the gateway first (`SmsSender.lookup`, by our own id).
- **Retries with backoff.** A gateway error (throttled, 5xx, timeout) keeps the row queued until
  `send_after` (BACKOFF); after MAX_ATTEMPTS, or at once for a refusal no retry can cure (a
  template the gateway does not know, a number it rejects), the row ends failed with the reason.
- **Quiet hours.** A message to a customer queued while the store does not disturb its customers
  waits (`send_after`) for the sweep. The rule is the store's callback policy; studio knows no app,
  so the SMS_NOT_BEFORE setting names it (callbacks.services.sms_not_before).
- **Per-mobile rate limits** (SMS_RATE_LIMITS): a message over the limit waits for the window to
  free; one-time codes, which must not wait, are refused when asked for (`sms_rate_limited_until`).
- **Opt-out.** A marketing message is never sent to a mobile in SmsOptOut (回复TD退订).
- **Channels.** SMS through SMS_SENDER; a row for WeChat goes through WECHAT_SENDER and, when that
  fails or is not configured, falls back to SMS in the same attempt.
- **Receipts.** A gateway's delivery report turns a sent row into delivered or failed
  (`sms_receipts_apply`); where the gateway pushes none, `sms_poll_receipts` asks for them.

A sender is a class named by the setting with `name`, `label`, `needs_template` (a gateway that
sends approved templates only), `send(message) -> provider id` (raising SmsSendError, SmsInDoubt
or SmsRejected), and optionally `lookup(message) -> provider id | None` and
`poll(messages) -> [Receipt]`. The default, OutboxSender, keeps messages in the outbox.
"""
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .models import SmsChannel, SmsMessage, SmsOptOut, SmsStatus

logger = logging.getLogger(__name__)
MAX_ATTEMPTS = 5
# Wait before attempt 2, 3, 4, 5 (the beat sweep, every few minutes, sends the row when due).
BACKOFF = (timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=30), timedelta(hours=2))
# A receipt that has not come after this long is asked for (gateways keep statuses ~3 days).
POLL_AFTER, POLL_WITHIN = timedelta(minutes=10), timedelta(hours=48)


class SmsSendError(Exception):
    """The gateway did not take the message this time (throttled, 5xx, unreachable): retried."""


class SmsInDoubt(SmsSendError):
    """The gateway did not answer in time: it may have taken the message. The next attempt
    asks it first (SmsSender.lookup) and sends again only if it did not."""


class SmsRejected(Exception):
    """The gateway refused the message for good (unknown template, invalid number): no retry."""


@dataclass(frozen=True)
class Receipt:
    """A gateway's delivery report for one message, by the id the gateway gave it."""

    provider_id: str
    delivered: bool
    reason: str = ""
    at: datetime | None = None


class OutboxSender:
    """Default sender: no gateway; the message is recorded as sent to the outbox."""

    name = "outbox"
    label = gettext_lazy("发件箱（未接网关）")
    needs_template = False

    def send(self, message: SmsMessage) -> str:
        logger.info("sms to %s****%s recorded in the outbox", message.mobile[:3], message.mobile[-4:])
        return f"outbox-{message.pk}"


def get_sender(channel: str = SmsChannel.SMS):
    """The configured sender for a channel; None for WeChat when WECHAT_SENDER is not set."""
    if channel == SmsChannel.WECHAT:
        path = getattr(settings, "WECHAT_SENDER", "")
        return import_string(path)() if path else None
    return import_string(getattr(settings, "SMS_SENDER", "studio.sms.OutboxSender"))()


def _not_before_rule() -> Callable[..., datetime | None] | None:
    path = getattr(settings, "SMS_NOT_BEFORE", "")
    return import_string(path) if path else None


def sms_not_before(*, store_id: int | None, now: datetime) -> datetime | None:
    """When a message to a customer of the store queued `now` may go: None for at once, else
    the end of the store's quiet hours (the SMS_NOT_BEFORE rule)."""
    rule = _not_before_rule()
    return rule(store_id=store_id, now=now) if rule is not None and store_id is not None else None


def sms_rate_limited_until(*, mobile: str, now: datetime, purpose: str | None = None,
                           exclude_id: int | None = None) -> datetime | None:
    """When the next SMS to `mobile` may go under SMS_RATE_LIMITS ((window, count) pairs),
    or None if it may go now. Counts SMS sent — or, with `purpose` (a one-time code being
    asked for), messages of that purpose queued — within each window. One query."""
    limits = [(timedelta(seconds=seconds), count) for seconds, count in settings.SMS_RATE_LIMITS]
    if not limits:
        return None
    widest, most = max(w for w, _c in limits), max(c for _w, c in limits)
    rows = SmsMessage.objects.filter(mobile=mobile, channel=SmsChannel.SMS).exclude(pk=exclude_id)
    if purpose is None:
        times = rows.filter(sent_at__gt=now - widest).order_by("-sent_at")
        stamps = list(times.values_list("sent_at", flat=True)[:most])
    else:
        times = rows.filter(purpose=purpose, created_at__gt=now - widest).exclude(
            status=SmsStatus.FAILED).order_by("-created_at")
        stamps = list(times.values_list("created_at", flat=True)[:most])
    until = None
    for window, count in limits:
        inside = [t for t in stamps if t > now - window]
        if len(inside) >= count:
            free_at = sorted(inside, reverse=True)[count - 1] + window
            until = free_at if until is None else max(until, free_at)
    return until


def sms_opted_out(mobile: str) -> bool:
    return SmsOptOut.objects.filter(mobile=mobile).exists()


def sms_queue(*, mobile: str, body: str, purpose: str = "", store_id: int | None = None,
              customer_id: int | None = None, by=None, dedupe_key: str | None = None,
              immediate: bool = False, marketing: bool = False, template_code: str = "",
              params: list | None = None, openid: str = "", wechat_template: str = "",
              wechat_data: dict | None = None, now: datetime | None = None) -> SmsMessage | None:
    """Put a message in the outbox and send it once the transaction commits — or, queued in
    the store's quiet hours, at the next allowed time (`send_after`, sent by the beat sweep),
    unless `immediate` (a one-time code, a message the customer just asked for). With a
    `dedupe_key` (a sweep's reminder), a message already queued under it is not queued again:
    returns None. With an `openid` and a `wechat_template` it goes by WeChat, else by SMS."""
    from .tasks import enqueue, send_sms_task

    send_after = None if immediate else sms_not_before(store_id=store_id,
                                                       now=now or timezone.now())
    channel = SmsChannel.WECHAT if openid and wechat_template else SmsChannel.SMS
    try:
        with transaction.atomic():
            message = SmsMessage.objects.create(
                mobile=mobile, body=body, purpose=purpose, store_id=store_id,
                customer_id=customer_id, created_by=by, dedupe_key=dedupe_key,
                send_after=send_after, urgent=immediate, marketing=marketing, channel=channel,
                template_code=template_code, params=params or [], openid=openid,
                wechat_template=wechat_template if openid else "",
                wechat_data=(wechat_data or {}) if openid else {})
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


def _deliver(message: SmsMessage) -> tuple[str, str]:
    """Send through the row's channel: (provider id, a note for the row). A WeChat failure, or
    WeChat no longer configured, falls back to SMS here and the note says so."""
    note = ""
    if message.channel == SmsChannel.WECHAT:
        wechat = get_sender(SmsChannel.WECHAT)
        if wechat is not None:
            try:
                message.gateway = wechat.name
                return wechat.send(message), ""
            except (SmsSendError, SmsRejected) as exc:
                note = _("微信未送达（%(reason)s），已改发短信") % {"reason": exc}
        else:
            note = _("微信消息未配置，已改发短信")
        message.channel = SmsChannel.SMS
    sender = get_sender()
    message.gateway = sender.name
    if message.in_doubt and hasattr(sender, "lookup"):
        found = sender.lookup(message)  # may raise SmsSendError: asked again next time
        if found:
            return found, _("上次发送超时，网关已收到，未重发")
    return sender.send(message), note


def sms_send(*, message_id: int, now: datetime | None = None) -> SmsMessage:
    """Send one queued message through its channel's sender, once. A gateway error leaves it
    queued until its backoff ends (the sweep tries again); a refusal, or the last attempt,
    ends it failed with the reason."""
    now = now or timezone.now()
    with transaction.atomic():
        message = SmsMessage.objects.select_for_update().get(pk=message_id)
        if message.status != SmsStatus.QUEUED:
            return message  # already sent, or given up: a redelivered task does nothing
        if message.send_after is not None and message.send_after > now:
            return message  # quiet hours, backoff or a rate limit: the sweep sends it then
        fields = ["attempts", "provider_id", "status", "sent_at", "error", "send_after",
                  "in_doubt", "channel", "gateway"]
        if message.marketing and sms_opted_out(message.mobile):
            message.status, message.error = SmsStatus.FAILED, _("客户已退订营销短信（回复TD）")
            message.save(update_fields=fields)
            return message
        if not message.urgent and message.channel == SmsChannel.SMS:  # WeChat has no such limit
            free_at = sms_rate_limited_until(mobile=message.mobile, now=now, exclude_id=message.pk)
            if free_at is not None:
                message.send_after = free_at
                message.error = _("同一手机号发送过于频繁，顺延至 %(time)s") % {
                    "time": timezone.localtime(free_at).strftime("%m-%d %H:%M")}
                message.save(update_fields=fields)
                return message
        message.attempts += 1
        try:
            message.provider_id, note = _deliver(message)
        except SmsRejected as exc:
            message.status, message.error = SmsStatus.FAILED, str(exc)[:200]
        except SmsSendError as exc:
            message.in_doubt = message.in_doubt or isinstance(exc, SmsInDoubt)
            message.error = str(exc)[:200]
            if message.attempts >= MAX_ATTEMPTS:
                message.status = SmsStatus.FAILED
            else:
                message.send_after = now + BACKOFF[min(message.attempts, len(BACKOFF)) - 1]
        else:
            message.status, message.sent_at, message.error = SmsStatus.SENT, now, note[:200]
            message.in_doubt, message.send_after = False, None
        message.save(update_fields=fields)
    if message.status == SmsStatus.FAILED:
        logger.warning("sms %s failed after %s attempts: %s", message.pk, message.attempts,
                       message.error)
    return message


def sms_resend_queued(*, now: datetime, older_than: timedelta = timedelta(minutes=5)) -> list[int]:
    """Ids of messages to send now: still queued after `older_than` (a lost task, a broker
    outage), or held (quiet hours, backoff, a rate limit) whose time has come."""
    return list(SmsMessage.objects.filter(status=SmsStatus.QUEUED).filter(
        Q(send_after__isnull=True, created_at__lt=now - older_than)
        | Q(send_after__lte=now)).values_list("pk", flat=True))


def sms_receipts_apply(*, gateway: str, receipts: Iterable[Receipt]) -> int:
    """A gateway's delivery reports: each sent message it names becomes delivered or failed
    (with the gateway's reason). A report for a message not sent through this gateway, or one
    already final, changes nothing. Returns how many rows changed."""
    by_id = {r.provider_id: r for r in receipts if r.provider_id}
    changed = 0
    rows = SmsMessage.objects.select_for_update().filter(
        gateway=gateway, provider_id__in=list(by_id), status=SmsStatus.SENT)
    with transaction.atomic():
        for message in rows:
            receipt = by_id[message.provider_id]
            if receipt.delivered:
                message.status, message.delivered_at = SmsStatus.DELIVERED, receipt.at or timezone.now()
                message.error = ""
            else:
                message.status = SmsStatus.FAILED
                message.error = (receipt.reason or _("未送达"))[:200]
            message.save(update_fields=["status", "delivered_at", "error"])
            changed += 1
    return changed


def sms_poll_receipts(*, now: datetime, limit: int = 200) -> int:
    """Where the gateway's receipts do not come (no callback configured), ask for them: sent
    messages with no final status after POLL_AFTER, within POLL_WITHIN. Returns rows changed."""
    sender = get_sender()
    if not hasattr(sender, "poll"):
        return 0
    waiting = list(SmsMessage.objects.filter(
        gateway=sender.name, status=SmsStatus.SENT, sent_at__lt=now - POLL_AFTER,
        sent_at__gte=now - POLL_WITHIN).order_by("sent_at")[:limit])
    if not waiting:
        return 0
    try:
        receipts = sender.poll(waiting)
    except SmsSendError:
        logger.warning("polling %s for receipts failed; tried again next time", sender.name,
                       exc_info=True)
        return 0
    return sms_receipts_apply(gateway=sender.name, receipts=receipts)


def sms_opt_out(*, mobile: str, source: str = SmsOptOut.Source.REPLY, text: str = "",
                by=None) -> SmsOptOut:
    """Record that a mobile wants no more marketing messages (idempotent)."""
    opt_out, _created = SmsOptOut.objects.get_or_create(
        mobile=mobile, defaults={"source": source, "text": text[:70], "created_by": by})
    return opt_out


def sms_opt_in(*, mobile: str) -> int:
    """The customer asked for marketing messages again: the opt-out is removed."""
    return SmsOptOut.objects.filter(mobile=mobile).delete()[0]
