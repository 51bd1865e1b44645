"""Health of the database and the Celery broker, each checked with a short timeout."""
from django.conf import settings
from django.db import connection

from .celery import app as celery_app


def database_state() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # any driver error means the database is not usable
        return f"error: {exc.__class__.__name__}"
    return "ok"


def broker_state(timeout: float = 2.0) -> str:
    try:
        # The URL is read at each call, so the check follows the settings in force.
        with celery_app.connection_for_write(url=settings.CELERY_BROKER_URL) as conn:
            conn.ensure_connection(max_retries=1, interval_start=0, interval_step=0,
                                   interval_max=0, timeout=timeout)
    except Exception as exc:  # connection refused, timeout, bad URL: all mean "down"
        return f"error: {exc.__class__.__name__}"
    return "ok"
