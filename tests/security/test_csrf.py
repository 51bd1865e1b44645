"""CSRF on every state change and no state change on GET.

Every URL of the site is walked from the URL configuration (so a new page is covered without
editing this file): a POST without the CSRF token is refused on each of them, pages and API
alike, with the checks on as in production (Client(enforce_csrf_checks=True)); the same forms
with the token work; and GETs of every page, by every role, write nothing but the session and
the audit log's "viewed a customer" rows."""
import re
from collections.abc import Iterator

import pytest
from django.apps import apps
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from studio.models import AuditAction, AuditEntry
from tests.api import token_auth

pytestmark = pytest.mark.django_db

# Which rows a page's <int:…> stands for, by the start of its route: the walk tries the first
# row of each model (unknown routes try 1, which is fine: the point is what a GET writes).
ROUTE_MODELS = [
    ("exports/", ["studio.ExportJob"]),
    ("customers/", ["customers.Customer"]),
    ("orders/", ["orders.Order"]),
    ("followups/", ["orders.LateFollowUp"]),
    ("callbacks/", ["callbacks.CallbackTask"]),
    ("complaints/", ["complaints.Complaint"]),
    ("members/cashbacks/", ["membership.ReferralCashback"]),
    ("members/", ["membership.MemberAccount"]),
    ("desk/schedule/book/", ["orders.OrderStage"]),
    ("desk/schedule/bookings/", ["frontdesk.Booking"]),
    ("desk/schedule/people/", ["staff.User"]),
    ("desk/gowns/", ["frontdesk.Gown"]),
    ("desk/locations/", ["frontdesk.OutdoorLocation"]),
    ("desk/orders/", ["orders.Order"]),
    ("desk/reworks/", ["frontdesk.Rework"]),
    ("desk/production/orders/", ["orders.Order"]),
    ("desk/production/items/", ["frontdesk.ProductionItem"]),
    ("desk/walkouts/", ["frontdesk.WalkOut"]),
    ("api/customers/", ["customers.Customer"]),
    ("api/orders/", ["orders.Order"]),
    ("api/callbacks/", ["callbacks.CallbackTask"]),
    ("api/complaints/", ["complaints.Complaint"]),
    ("api/members/", ["membership.MemberAccount"]),
    ("api/member-cards/", ["membership.MemberCard"]),
    ("api/segments/", ["membership.Segment"]),
    ("api/bookings/", ["frontdesk.Booking"]),
    ("api/reworks/", ["frontdesk.Rework"]),
    ("api/production-items/", ["frontdesk.ProductionItem"]),
    ("api/walkouts/", ["frontdesk.WalkOut"]),
]
# Values for the <str:…> parts, by name: each is tried.
STR_VALUES = {
    "kind": ["order", "gown", "shoot", "selection", "pickup"],
    "name": ["judge", "investigate", "propose", "approve", "implement", "redeem", "adjust",
             "lost", "revoke"],
    "purpose": ["post_service", "holiday"],
    "token": ["not-a-token"],
}
# Machines' pushes, with no session to forge: CSRF-exempt, and refused (403) unless the URL
# holds SMS_RECEIPT_TOKEN or WeChat's signature checks (tests/messaging/test_receipts.py).
CSRF_EXEMPT = {"messaging/receipts/<str:gateway>/<str:kind>/<str:token>/",
               "messaging/wechat/events/"}
# Writes a GET may make: the session, and the audit rows of personal data viewed.
GET_MAY_WRITE = {"django_session", "studio_auditentry"}
GET_MAY_AUDIT = {AuditAction.VIEW_CUSTOMER}
ROLES = ["gm", "frontdesk", "specialist1"]  # all stores; the desk; own customers only


def routes(patterns=None, prefix: str = "") -> Iterator[str]:
    """Every route of the site but the admin's (Django's own, CSRF-protected throughout)."""
    for pattern in get_resolver().url_patterns if patterns is None else patterns:
        route = prefix + str(pattern.pattern)
        if route.startswith("admin/"):
            continue
        if isinstance(pattern, URLResolver):
            yield from routes(pattern.url_patterns, route)
        elif isinstance(pattern, URLPattern):
            yield route


def first_pk(route: str) -> int:
    for start, labels in sorted(ROUTE_MODELS, key=lambda item: -len(item[0])):
        if route.startswith(start):
            for label in labels:
                row = apps.get_model(label).objects.order_by("pk").first()
                if row is not None:
                    return row.pk
    return 1


def urls(route: str, *, every_value: bool = True) -> list[str]:
    """The route with its parts filled in: each listed string value (or only the first)."""
    filled = ["/" + re.sub(r"<int:\w+>", str(first_pk(route)), route)]
    for name in re.findall(r"<str:(\w+)>", route):
        values = STR_VALUES.get(name, ["x"])
        values = values if every_value else values[:1]
        filled = [url.replace(f"<str:{name}>", value, 1) for url in filled for value in values]
    return filled


@pytest.fixture
def studio(db) -> None:
    """The demo studio, small: every page has something to show."""
    from devtools.demo import demo_seed_rest
    from devtools.demo.orders import demo_seed

    now = timezone.now()
    demo_seed(customers_per_store=4, now=now)
    demo_seed_rest(now=now)


def staff_client(username: str, **kwargs) -> Client:
    from staff.models import User

    client = Client(**kwargs)
    client.force_login(User.objects.get(username=username))
    return client


def test_the_walk_finds_the_pages_and_the_api():
    found = set(routes())
    assert {"accounts/login/", "accounts/logout/", "complain/", "customers/<int:pk>/notes/",
            "complaints/<int:pk>/<str:name>/", "api/orders/<int:order_id>/payments/"} <= found
    assert not any(route.startswith("admin/") for route in found)


@pytest.mark.clock
def test_a_post_without_the_token_is_refused_everywhere(studio):
    client = staff_client("gm", enforce_csrf_checks=True)
    for route in routes():
        for url in urls(route, every_value=False):
            response = client.post(url, {"note": "x"})
            if route in CSRF_EXEMPT:  # refused by its own check, for anyone without the secret
                assert response.status_code in (403, 404), url
                continue
            assert response.status_code == 403, url
            if route.startswith("api/"):  # DRF's session authentication refuses it
                assert "CSRF Failed" in str(response.data["detail"]), url
            else:
                assert 'data-testid="csrf-failure"' in response.content.decode(), url


def test_visitors_posts_need_the_token_too(store):
    client = Client(enforce_csrf_checks=True)
    for url in (reverse("login"), reverse("public_complaint"), reverse("set_language")):
        response = client.post(url, {"username": "x", "password": "y", "language": "en"})
        assert response.status_code == 403, url
    assert "影楼客服后台" in response.content.decode()  # the page explains, in Chinese


def test_the_login_form_works_with_its_token(specialist):
    client = Client(enforce_csrf_checks=True)
    token = client.get(reverse("login")).context["csrf_token"]
    response = client.post(reverse("login"), {"username": specialist.username,
                                              "password": "pass-1234",
                                              "csrfmiddlewaretoken": token})
    assert response.status_code == 302 and "_auth_user_id" in client.session


@pytest.mark.clock
def test_a_page_form_works_with_its_token(studio):
    from customers.models import Customer, CustomerNote

    client = staff_client("supervisor", enforce_csrf_checks=True)
    customer = Customer.objects.filter(store__code="S01").order_by("pk").first()
    token = client.get(f"/customers/{customer.pk}/").context["csrf_token"]
    response = client.post(f"/customers/{customer.pk}/notes/",
                           {"text": "电话确认了拍摄时间", "csrfmiddlewaretoken": token})
    assert response.status_code == 302
    assert CustomerNote.objects.filter(customer=customer, text="电话确认了拍摄时间").exists()


@pytest.mark.clock
def test_htmx_and_script_requests_send_the_token_in_a_header(studio):
    client = staff_client("supervisor", enforce_csrf_checks=True)
    html = client.get("/").content.decode()
    token = re.search(r"""hx-headers='\{"X-CSRFToken": "([^"]+)"\}'""", html).group(1)
    response = client.post(reverse("logout"), HTTP_X_CSRFTOKEN=token)
    assert response.status_code == 302 and "_auth_user_id" not in client.session


@pytest.mark.clock
def test_an_api_client_with_a_session_needs_the_token_and_one_with_a_token_does_not(studio):
    from staff.models import User

    session = staff_client("frontdesk", enforce_csrf_checks=True)
    response = session.post("/api/me/", {}, content_type="application/json")
    assert response.status_code == 403 and "CSRF Failed" in response.json()["detail"]
    response = Client(enforce_csrf_checks=True).post(
        "/api/me/", {}, content_type="application/json",
        **token_auth(User.objects.get(username="frontdesk")))
    assert response.status_code == 405  # past authentication: a token is no cookie to forge


@pytest.mark.parametrize("username", ROLES)
@pytest.mark.clock
def test_no_get_changes_anything(studio, username):
    client = staff_client(username)
    audited_before = AuditEntry.objects.count()
    writes, crashes = [], []
    for route in routes():
        if route == "accounts/logout/":
            continue  # a POST (Django refuses a GET with 405); logging out is no data change
        for url in urls(route):
            with CaptureQueriesContext(connection) as queries:
                response = client.get(url)
            # /healthz/jobs answers 503 by design here: no beat or worker runs in the tests.
            if response.status_code >= 500 and url != "/healthz/jobs":
                crashes.append(url)
            for query in queries.captured_queries:
                match = re.match(r'\s*(INSERT INTO|UPDATE|DELETE FROM)\s+"?(\w+)"?',
                                 query["sql"], re.IGNORECASE)
                if match and match.group(2) not in GET_MAY_WRITE:
                    writes.append(f"{url}: {query['sql'][:120]}")
    assert writes == []
    assert crashes == []
    audited = AuditEntry.objects.order_by("pk")[audited_before:]
    assert {entry.action for entry in audited} <= GET_MAY_AUDIT


@pytest.mark.clock
def test_logging_out_and_switching_language_refuse_a_get(studio):
    client = staff_client("supervisor")
    assert client.get(reverse("logout")).status_code == 405
    assert "_auth_user_id" in client.session
    client.get(reverse("set_language") + "?language=en&next=/")
    assert "Workbench" not in client.get("/").content.decode()
