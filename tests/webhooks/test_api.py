"""The API: /api/webhook-endpoints/ (list, create with the secret once, read, change) and each
endpoint's deliveries, by role."""
import pytest

from webhooks.models import WebhookDelivery, WebhookEndpoint

pytestmark = pytest.mark.django_db

ROLES = ["specialist", "supervisor", "front_desk", "manager", "other_manager", "general_manager"]
MANAGERS = {"manager", "other_manager", "general_manager"}


@pytest.fixture
def users(request):
    return {role: request.getfixturevalue(role) for role in ROLES}


def test_the_list_by_role(client, users, endpoint):
    for role, user in users.items():
        client.force_login(user)
        response = client.get("/api/webhook-endpoints/")
        if role not in MANAGERS:
            assert response.status_code == 403, role
            continue
        ids = [row["id"] for row in response.json()["results"]]
        assert ids == ([] if role == "other_manager" else [endpoint.pk]), role
        assert "secret" not in response.json()["results"][0] if ids else True


def test_anonymous_is_401(client, endpoint):
    assert client.get("/api/webhook-endpoints/").status_code == 401


def test_create_answers_the_secret_once(client, manager, store):
    client.force_login(manager)
    response = client.post("/api/webhook-endpoints/", {
        "url": "https://crm.example.com/h", "events": ["order.created", "customer.created"]},
        content_type="application/json")
    assert response.status_code == 201, response.json()
    body = response.json()
    endpoint = WebhookEndpoint.objects.get()
    assert body["secret"] == endpoint.secret and body["store"] == store.pk
    assert body["events"] == ["customer.created", "order.created"]  # in the events' order
    detail = client.get(f"/api/webhook-endpoints/{endpoint.pk}/").json()
    assert "secret" not in detail and detail["url"] == "https://crm.example.com/h"


@pytest.mark.parametrize("body,field", [
    ({"url": "http://crm.example.com/h", "events": ["order.created"]}, "url"),
    ({"url": "https://crm.example.com/h", "events": ["order.shipped"]}, "events"),
    ({"url": "https://crm.example.com/h", "events": []}, "events"),
])
def test_create_refuses_bad_input(client, manager, body, field):
    client.force_login(manager)
    response = client.post("/api/webhook-endpoints/", body, content_type="application/json")
    assert response.status_code == 400 and field in response.json(), response.json()


def test_a_general_manager_names_the_store(client, general_manager, other_store):
    client.force_login(general_manager)
    body = {"url": "https://crm.example.com/h", "events": ["order.created"]}
    assert client.post("/api/webhook-endpoints/", body,
                       content_type="application/json").status_code == 400  # 请选择门店
    response = client.post("/api/webhook-endpoints/", {**body, "store": other_store.pk},
                           content_type="application/json")
    assert response.status_code == 201 and response.json()["store"] == other_store.pk


def test_create_by_role(client, users):
    for role, user in users.items():
        client.force_login(user)
        response = client.post("/api/webhook-endpoints/", {
            "url": "https://crm.example.com/h", "events": ["order.created"]},
            content_type="application/json")
        expected = 400 if role == "general_manager" else 201 if role in MANAGERS else 403
        assert response.status_code == expected, (role, response.status_code)


def test_patch_changes_only_what_is_sent(client, manager, endpoint):
    client.force_login(manager)
    response = client.patch(f"/api/webhook-endpoints/{endpoint.pk}/", {"is_active": False},
                            content_type="application/json")
    assert response.status_code == 200 and response.json()["is_active"] is False
    endpoint.refresh_from_db()
    assert endpoint.is_active is False and endpoint.url.startswith("http://127.0.0.1")
    response = client.patch(f"/api/webhook-endpoints/{endpoint.pk}/",
                            {"url": "http://example.com/h"}, content_type="application/json")
    assert response.status_code == 400 and "url" in response.json()


def test_detail_and_deliveries_by_role(client, users, endpoint, store):
    WebhookDelivery.objects.create(endpoint=endpoint, store=store, event="ping",
                                   payload={"data": {"message": "hi"}})
    expected = {"specialist": 403, "supervisor": 403, "front_desk": 403, "manager": 200,
                "other_manager": 404, "general_manager": 200}
    for role, user in users.items():
        client.force_login(user)
        for url in (f"/api/webhook-endpoints/{endpoint.pk}/",
                    f"/api/webhook-endpoints/{endpoint.pk}/deliveries/"):
            assert client.get(url).status_code == expected[role], (role, url)
        patch = client.patch(f"/api/webhook-endpoints/{endpoint.pk}/", {"description": "x"},
                             content_type="application/json")
        assert patch.status_code == expected[role], (role, "patch")
    client.force_login(users["manager"])
    [row] = client.get(f"/api/webhook-endpoints/{endpoint.pk}/deliveries/").json()["results"]
    assert (row["event"], row["status"], row["payload"]) == (
        "ping", "queued", {"data": {"message": "hi"}})


def test_the_schema_names_the_client_in_ascii_and_holds_the_webhooks(client, manager):
    from drf_spectacular.generators import SchemaGenerator

    from webhooks.models import WebhookEvent

    schema = SchemaGenerator().get_schema(request=None, public=True)
    assert schema["info"]["title"].isascii() and "影楼" in schema["info"]["description"]
    assert schema["openapi"].startswith("3.1")
    assert set(schema["webhooks"]) == {*WebhookEvent.values, "ping"}
    order = schema["components"]["schemas"]["WebhookOrderCreatedEvent"]
    assert set(order["properties"]) == {"id", "event", "created_at", "store", "data"}
    assert {"amount", "customer", "status"} <= set(
        schema["components"]["schemas"]["WebhookOrder"]["properties"])
