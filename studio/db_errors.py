"""A database that fails (down, restarting, a lock wait that timed out, a broken connection)
answers with a clear message and 503, not the 500 page with a trace: a page gets a short
Chinese page, the API JSON. The failed request wrote nothing (each service is one transaction,
rolled back whole); the error is logged with its traceback for the administrators.

MIDDLEWARE: "studio.db_errors.DatabaseErrorMiddleware" (last, so it sees the view's exception
first). The DRF views answer through studio.api.exception_handler, which says the same.
"""
import logging

from django.db import DatabaseError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.html import format_html
from django.utils.translation import gettext as _

logger = logging.getLogger(__name__)
RETRY_AFTER_SECONDS = 30
CODE = "database_unavailable"


def database_error_message() -> str:
    return _("数据库暂时无法处理请求，本次操作未保存。请稍后重试；如果一直出现，请联系系统管理员。")


def database_error_response(request: HttpRequest) -> HttpResponse:
    """503 with the message: JSON for the API (and clients asking for JSON), else a page that
    needs nothing from the database (no base template, no user menu)."""
    if request.path.startswith("/api/") or "application/json" in request.headers.get("Accept", ""):
        response: HttpResponse = JsonResponse(
            {"detail": database_error_message(), "code": CODE}, status=503)
    else:
        response = HttpResponse(format_html(
            '<!doctype html>\n<html lang="zh-hans"><head><meta charset="utf-8"><title>{}</title>'
            '</head>\n<body style="font-family: system-ui, sans-serif; text-align: center; '
            'padding: 4rem;">\n  <h1>{}</h1>\n  <p>{}</p>\n  <p><a href="{}">{}</a> · '
            '<a href="/">{}</a></p>\n</body></html>\n',
            _("系统繁忙"), _("系统暂时繁忙"), database_error_message(),
            request.get_full_path() if request.method == "GET" else request.path,
            _("重试"), _("返回工作台")), status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


class DatabaseErrorMiddleware:
    """Turn a DatabaseError (OperationalError, InterfaceError, …) raised by a view into the
    503 message; anything else goes on to Django's 500 handling."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, DatabaseError):
            return None
        logger.error("database error on %s %s", request.method, request.path,
                     exc_info=(type(exception), exception, exception.__traceback__))
        return database_error_response(request)
