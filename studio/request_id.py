"""A request id on every log line, from the web to the worker (issue 18).

RequestIdMiddleware (first in MIDDLEWARE) takes a well-formed incoming X-Request-ID (the proxy's)
or makes one, keeps it in a context variable for the request and returns it in the response's
X-Request-ID. RequestIdFilter (LOGGING, on the console handler) puts it on every record as
`request_id` ("-" outside a request). A task sent during the request carries it in its message
headers (celery's before_task_publish), and the worker takes it back for the task's log lines
(task_prerun); studio.celery connects these handlers.
"""
import logging
import re
import uuid
from collections.abc import Callable
from contextvars import ContextVar, Token
from typing import Any

from django.http import HttpRequest, HttpResponse

HEADER = "X-Request-ID"
META_KEY = "HTTP_X_REQUEST_ID"
MESSAGE_HEADER = "request_id"
NONE = "-"
# What a proxy's id looks like (a uuid, with or without dashes, or a similar token): anything else,
# or longer, is replaced, so a client cannot write into the logs through it.
VALID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{7,63}$")

_current: ContextVar[str] = ContextVar("request_id", default=NONE)


def current_request_id() -> str:
    return _current.get()


def new_request_id() -> str:
    return uuid.uuid4().hex


def request_id_from(value: str | None) -> str:
    """The incoming id when well formed, else a new one."""
    value = (value or "").strip()
    return value if VALID.match(value) else new_request_id()


class RequestIdMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request_id = request_id_from(request.META.get(META_KEY))
        request.request_id = request_id
        token = _current.set(request_id)
        try:
            response = self.get_response(request)
        finally:
            _current.reset(token)
        response[HEADER] = request_id
        return response


class RequestIdFilter(logging.Filter):
    """Adds `request_id` to every record that passes (it never drops one)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = _current.get()
        return True


# --- Celery: the id travels with the task --------------------------------------------------------

def on_before_task_publish(sender: Any = None, headers: dict | None = None, **kwargs: Any) -> None:
    request_id = _current.get()
    if headers is not None and request_id != NONE:
        headers.setdefault(MESSAGE_HEADER, request_id)


def message_header(task_request: Any, name: str) -> Any:
    """A custom header of the task's message: an attribute of the request on a worker, in
    `request.headers` when the task is applied in place (eager)."""
    value = getattr(task_request, name, None)
    if value is None:
        value = (getattr(task_request, "headers", None) or {}).get(name)
    return value


def on_task_prerun(task_id: str | None = None, task: Any = None, **kwargs: Any) -> None:
    """The worker: the id the message carries, for the task's log lines. A task run in place
    (eager, inside the request) carries none and keeps the request's."""
    request_id = message_header(getattr(task, "request", None), MESSAGE_HEADER)
    if isinstance(request_id, str) and VALID.match(request_id):
        _tokens[task_id] = _current.set(request_id)


def on_task_postrun(task_id: str | None = None, **kwargs: Any) -> None:
    token = _tokens.pop(task_id, None)
    if token is not None:
        try:
            _current.reset(token)
        except ValueError:  # set in another context (another thread): just clear it
            _current.set(NONE)


_tokens: dict[str | None, Token] = {}
