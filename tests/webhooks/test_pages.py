"""The pages: the endpoint list and form, the secret shown once, the delivery log, the test
button and 重新发送 — for every role, the refusals included."""
import pytest
from django.urls import reverse

from webhooks.models import DeliveryStatus, WebhookDelivery, WebhookEndpoint

pytestmark = pytest.mark.django_db

ROLES = ["specialist", "supervisor", "front_desk", "manager", "other_manager", "general_manager"]
# S01's endpoint: its manager and the general manager manage it; the manager of S02 gets 404;
# the others have no permission at all (403, whether the endpoint exists or not).
EXPECTED = {"specialist": 403, "supervisor": 403, "front_desk": 403, "manager": 200,
            "other_manager": 404, "general_manager": 200}


@pytest.fixture
def users(request):
    return {role: request.getfixturevalue(role) for role in ROLES}


@pytest.fixture
def failed(endpoint, store):
    return WebhookDelivery.objects.create(
        endpoint=endpoint, store=store, event="order.created", payload={"data": {"id": 7}},
        status=DeliveryStatus.FAILED, attempts=7, response_code=500, reason="HTTP 500：出错了")


def test_the_list_page_by_role(client, users, endpoint):
    for role, user in users.items():
        client.force_login(user)
        response = client.get(reverse("webhooks:endpoints"))
        if EXPECTED[role] == 403:
            assert response.status_code == 403, role
            continue
        assert response.status_code == 200, role
        shown = endpoint.url in response.content.decode()
        assert shown == (role != "other_manager"), role  # S02's manager sees S02's (none)
        assert endpoint.secret not in response.content.decode()


@pytest.mark.parametrize("name,method", [
    ("webhooks:endpoint", "get"), ("webhooks:endpoint_ping", "post"),
    ("webhooks:endpoint_secret", "post"), ("webhooks:endpoint_delete", "post")])
def test_an_endpoint_page_by_role(client, users, endpoint, receiver, name, method):
    for role, user in users.items():
        client.force_login(user)
        response = getattr(client, method)(reverse(name, args=[endpoint.pk]))
        expected = EXPECTED[role]
        if expected == 200:
            # the delete without its tick box is refused after access passed
            expected = {"webhooks:endpoint_ping": 302, "webhooks:endpoint_delete": 400}.get(
                name, 200)
        assert response.status_code == expected, (role, response.status_code)


def test_the_delivery_log_shows_status_attempts_code_reason(client, manager, endpoint, failed):
    client.force_login(manager)
    page = client.get(reverse("webhooks:endpoint", args=[endpoint.pk])).content.decode()
    for text in ("失败", "HTTP 500：出错了", ">7<", ">500<", "重新发送", "order.created"):
        assert text in page, text
    assert endpoint.secret not in page
    payload = client.get(reverse("webhooks:delivery", args=[failed.pk]))
    assert payload.status_code == 200 and "&quot;id&quot;: 7" in payload.content.decode()


def test_the_delivery_log_query_count_does_not_grow(client, manager, endpoint, store,
                                                    django_assert_max_num_queries):
    client.force_login(manager)
    url = reverse("webhooks:endpoint", args=[endpoint.pk])
    WebhookDelivery.objects.create(endpoint=endpoint, store=store, event="ping", payload={})
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        client.get(url)
    WebhookDelivery.objects.bulk_create(
        WebhookDelivery(endpoint=endpoint, store=store, event="ping", payload={})
        for _ in range(30))
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(url)


def test_the_test_button_sends_a_ping_to_that_endpoint(client, manager, endpoint, receiver,
                                                       django_capture_on_commit_callbacks):
    endpoint.events = ["order.created"]
    endpoint.save()
    client.force_login(manager)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("webhooks:endpoint_ping", args=[endpoint.pk]))
    assert response.status_code == 302
    [request] = receiver.requests
    assert request.headers["X-Studio-Event"] == "ping"
    assert request.json["data"] == {"message": "这是一条测试推送，来自 人民路店。"}
    page = client.get(reverse("webhooks:endpoint", args=[endpoint.pk])).content.decode()
    assert "测试推送已发出" in page and "已送达" in page


def test_resend_queues_a_failed_delivery_again_with_the_same_event_id(
        client, manager, endpoint, failed, receiver, django_capture_on_commit_callbacks):
    client.force_login(manager)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("webhooks:delivery_retry", args=[failed.pk]))
    assert response.status_code == 302
    failed.refresh_from_db()
    assert (failed.status, failed.attempts, failed.response_code) == (
        DeliveryStatus.DELIVERED, 1, 200)
    [request] = receiver.requests
    assert request.headers["X-Studio-Event-Id"] == str(failed.event_id)
    # A delivered one is not sent again.
    client.post(reverse("webhooks:delivery_retry", args=[failed.pk]))
    assert len(receiver.requests) == 1


def test_a_manager_adds_an_endpoint_and_sees_its_secret_once(client, manager, store):
    client.force_login(manager)
    response = client.post(reverse("webhooks:endpoints"), {
        "url": "https://crm.example.com/hooks/studio", "description": "CRM",
        "events": ["order.created", "payment.recorded"], "is_active": "on"})
    assert response.status_code == 200
    endpoint = WebhookEndpoint.objects.get()
    assert (endpoint.store, endpoint.created_by) == (store, manager)
    assert endpoint.events == ["order.created", "payment.recorded"]
    assert endpoint.secret.startswith("whsec_") and endpoint.secret in response.content.decode()
    assert response["Cache-Control"] == "no-store"
    for url in (reverse("webhooks:endpoints"), reverse("webhooks:endpoint", args=[endpoint.pk])):
        assert endpoint.secret not in client.get(url).content.decode()
    old = endpoint.secret
    response = client.post(reverse("webhooks:endpoint_secret", args=[endpoint.pk]))
    endpoint.refresh_from_db()
    assert endpoint.secret != old and endpoint.secret in response.content.decode()


@pytest.mark.parametrize("url", ["http://crm.example.com/hook", "ftp://example.com/x",
                                 "http://10.0.0.5/hook"])
def test_plain_http_is_refused_except_on_this_machine(client, manager, url):
    client.force_login(manager)
    response = client.post(reverse("webhooks:endpoints"), {"url": url,
                                                           "events": ["order.created"]})
    assert response.status_code == 400
    assert "必须以 https:// 开头" in response.content.decode()
    assert not WebhookEndpoint.objects.exists()


def test_no_event_chosen_is_refused(client, manager):
    client.force_login(manager)
    response = client.post(reverse("webhooks:endpoints"), {"url": "https://x.example.com/h"})
    assert response.status_code == 400 and not WebhookEndpoint.objects.exists()


def test_a_general_manager_adds_one_for_the_store_they_pick(client, general_manager,
                                                             other_store):
    client.force_login(general_manager)
    response = client.post(reverse("webhooks:endpoints"), {
        "store": other_store.pk, "url": "http://127.0.0.1:8999/hook",
        "events": ["customer.created"]})
    assert response.status_code == 200
    assert WebhookEndpoint.objects.get().store == other_store


def test_the_manager_of_another_store_cannot_add_one_to_this_store(client, other_manager, store):
    client.force_login(other_manager)
    response = client.post(reverse("webhooks:endpoints"), {
        "store": store.pk, "url": "https://x.example.com/h", "events": ["order.created"]})
    assert response.status_code == 400 and not WebhookEndpoint.objects.exists()


def test_edit_and_delete(client, manager, endpoint):
    client.force_login(manager)
    response = client.post(reverse("webhooks:endpoint", args=[endpoint.pk]), {
        "url": "https://new.example.com/h", "events": ["complaint.closed"]})
    assert response.status_code == 302
    endpoint.refresh_from_db()
    assert (endpoint.url, endpoint.events, endpoint.is_active) == (
        "https://new.example.com/h", ["complaint.closed"], False)
    response = client.post(reverse("webhooks:endpoint_delete", args=[endpoint.pk]))
    assert response.status_code == 400 and WebhookEndpoint.objects.exists()
    response = client.post(reverse("webhooks:endpoint_delete", args=[endpoint.pk]),
                           {"confirm": "1"})
    assert response.status_code == 302 and not WebhookEndpoint.objects.exists()


def test_the_navigation_links_the_page_for_managers_only(client, manager, front_desk):
    client.force_login(manager)
    assert 'data-testid="nav-webhooks"' in client.get(reverse("home")).content.decode()
    client.force_login(front_desk)
    assert 'data-testid="nav-webhooks"' not in client.get(reverse("home")).content.decode()
