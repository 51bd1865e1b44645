"""A request id on every log line, from the web to the worker (issue 18, studio/request_id.py)."""
import logging
import re
from types import SimpleNamespace

import pytest
from django.conf import settings
from django.test import RequestFactory
from django.urls import reverse

from studio import request_id
from studio.request_id import (
    RequestIdFilter,
    RequestIdMiddleware,
    current_request_id,
    on_before_task_publish,
    on_task_postrun,
    on_task_prerun,
)

HEX = re.compile(r"^[0-9a-f]{32}$")


class Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.addFilter(RequestIdFilter())
        self.lines: list[str] = []
        self.setFormatter(logging.Formatter(settings.LOGGING["formatters"]["plain"]["format"]))

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


@pytest.fixture
def collected():
    handler = Collect()
    logger = logging.getLogger("studio.test_request_id")
    logger.addHandler(handler)
    yield logger, handler
    logger.removeHandler(handler)


def run(view, **meta):
    return RequestIdMiddleware(view)(RequestFactory().get("/", **meta))


def answer_with_the_id(request):
    from django.http import HttpResponse

    logging.getLogger("studio.test_request_id").warning("in the view")
    return HttpResponse(current_request_id())


def test_a_request_gets_a_new_id_when_it_brings_none(collected):
    _logger, handler = collected
    response = run(answer_with_the_id)
    assert HEX.match(response["X-Request-ID"])
    assert response.content.decode() == response["X-Request-ID"]
    assert f"[{response['X-Request-ID']}]" in handler.lines[0]
    assert current_request_id() == "-"  # and nothing is left behind after the request


def test_the_proxys_id_is_kept(collected):
    incoming = "4f1c2a9e-0b7d-4c1e-9a55-1d2e3f4a5b6c"
    response = run(answer_with_the_id, HTTP_X_REQUEST_ID=incoming)
    assert response["X-Request-ID"] == incoming == response.content.decode()


@pytest.mark.parametrize("forged", ["abc", "x" * 65, "id\nINFO fake line", "<script>", " "])
def test_a_malformed_id_is_replaced(forged):
    response = run(answer_with_the_id, HTTP_X_REQUEST_ID=forged)
    assert HEX.match(response["X-Request-ID"])


def test_a_line_outside_a_request_shows_a_dash(collected):
    logger, handler = collected
    logger.warning("from a sweep")
    assert "[-]" in handler.lines[0]


@pytest.mark.django_db
def test_every_page_answers_with_its_id(client):
    response = client.get(reverse("login"), HTTP_X_REQUEST_ID="req-0123456789")
    assert response["X-Request-ID"] == "req-0123456789"
    assert HEX.match(client.get("/healthz")["X-Request-ID"])


def test_a_task_sent_during_a_request_carries_the_id_and_the_worker_takes_it_back(collected):
    logger, handler = collected
    headers: dict = {}

    def send(request):
        on_before_task_publish(sender="studio.tasks.ping_task", headers=headers)
        from django.http import HttpResponse

        return HttpResponse()

    sent = run(send)["X-Request-ID"]
    assert headers == {"request_id": sent}
    # The worker: celery's task_prerun with the message's headers on the task's request.
    task = SimpleNamespace(request=SimpleNamespace(request_id=sent))
    on_task_prerun(task_id="t1", task=task)
    logger.warning("the worker's line")
    on_task_postrun(task_id="t1")
    logger.warning("after the task")
    assert f"[{sent}] studio.test_request_id the worker's line" in handler.lines[0]
    assert "[-]" in handler.lines[1]


def test_a_task_sent_outside_a_request_carries_none():
    headers: dict = {}
    on_before_task_publish(sender="x", headers=headers)
    assert headers == {}


def test_an_eager_task_inside_a_request_keeps_the_requests_id(collected):
    seen = []

    def view(request):
        from django.http import HttpResponse

        on_task_prerun(task_id="eager", task=SimpleNamespace(request=SimpleNamespace(headers=None)))
        seen.append(current_request_id())
        on_task_postrun(task_id="eager")
        seen.append(current_request_id())
        return HttpResponse()

    sent = run(view)["X-Request-ID"]
    assert seen == [sent, sent]


def test_the_celery_handlers_are_connected():
    from celery.signals import task_postrun, task_prerun

    import studio.celery  # noqa: F401 (connects them)

    def connected(signal) -> list:
        return [entry[-1] for entry in signal.receivers]

    assert request_id.on_task_prerun in connected(task_prerun)
    assert request_id.on_task_postrun in connected(task_postrun)


def test_logging_formats_the_id():
    assert "%(request_id)s" in settings.LOGGING["formatters"]["plain"]["format"]
    assert "request_id" in settings.LOGGING["handlers"]["console"]["filters"]
    assert settings.MIDDLEWARE[0] == "studio.request_id.RequestIdMiddleware"
