"""The load test of `make bench`: stage lists under gunicorn, as the specialists and supervisors
who use them. bench.run passes logged-in session keys (BENCH_SESSIONS, comma-separated), so
no password is needed; run by hand with those set:

    BENCH_SESSIONS=<key>,<key> locust -f bench/locustfile.py --headless -u 20 -r 20 -t 30s \
        --host http://127.0.0.1:8000
"""
import itertools
import os
import random

from locust import HttpUser, between, task

SESSIONS = itertools.cycle([s for s in os.environ.get("BENCH_SESSIONS", "").split(",") if s])
COOKIE = os.environ.get("BENCH_SESSION_COOKIE", "sessionid")
KINDS = ["order", "gown", "shoot", "selection", "pickup"]


class StageListUser(HttpUser):
    wait_time = between(0, 0)  # closed loop: 20 users, each sends the next request at once

    def on_start(self) -> None:
        self.client.cookies.set(COOKIE, next(SESSIONS))

    @task(3)
    def first_page(self) -> None:
        kind = random.choice(KINDS)
        self.client.get(f"/stages/{kind}/", name="/stages/<kind>/")

    @task(1)
    def filtered(self) -> None:
        kind = random.choice(KINDS)
        self.client.get(f"/stages/{kind}/?state=open&owing=yes", name="/stages/<kind>/?state=open&owing=yes")
