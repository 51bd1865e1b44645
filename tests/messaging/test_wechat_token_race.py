"""WeChat's access token, fetched once for all workers (issue 19, "tokens cached and refreshed once
for all workers"): workers that need a token at the same moment wait for the one that fetches it
and use its token, on a real database's row lock."""
import threading

import pytest
from django.db import connection, connections

from messaging.gateways.wechat import access_token

from .conftest import reply

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL"),
]
TOKEN = "/cgi-bin/stable_token"


def test_four_workers_needing_a_token_at_once_fetch_it_once(wechat):
    wechat.on(TOKEN, reply({"access_token": "THE-ONE", "expires_in": 7200}, sleep=0.3))
    barrier = threading.Barrier(4)
    tokens, errors = [], []

    def work():
        try:
            barrier.wait()
            tokens.append(access_token())
        except Exception as exc:  # asserted below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert tokens == ["THE-ONE"] * 4
    assert len(wechat.calls(TOKEN)) == 1


def test_a_token_refused_by_two_workers_is_renewed_once(wechat):
    wechat.on(TOKEN, reply({"access_token": "FIRST", "expires_in": 7200}),
              reply({"access_token": "SECOND", "expires_in": 7200}, sleep=0.3))
    assert access_token() == "FIRST"
    barrier = threading.Barrier(2)
    tokens = []

    def work():
        try:
            barrier.wait()
            tokens.append(access_token(stale="FIRST"))  # WeChat said 40001 to both
        finally:
            connections.close_all()

    threads = [threading.Thread(target=work) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert tokens == ["SECOND", "SECOND"]
    assert len(wechat.calls(TOKEN)) == 2
