"""The OpenAPI schema, its Swagger page and the browsable API are for logged-in staff only:
anyone else learns nothing about the endpoints (JSON refusals, no HTML pages)."""
import pytest

from staff.models import User

pytestmark = pytest.mark.django_db

HTML = {"HTTP_ACCEPT": "text/html,application/xhtml+xml,*/*;q=0.8"}  # what a browser sends


@pytest.fixture
def outsider(db) -> User:
    """A login without a staff profile (e.g. an account left from a departed employee)."""
    return User.objects.create_user("outsider", password="pass-1234")


@pytest.mark.parametrize("url", ["/api/schema/", "/api/docs/", "/api/customers/", "/api/me/"])
def test_anonymous_visitors_get_no_page_and_no_schema(client, url):
    response = client.get(url, **HTML)
    assert response.status_code in (401, 403)
    assert "openapi" not in response.content.decode().lower()
    if url != "/api/docs/":  # the Swagger page's refusal is our plain 403 page
        assert not response["Content-Type"].startswith("text/html")


@pytest.mark.parametrize("url", ["/api/schema/", "/api/docs/", "/api/customers/"])
def test_a_login_without_a_staff_profile_is_refused(client, outsider, url):
    client.force_login(outsider)
    response = client.get(url, **HTML)
    assert response.status_code == 403
    if url == "/api/customers/":
        assert response["Content-Type"].startswith("application/json")


def test_anonymous_visitors_cannot_ask_for_the_browsable_page_by_name(client):
    response = client.get("/api/customers/?format=api")
    assert response.status_code in (401, 403, 404)
    assert not response["Content-Type"].startswith("text/html")


def test_staff_get_the_browsable_api_the_schema_and_its_page(client, specialist):
    client.force_login(specialist)
    browsable = client.get("/api/customers/", **HTML)
    assert browsable.status_code == 200 and browsable["Content-Type"].startswith("text/html")
    assert client.get("/api/schema/").status_code == 200
    docs = client.get("/api/docs/")
    assert docs.status_code == 200 and b"swagger-ui" in docs.content


def test_the_swagger_pages_inline_code_carries_the_nonce(client, specialist):
    client.force_login(specialist)
    response = client.get("/api/docs/")
    nonce = response["Content-Security-Policy"].split("'nonce-")[1].split("'")[0]
    html = response.content.decode()
    assert f'<style nonce="{nonce}">' in html and f'<script nonce="{nonce}">' in html


def test_the_browsable_pages_inline_style_carries_the_nonce(client, specialist):
    client.force_login(specialist)
    response = client.get("/api/customers/", **HTML)
    nonce = response["Content-Security-Policy"].split("'nonce-")[1].split("'")[0]
    html = response.content.decode()
    assert "<style>" not in html
    if "<style" in html:  # the code-highlighting style, when Pygments is installed
        assert f'<style nonce="{nonce}">' in html


def test_a_bad_token_still_answers_401_with_its_reason(client):
    response = client.get("/api/me/", HTTP_AUTHORIZATION="Token not-a-token", **HTML)
    assert response.status_code == 401 and response["WWW-Authenticate"] == "Token"
    assert response["Content-Type"].startswith("application/json")
    assert "令牌" in response.json()["detail"] or "token" in response.json()["detail"].lower()
