"""Webhooks: emitting events, sending them signed, retrying, and managing the endpoints.

`webhook_emit` is called by the apps above (one line in each service, inside its transaction):
one query finds the store's active endpoints; for each one subscribed to the event it writes a
delivery row (the outbox), and on commit the rows are sent through `studio.tasks.enqueue`
(never waiting on a sick broker). Beat's sweep (`sweep_webhooks_task`) sends what is due: a
lost message, a retry whose time has come, a worker that died mid-send (its lease ran out).

Sending: POST of the JSON envelope (webhooks.payloads) with `X-Studio-Signature: sha256=<hex>`,
the HMAC-SHA256 of "{timestamp}.{body}" with the endpoint's secret, and `X-Studio-Timestamp`.
- 2xx: delivered.
- A timeout, a connection error, 408, 429 or 5xx: retried after RETRY_DELAYS (1 min, 5 min,
  30 min, 2 h, 6 h, 12 h: about 21 hours in all), then failed with the last reason.
- Any other answer (a 3xx — redirects are not followed — or a 4xx): failed at once with the
  answer: the receiver refused the request and sending it again unchanged would not help. The
  delivery log's 重新发送 queues a failed delivery again, with the same event id.
A delivery is claimed by a conditional UPDATE (queued, due) that pushes its next attempt a
lease ahead: two workers given the same delivery send it once, and no transaction is held open
during the HTTP request (SQLite writers would wait on it).
"""
import hashlib
import hmac
import json
import logging
import socket
import time
import urllib.error
import urllib.request
import uuid
from datetime import datetime, timedelta
from functools import partial

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from studio.errors import DomainError

from .models import PING, DeliveryStatus, WebhookDelivery, WebhookEndpoint, url_problem
from .payloads import payload_data, payload_envelope

logger = logging.getLogger(__name__)

TIMEOUT = 5.0  # seconds, to connect and to answer
LEASE = timedelta(seconds=60)  # longer than one attempt can take
RETRY_DELAYS = (timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=30),
                timedelta(hours=2), timedelta(hours=6), timedelta(hours=12))
MAX_ATTEMPTS = len(RETRY_DELAYS) + 1
RETRIED_CODES = {408, 429}
USER_AGENT = "StudioWebhooks/1.0"


# --- emitting -----------------------------------------------------------------------------------

def webhook_emit(*, event: str, store_id: int, data) -> list[int]:
    """Queue `event` for every active endpoint of the store subscribed to it, inside the
    caller's transaction, and send the rows once it commits. `data` is the object the event is
    about (rendered by the event's serializer, webhooks.payloads.PAYLOADS, only when someone
    subscribes) or a dict. One query when no endpoint wants it. Returns the deliveries' ids."""
    endpoints = [endpoint for endpoint in WebhookEndpoint.objects.filter(
        store_id=store_id, is_active=True).select_related("store") if endpoint.subscribes(event)]
    if not endpoints:
        return []
    return _queue(event=event, endpoints=endpoints, data=payload_data(event, data))


def _queue(*, event: str, endpoints: list[WebhookEndpoint], data: dict) -> list[int]:
    event_id = uuid.uuid4()
    payload = payload_envelope(event_id=event_id, event=event, store=endpoints[0].store,
                               data=data)
    now = timezone.now()
    rows = WebhookDelivery.objects.bulk_create(
        WebhookDelivery(endpoint=endpoint, store_id=endpoint.store_id, event_id=event_id,
                        event=event, payload=payload, next_attempt_at=now)
        for endpoint in endpoints)
    ids = [row.pk for row in rows]
    transaction.on_commit(partial(_send_later, ids))
    return ids


def _send_later(ids: list[int]) -> None:
    from studio.tasks import enqueue

    from .tasks import deliver_webhook_task

    for delivery_id in ids:
        enqueue(deliver_webhook_task, delivery_id)


# --- sending ------------------------------------------------------------------------------------

def webhook_signature(*, secret: str, timestamp: int | str, body: bytes) -> str:
    """`sha256=<hex>`: HMAC-SHA256 of "{timestamp}.{body}" with the endpoint's secret."""
    message = f"{timestamp}.".encode() + body
    return "sha256=" + hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def webhook_body(payload: dict) -> bytes:
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """A redirect is an answer, not a new address to send the customer's data to."""

    def redirect_request(self, *args, **kwargs):
        return None


_opener = urllib.request.build_opener(_NoRedirects)


def _post(delivery: WebhookDelivery) -> tuple[int | None, str, bool]:
    """(response code, reason, retry?) of one POST; a 2xx has no reason."""
    endpoint = delivery.endpoint
    body = webhook_body(delivery.payload)
    timestamp = int(time.time())
    request = urllib.request.Request(endpoint.url, data=body, method="POST", headers={
        "Content-Type": "application/json; charset=utf-8", "User-Agent": USER_AGENT,
        "X-Studio-Event": delivery.event, "X-Studio-Delivery": str(delivery.pk),
        "X-Studio-Event-Id": str(delivery.event_id), "X-Studio-Timestamp": str(timestamp),
        "X-Studio-Signature": webhook_signature(secret=endpoint.secret, timestamp=timestamp,
                                                body=body)})
    try:
        with _opener.open(request, timeout=TIMEOUT) as response:
            return response.status, "", False
    except urllib.error.HTTPError as exc:
        code = exc.code
        try:
            text = exc.read(200).decode("utf-8", "replace").strip()
        except Exception:  # the body is only the reason's detail
            text = ""
        finally:
            exc.close()
        reason = f"HTTP {code}" + (f"：{text}" if text else "")
        return code, reason, code in RETRIED_CODES or code >= 500
    except TimeoutError:
        return None, _("超时：%(seconds)d 秒内没有回复") % {"seconds": TIMEOUT}, True
    except urllib.error.URLError as exc:
        if isinstance(exc.reason, TimeoutError | socket.timeout):
            return None, _("超时：%(seconds)d 秒内没有回复") % {"seconds": TIMEOUT}, True
        return None, _("连接失败：%(reason)s") % {"reason": exc.reason}, True
    except (OSError, ValueError) as exc:  # reset by the peer, a malformed answer
        return None, _("连接失败：%(reason)s") % {"reason": exc}, True


def webhook_deliver(*, delivery_id: int) -> WebhookDelivery | None:
    """Send one queued, due delivery and record the outcome (see the module's docstring).
    A delivery not queued, not due, or claimed by another worker is left as it is."""
    now = timezone.now()
    claimed = WebhookDelivery.objects.filter(
        Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now),
        pk=delivery_id, status=DeliveryStatus.QUEUED,
    ).update(next_attempt_at=now + LEASE, attempts=F("attempts") + 1, last_attempt_at=now)
    delivery = WebhookDelivery.objects.select_related("endpoint").filter(pk=delivery_id).first()
    if not claimed or delivery is None:
        return delivery
    endpoint = delivery.endpoint
    if not endpoint.is_active and delivery.event != PING:
        code, reason, retry = None, _("接收地址已停用"), False
    elif (problem := url_problem(endpoint.url)) is not None:
        code, reason, retry = None, problem, False
    else:
        code, reason, retry = _post(delivery)
    done = timezone.now()
    delivery.response_code, delivery.reason = code, reason[:300]
    if not reason:
        delivery.status, delivery.delivered_at, delivery.next_attempt_at = (
            DeliveryStatus.DELIVERED, done, None)
    elif retry and delivery.attempts < MAX_ATTEMPTS:
        delivery.next_attempt_at = done + RETRY_DELAYS[delivery.attempts - 1]
    else:
        delivery.status, delivery.next_attempt_at = DeliveryStatus.FAILED, None
    delivery.save(update_fields=["status", "response_code", "reason", "delivered_at",
                                 "next_attempt_at"])
    logger.info("webhook delivery %s (%s) attempt %s: %s %s", delivery.pk, delivery.event,
                delivery.attempts, delivery.status, reason or code)
    return delivery


def webhooks_due(*, now: datetime, limit: int = 500) -> list[int]:
    """Ids of the deliveries to send now: queued and due (new ones whose message was lost,
    retries whose time has come, a lease run out)."""
    return list(WebhookDelivery.objects.filter(
        status=DeliveryStatus.QUEUED, next_attempt_at__lte=now,
    ).order_by("next_attempt_at").values_list("pk", flat=True)[:limit])


# --- managing endpoints (the store's manager, the general manager) -------------------------------

def _require(user, perm: str) -> None:
    if user is None or not user.has_perm(perm):
        raise PermissionDenied


@transaction.atomic
def webhook_endpoint_save(*, endpoint: WebhookEndpoint, by) -> WebhookEndpoint:
    """Create or change an endpoint of a store: an HTTPS address, known events. A new one gets
    its secret here (shown once to whoever made it)."""
    _require(by, "webhooks.change_webhookendpoint" if endpoint.pk
             else "webhooks.add_webhookendpoint")
    endpoint.clean()
    if endpoint.pk is None:
        endpoint.created_by = by
    endpoint.save()
    return endpoint


@transaction.atomic
def webhook_secret_regenerate(*, endpoint: WebhookEndpoint, by) -> WebhookEndpoint:
    """A new signing secret; the old one stops at once (deliveries not sent yet are signed with
    the new one when they go)."""
    _require(by, "webhooks.change_webhookendpoint")
    endpoint = WebhookEndpoint.objects.select_for_update().get(pk=endpoint.pk)
    endpoint.secret = WebhookEndpoint._meta.get_field("secret").default()
    endpoint.save(update_fields=["secret", "updated_at"])
    return endpoint


@transaction.atomic
def webhook_endpoint_delete(*, endpoint: WebhookEndpoint, by) -> None:
    """Delete an endpoint and its delivery log."""
    _require(by, "webhooks.delete_webhookendpoint")
    endpoint.delete()


@transaction.atomic
def webhook_ping(*, endpoint: WebhookEndpoint, by) -> WebhookDelivery:
    """发送测试: a `ping` event to this endpoint alone, through the outbox like any event."""
    _require(by, "webhooks.change_webhookendpoint")
    ids = _queue(event=PING, endpoints=[endpoint], data={
        "message": _("这是一条测试推送，来自 %(store)s。") % {"store": endpoint.store.name}})
    return WebhookDelivery.objects.get(pk=ids[0])


@transaction.atomic
def webhook_redeliver(*, delivery: WebhookDelivery, by) -> WebhookDelivery:
    """重新发送: a failed delivery queued again, its attempts counted afresh, with the same
    event id (the receiver de-duplicates). Only a failed one: a queued one is on its way."""
    _require(by, "webhooks.change_webhookendpoint")
    delivery = WebhookDelivery.objects.select_for_update().get(pk=delivery.pk)
    if delivery.status != DeliveryStatus.FAILED:
        raise DomainError(_("只有失败的推送可以重新发送。"), code="delivery_not_failed")
    delivery.status, delivery.attempts, delivery.next_attempt_at = (
        DeliveryStatus.QUEUED, 0, timezone.now())
    delivery.response_code, delivery.reason = None, ""
    delivery.save(update_fields=["status", "attempts", "next_attempt_at", "response_code",
                                 "reason"])
    transaction.on_commit(partial(_send_later, [delivery.pk]))
    return delivery
