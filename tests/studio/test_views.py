"""The home page, login, health check and the API's authentication."""
import time

import pytest
from django.urls import reverse
from rest_framework.authtoken.models import Token

from staff.models import Role
from tests.api import token_auth

pytestmark = pytest.mark.django_db


def test_the_home_page_needs_a_login(client):
    response = client.get("/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_the_home_page_shows_the_store_and_role_in_chinese(client, specialist, customer):
    client.force_login(specialist)
    html = client.get("/").content.decode()
    assert "门店：<strong>人民路店</strong>" in html
    assert "角色：<strong>客服专员</strong>" in html
    assert 'lang="zh-hans"' in html


def test_the_general_manager_home_page_says_all_stores(client, general_manager):
    client.force_login(general_manager)
    assert "全部门店" in client.get("/").content.decode()


def test_the_home_page_counts_only_what_the_user_may_see(client, specialist, other_specialist,
                                                        store):
    from tests.factories import CustomerFactory

    CustomerFactory.create_batch(2, store=store, assigned_to=specialist)
    CustomerFactory.create_batch(3, store=store, assigned_to=other_specialist)
    client.force_login(specialist)
    response = client.get("/")
    assert response.context["customers_count"] == 2


def test_the_home_page_uses_a_fixed_number_of_queries(client, specialist, order,
                                                      django_assert_max_num_queries):
    client.force_login(specialist)
    with django_assert_max_num_queries(12):
        assert client.get("/").status_code == 200


def test_login_with_the_right_password_reaches_home(client, specialist):
    response = client.post("/accounts/login/", {"username": "specialist_a",
                                                "password": "pass-1234"})
    assert response.status_code == 302 and response["Location"] == "/"


def test_english_is_available_by_the_language_switch(client, specialist):
    client.force_login(specialist)
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert 'lang="en"' in client.get("/").content.decode()


def test_healthz_reports_database_and_broker(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["database"] == "ok"
    assert set(response.json()) == {"status", "faults", "database", "broker", "beat_last_sweep",
                                    "worker_last_heartbeat"}


def test_healthz_says_quickly_that_the_broker_is_down(client, settings):
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    start = time.monotonic()
    body = client.get("/healthz").json()
    elapsed = time.monotonic() - start
    assert body["broker"].startswith("error") and body["status"] == "degraded"
    assert elapsed < 10


def test_a_token_is_exchanged_for_username_and_password(client, specialist):
    response = client.post("/api/auth/token/", {"username": "specialist_a",
                                                "password": "pass-1234"})
    assert response.status_code == 200
    assert response.json()["token"] == Token.objects.get(user=specialist).key


def test_a_wrong_password_gets_no_token(client, specialist):
    response = client.post("/api/auth/token/", {"username": "specialist_a", "password": "x"})
    assert response.status_code == 400


def test_the_api_answers_a_token_holder_with_their_role(client, specialist):
    response = client.get("/api/me/", **token_auth(specialist))
    assert response.status_code == 200
    assert response.json()["role"] == Role.SPECIALIST
    assert response.json()["store"] == "人民路店"


@pytest.mark.parametrize("url", ["/api/me/", "/api/schema/", "/api/docs/"])
def test_the_api_and_its_schema_refuse_anonymous_visitors(client, url):
    assert client.get(url).status_code in (401, 403)


@pytest.mark.parametrize("url", ["/api/schema/", "/api/docs/"])
def test_the_schema_and_its_page_are_served_to_staff(client, specialist, url):
    client.force_login(specialist)
    response = client.get(url)
    assert response.status_code == 200


def test_the_docs_page_loads_its_assets_locally_not_from_a_cdn(client, specialist):
    client.force_login(specialist)
    html = client.get(reverse("api:docs")).content.decode()
    assert "cdn" not in html.lower()


def test_an_english_browser_still_gets_chinese_until_english_is_chosen(client, specialist):
    client.force_login(specialist)
    html = client.get("/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9").content.decode()
    assert 'lang="zh-hans"' in html and "工作台" in html


def test_chosen_english_translates_our_own_strings(client, specialist):
    client.force_login(specialist)
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    html = client.get("/").content.decode()
    assert "Workbench" in html and "Customer-service specialist" in html
