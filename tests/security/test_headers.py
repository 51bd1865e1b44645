"""Security headers on every kind of response: HTML pages, JSON (API and health check) and Excel
downloads carry the Content-Security-Policy, nosniff and Referrer-Policy; production adds HSTS."""
import importlib
import re

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def policy(response) -> dict[str, list[str]]:
    """The Content-Security-Policy header as {directive: [sources]}."""
    directives = {}
    for part in response["Content-Security-Policy"].split(";"):
        name, *sources = part.split()
        directives[name] = sources
    return directives


def assert_security_headers(response) -> None:
    csp = policy(response)
    assert csp["default-src"] == ["'self'"]
    assert csp["object-src"] == ["'none'"]
    assert csp["base-uri"] == ["'none'"]
    assert csp["frame-ancestors"] == ["'none'"]
    assert csp["form-action"] == ["'self'"]
    # Scripts from our files or with this response's nonce: never inline code, never eval.
    assert csp["script-src"][0] == "'self'"
    assert not {"'unsafe-inline'", "'unsafe-eval'", "*", "data:"} & set(csp["script-src"])
    assert "'unsafe-inline'" not in csp["style-src"]  # <style> elements: files or the nonce
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"


def test_an_html_page_carries_the_security_headers(client, manager):
    client.force_login(manager)
    response = client.get("/")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/html")
    assert_security_headers(response)


def test_the_login_page_and_the_public_form_carry_them_to_visitors(client, store):
    for url in (reverse("login"), reverse("public_complaint")):
        response = client.get(url)
        assert response.status_code == 200
        assert_security_headers(response)


def test_error_pages_carry_them(client, manager):
    client.force_login(manager)
    assert_security_headers(client.get("/customers/999999/"))  # 404
    client.logout()
    response = client.get("/callbacks/summary/")
    assert response.status_code == 302
    assert_security_headers(response)


@pytest.mark.parametrize("url", ["/api/me/", "/api/customers/", "/healthz"])
def test_json_responses_carry_them(client, manager, url):
    client.force_login(manager)
    response = client.get(url)
    assert response.status_code == 200 and response["Content-Type"].startswith("application/json")
    assert_security_headers(response)


def test_an_api_refusal_carries_them(client):
    response = client.get("/api/customers/")
    assert response.status_code == 401
    assert_security_headers(response)


def test_an_excel_download_carries_them(client, supervisor, order):
    client.force_login(supervisor)
    response = client.get(reverse("orders:stage_list", args=["order"]), {"export": "xlsx"})
    assert response.status_code == 200 and response["Content-Type"] == XLSX
    assert_security_headers(response)


def test_the_nonce_is_new_for_each_response_and_marks_the_pages_inline_scripts(client,
                                                                                 supervisor):
    client.force_login(supervisor)
    first, second = (client.get(reverse("callbacks:summary")) for _ in range(2))
    nonces = []
    for response in (first, second):
        sources = policy(response)["script-src"]
        nonce = next(s for s in sources if s.startswith("'nonce-"))[len("'nonce-"):-1]
        html = response.content.decode()
        # Every inline <script> of the page carries it; every other <script> loads a file.
        for tag in re.findall(r"<script\b[^>]*>", html):
            assert f'nonce="{nonce}"' in tag or "src=" in tag or 'type="application/json"' in tag, tag
        assert f'nonce="{nonce}"' in html
        nonces.append(nonce)
    assert nonces[0] != nonces[1]


def test_no_template_uses_an_inline_event_handler(settings):
    # The policy refuses onclick="…" and the like: templates ask studio.js with data- attributes.
    pattern = re.compile(r"\son[a-z]+\s*=\s*[\"']", re.IGNORECASE)
    offenders = []
    for folder in settings.TEMPLATES[0]["DIRS"]:
        for path in folder.rglob("*.html"):
            if pattern.search(path.read_text(encoding="utf-8")):
                offenders.append(str(path.relative_to(folder)))
    assert offenders == []


def test_the_development_and_test_settings_send_no_hsts_over_http(client, store):
    response = client.get(reverse("public_complaint"))
    assert "Strict-Transport-Security" not in response


@pytest.fixture
def production(settings, monkeypatch):
    """The settings that differ in studio.settings_production, applied to this test."""
    monkeypatch.setenv("DJANGO_SECRET_KEY", "a-long-random-production-secret-" + "x" * 40)
    monkeypatch.setenv("DJANGO_ALLOWED_HOSTS", "backoffice.example.com")
    module = importlib.reload(importlib.import_module("studio.settings_production"))
    for name in ("SECURE_SSL_REDIRECT", "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE",
                 "SECURE_HSTS_SECONDS", "SECURE_HSTS_INCLUDE_SUBDOMAINS", "SECURE_HSTS_PRELOAD",
                 "ALLOWED_HOSTS"):
        setattr(settings, name, getattr(module, name))
    return module


def test_production_sends_hsts_on_html_json_and_excel(client, production, supervisor, order):
    assert production.SECURE_HSTS_SECONDS >= 365 * 24 * 3600
    client.force_login(supervisor)
    host = {"HTTP_HOST": "backoffice.example.com", "secure": True}
    for url in ("/", "/api/me/", reverse("orders:stage_list", args=["order"]) + "?export=xlsx"):
        response = client.get(url, **host)
        assert response.status_code == 200, url
        assert response["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
        assert_security_headers(response)


def test_production_redirects_plain_http_to_https(client, production):
    response = client.get("/accounts/login/", HTTP_HOST="backoffice.example.com")
    assert response.status_code == 301
    assert response["Location"] == "https://backoffice.example.com/accounts/login/"


def test_production_cookies_are_secure_and_the_session_hidden_from_scripts(client, production, supervisor):
    https = {"HTTP_HOST": "backoffice.example.com", "secure": True}
    client.get(reverse("login"), **https)
    response = client.post(reverse("login"), {"username": supervisor.username,
                                              "password": "pass-1234"}, **https)
    assert response.status_code == 302
    session, csrf = response.cookies["sessionid"], response.cookies["csrftoken"]
    assert session["secure"] and session["httponly"] and session["samesite"] == "Lax"
    assert csrf["secure"] and csrf["samesite"] == "Lax"
