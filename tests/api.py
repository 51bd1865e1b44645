"""Helpers shared by the API tests (tests/*/test_apis.py): sign in (session or token), read a list
or a payload, post JSON, count a page's queries."""
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.authtoken.models import Token


def login(client, user):
    """The test client, signed in as `user` (a session: the API takes session or token)."""
    client.force_login(user)
    return client


def token_auth(user) -> dict:
    """The request headers of an API client holding `user`'s token (no session):
    `client.get(url, **token_auth(user))`."""
    token, _created = Token.objects.get_or_create(user=user)
    return {"HTTP_AUTHORIZATION": f"Token {token.key}"}


def get_json(client, url: str, params: dict | None = None) -> dict:
    """GET `url`: it must answer 200; its JSON body."""
    response = client.get(url, params or {})
    assert response.status_code == 200, response.content
    return response.json()


def ids(response) -> set[int]:
    """The ids of a 200 list response's page of results."""
    assert response.status_code == 200, response.content
    return {row["id"] for row in response.json()["results"]}


def post(client, url: str, data: dict | None = None):
    """POST `data` as JSON."""
    return client.post(url, data or {}, content_type="application/json")


def count_queries(client, url: str) -> int:
    """The number of queries a GET of `url` (answering 200) takes."""
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)
