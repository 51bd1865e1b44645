"""A receiver for the deliveries: an HTTP server on 127.0.0.1 started by the test, in a thread.
It records each request (headers, body) and answers from a script: a status code, or "hang"
(answers after the sender's timeout)."""
import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from staff.models import Role
from webhooks.models import WebhookEndpoint, WebhookEvent


@dataclass
class Received:
    path: str
    headers: dict
    body: bytes

    @property
    def json(self) -> dict:
        return json.loads(self.body)


@dataclass
class Receiver:
    url: str
    requests: list = field(default_factory=list)
    script: list = field(default_factory=list)  # answers to come; 200 once it is empty
    hang_seconds: float = 1.5

    def answer(self):
        return self.script.pop(0) if self.script else 200


@pytest.fixture
def receiver():
    state = Receiver(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            state.requests.append(Received(self.path, dict(self.headers), body))
            answer = state.answer()
            if answer == "hang":
                time.sleep(state.hang_seconds)
                answer = 200
            try:
                self.send_response(answer)
                self.send_header("Content-Type", "text/plain; charset=utf-8")
                self.end_headers()
                self.wfile.write("好的".encode() if answer < 300 else "出错了".encode())
            except (BrokenPipeError, ConnectionResetError):
                pass  # the sender gave up waiting

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}/hook"
    yield state
    server.shutdown()
    server.server_close()


@pytest.fixture
def endpoint(store, manager, receiver):
    """An endpoint of store S01 subscribed to every event, at the receiver."""
    return WebhookEndpoint.objects.create(store=store, url=receiver.url, created_by=manager,
                                          events=list(WebhookEvent.values))


@pytest.fixture
def cashier(staff_of):
    return staff_of(Role.CASHIER, user__username="cashier").user
