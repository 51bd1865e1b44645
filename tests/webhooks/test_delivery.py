"""Sending: signed deliveries, retries with backoff, permanent failures, at most one send at a
time, and nothing at all (one query) for a store without endpoints."""
import hashlib
import hmac
import json
from datetime import timedelta

import pytest
from django.utils import timezone

from webhooks import services
from webhooks.models import DeliveryStatus, WebhookDelivery, WebhookEndpoint, WebhookEvent
from webhooks.services import (
    MAX_ATTEMPTS,
    RETRY_DELAYS,
    webhook_deliver,
    webhook_emit,
    webhook_signature,
    webhooks_due,
)
from webhooks.tasks import sweep_webhooks_task

pytestmark = pytest.mark.django_db

PING = {"message": "你好"}


def _emit(django_capture_on_commit_callbacks, store, event=WebhookEvent.CUSTOMER_CREATED,
          data=None) -> list[int]:
    with django_capture_on_commit_callbacks(execute=True):
        return webhook_emit(event=event, store_id=store.pk, data=data or dict(PING))


def verify(secret: str, headers: dict, body: bytes) -> bool:
    """What docs/api.md tells a receiver to do."""
    timestamp = headers["X-Studio-Timestamp"]
    expected = "sha256=" + hmac.new(secret.encode(), f"{timestamp}.".encode() + body,
                                    hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, headers["X-Studio-Signature"])


def test_a_delivery_is_signed_with_the_endpoint_secret_and_its_timestamp(
        store, endpoint, receiver, django_capture_on_commit_callbacks):
    [delivery_id] = _emit(django_capture_on_commit_callbacks, store)
    [request] = receiver.requests
    headers, body = request.headers, request.body
    assert verify(endpoint.secret, headers, body)
    assert not verify("whsec_wrong", headers, body)
    # The signature covers the timestamp: a replay with another timestamp does not verify.
    assert not verify(endpoint.secret, {**headers, "X-Studio-Timestamp": "1"}, body)
    assert abs(int(headers["X-Studio-Timestamp"]) - timezone.now().timestamp()) < 60
    assert headers["X-Studio-Signature"] == webhook_signature(
        secret=endpoint.secret, timestamp=headers["X-Studio-Timestamp"], body=body)
    assert headers["X-Studio-Event"] == "customer.created"
    assert headers["X-Studio-Delivery"] == str(delivery_id)
    assert headers["Content-Type"].startswith("application/json")
    delivery = WebhookDelivery.objects.get(pk=delivery_id)
    payload = json.loads(body)
    assert payload == delivery.payload
    assert payload["id"] == str(delivery.event_id) == headers["X-Studio-Event-Id"]
    assert payload["store"] == {"id": store.pk, "code": "S01", "name": "人民路店"}
    assert payload["data"] == PING
    assert (delivery.status, delivery.attempts, delivery.response_code) == (
        DeliveryStatus.DELIVERED, 1, 200)


def test_one_event_to_two_endpoints_has_one_id(store, endpoint, receiver, manager,
                                                django_capture_on_commit_callbacks):
    WebhookEndpoint.objects.create(store=store, url=receiver.url + "2", events=["customer.created"])
    _emit(django_capture_on_commit_callbacks, store)
    first, second = receiver.requests
    assert {first.path, second.path} == {"/hook", "/hook2"}
    assert first.json["id"] == second.json["id"]
    assert first.headers["X-Studio-Delivery"] != second.headers["X-Studio-Delivery"]


def test_only_active_subscribed_endpoints_of_the_store_get_rows(
        store, other_store, receiver, django_capture_on_commit_callbacks,
        django_assert_num_queries):
    WebhookEndpoint.objects.create(store=store, url=receiver.url, events=["order.created"])
    WebhookEndpoint.objects.create(store=store, url=receiver.url, is_active=False,
                                   events=["customer.created"])
    WebhookEndpoint.objects.create(store=other_store, url=receiver.url,
                                   events=["customer.created"])
    with django_assert_num_queries(1):
        assert _emit(django_capture_on_commit_callbacks, store) == []
    assert not WebhookDelivery.objects.exists() and not receiver.requests


def test_a_store_without_endpoints_costs_one_query_and_renders_nothing(
        store, django_assert_num_queries):
    class Untouchable:
        def __getattr__(self, name):
            raise AssertionError("the payload was rendered with nobody to send it to")

    with django_assert_num_queries(1):
        assert webhook_emit(event=WebhookEvent.ORDER_CREATED, store_id=store.pk,
                            data=Untouchable()) == []
    assert not WebhookDelivery.objects.exists()


def test_a_rolled_back_transaction_leaves_no_delivery(store, endpoint, receiver):
    from django.db import transaction

    with pytest.raises(RuntimeError), transaction.atomic():
        webhook_emit(event=WebhookEvent.CUSTOMER_CREATED, store_id=store.pk, data=dict(PING))
        raise RuntimeError
    assert not WebhookDelivery.objects.exists() and not receiver.requests


@pytest.mark.clock
@pytest.mark.parametrize("failure", [500, 503, 429, 408, "hang"])
def test_a_5xx_429_or_timeout_is_retried_with_backoff_then_delivered(
        store, endpoint, receiver, failure, time_machine, monkeypatch,
        django_capture_on_commit_callbacks):
    monkeypatch.setattr(services, "TIMEOUT", 0.3)
    receiver.hang_seconds = 1.0
    receiver.script = [failure, failure]
    start = timezone.now()
    time_machine.move_to(start, tick=False)
    [delivery_id] = _emit(django_capture_on_commit_callbacks, store)
    delivery = WebhookDelivery.objects.get(pk=delivery_id)
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.QUEUED, 1)
    assert delivery.response_code == (None if failure == "hang" else failure)
    assert ("超时" in delivery.reason) if failure == "hang" else delivery.reason.startswith(
        f"HTTP {failure}")
    assert delivery.next_attempt_at == start + RETRY_DELAYS[0]
    # Not due yet: the sweep leaves it.
    assert sweep_webhooks_task() == 0
    time_machine.move_to(start + RETRY_DELAYS[0], tick=False)
    assert sweep_webhooks_task() == 1
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.QUEUED, 2)
    assert delivery.next_attempt_at == start + RETRY_DELAYS[0] + RETRY_DELAYS[1]
    time_machine.move_to(delivery.next_attempt_at, tick=False)
    assert sweep_webhooks_task() == 1
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.response_code, delivery.reason) == (
        DeliveryStatus.DELIVERED, 3, 200, "")
    assert delivery.next_attempt_at is None and delivery.delivered_at is not None
    assert len(receiver.requests) == 3
    assert len({r.json["id"] for r in receiver.requests}) == 1  # the same event each time


@pytest.mark.clock
def test_a_delivery_that_keeps_failing_ends_failed_with_the_reason(
        store, endpoint, receiver, time_machine, django_capture_on_commit_callbacks):
    receiver.script = [500] * MAX_ATTEMPTS
    time_machine.move_to(timezone.now(), tick=False)
    [delivery_id] = _emit(django_capture_on_commit_callbacks, store)
    for _attempt in range(MAX_ATTEMPTS - 1):
        delivery = WebhookDelivery.objects.get(pk=delivery_id)
        time_machine.move_to(delivery.next_attempt_at, tick=False)
        sweep_webhooks_task()
    delivery = WebhookDelivery.objects.get(pk=delivery_id)
    assert (delivery.status, delivery.attempts, delivery.response_code) == (
        DeliveryStatus.FAILED, MAX_ATTEMPTS, 500)
    assert delivery.reason == "HTTP 500：出错了" and delivery.next_attempt_at is None
    assert len(receiver.requests) == MAX_ATTEMPTS
    assert sum(RETRY_DELAYS, timedelta()) < timedelta(days=1)


@pytest.mark.parametrize("code", [400, 401, 404, 410])
def test_a_4xx_refusal_fails_at_once(store, endpoint, receiver, code,
                                      django_capture_on_commit_callbacks):
    receiver.script = [code]
    [delivery_id] = _emit(django_capture_on_commit_callbacks, store)
    delivery = WebhookDelivery.objects.get(pk=delivery_id)
    assert (delivery.status, delivery.attempts, delivery.response_code) == (
        DeliveryStatus.FAILED, 1, code)
    assert delivery.reason.startswith(f"HTTP {code}")
    assert webhooks_due(now=timezone.now() + timedelta(days=2)) == []


def test_a_redirect_is_not_followed(store, endpoint, receiver,
                                    django_capture_on_commit_callbacks):
    receiver.script = [302]
    [delivery_id] = _emit(django_capture_on_commit_callbacks, store)
    delivery = WebhookDelivery.objects.get(pk=delivery_id)
    assert (delivery.status, delivery.response_code) == (DeliveryStatus.FAILED, 302)
    assert len(receiver.requests) == 1


def test_a_refused_connection_is_retried(store, django_capture_on_commit_callbacks):
    WebhookEndpoint.objects.create(store=store, url="http://127.0.0.1:9/hook",
                                   events=["customer.created"])
    [delivery_id] = _emit(django_capture_on_commit_callbacks, store)
    delivery = WebhookDelivery.objects.get(pk=delivery_id)
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.QUEUED, 1)
    assert delivery.reason.startswith("连接失败")


def test_a_redelivered_task_does_not_send_again(store, endpoint, receiver,
                                                django_capture_on_commit_callbacks):
    [delivery_id] = _emit(django_capture_on_commit_callbacks, store)
    webhook_deliver(delivery_id=delivery_id)  # the broker delivered the message twice
    sweep_webhooks_task()
    assert len(receiver.requests) == 1
    assert WebhookDelivery.objects.get(pk=delivery_id).attempts == 1


@pytest.mark.clock
def test_a_delivery_being_sent_is_not_sent_by_a_second_worker(store, endpoint, receiver,
                                                              time_machine):
    """Two workers with the same delivery: the first claims it (its next attempt pushed a lease
    ahead) and sends; the second finds it claimed and leaves it."""
    time_machine.move_to(timezone.now(), tick=False)
    [delivery_id] = webhook_emit(event=WebhookEvent.CUSTOMER_CREATED, store_id=store.pk,
                                 data=dict(PING))  # autocommit: the on-commit send ran already
    receiver.requests.clear()
    WebhookDelivery.objects.filter(pk=delivery_id).update(
        status=DeliveryStatus.QUEUED, attempts=0, next_attempt_at=timezone.now())
    real_post = services._post

    def post_while_another_worker_tries(delivery):
        assert webhook_deliver(delivery_id=delivery.pk).attempts == 1  # claimed: left alone
        return real_post(delivery)

    services._post = post_while_another_worker_tries
    try:
        webhook_deliver(delivery_id=delivery_id)
    finally:
        services._post = real_post
    assert len(receiver.requests) == 1
    delivery = WebhookDelivery.objects.get(pk=delivery_id)
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.DELIVERED, 1)


@pytest.mark.clock
def test_a_worker_that_died_mid_send_is_replaced_after_the_lease(store, endpoint, receiver,
                                                                 time_machine):
    time_machine.move_to(timezone.now(), tick=False)
    delivery = WebhookDelivery.objects.create(
        endpoint=endpoint, store=store, event="ping", payload={"id": "x"}, attempts=1,
        next_attempt_at=timezone.now() + services.LEASE)  # claimed, then the worker died
    assert webhooks_due(now=timezone.now()) == []
    time_machine.move_to(timezone.now() + services.LEASE, tick=False)
    assert webhooks_due(now=timezone.now()) == [delivery.pk]
    sweep_webhooks_task()
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.DELIVERED, 2)


def test_a_deactivated_endpoint_gets_no_more_events(store, endpoint, receiver):
    delivery = WebhookDelivery.objects.create(
        endpoint=endpoint, store=store, event="customer.created", payload={},
        next_attempt_at=timezone.now())
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(is_active=False)
    delivery = webhook_deliver(delivery_id=delivery.pk)
    assert (delivery.status, delivery.reason) == (DeliveryStatus.FAILED, "接收地址已停用")
    assert not receiver.requests
