"""Small things people see (issue 17 item 12): a favicon, one money format for negatives."""
from decimal import Decimal

from django.urls import reverse

from studio.templatetags.studio_tags import money


def test_the_browser_s_favicon_request_finds_the_icon(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 301 and response.url.endswith("favicon.svg")


def test_pages_name_their_icon(client, db):
    assert 'rel="icon"' in client.get(reverse("login")).content.decode()


def test_one_money_format_for_negatives():
    assert money(Decimal("-92001")) == "-¥92,001.00"
    assert money(Decimal("1234.5")) == "¥1,234.50"
    assert money(None) == "-"
