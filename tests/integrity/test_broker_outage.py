"""Redis down (a closed port) or hung (a port that accepts and never answers): a request that
queues work answers within 3 seconds with its data committed; the work waits in its row (the
SMS outbox, the export job, the completed stage) and the beat sweep does it exactly once when
the broker is back."""
import logging
import socket
import threading
import time
from datetime import timedelta

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from callbacks.models import CallbackTask
from callbacks.services import callbacks_create_for_stage
from orders.models import OrderStage, StageStatus
from orders.services import stage_complete
from studio.celery import app
from studio.models import AuditAction, AuditEntry, ExportJob, ExportStatus, SmsMessage, SmsStatus
from studio.tasks import broker_backoff_reset
from tests.factories import CustomerFactory

from .conftest import lost_messages, project_tasks, run_task

# Not forced eager by tests/conftest.py: these requests really publish.
pytestmark = [pytest.mark.live_celery, pytest.mark.django_db]
ANSWER_WITHIN = 3.0


@pytest.fixture
def hung_port():
    """A TCP port that accepts connections and never says a word."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(64)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept():
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(server.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield server.getsockname()[1]
    stop.set()
    thread.join()
    for conn in held:
        conn.close()
    server.close()


@pytest.fixture
def closed_port():
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()  # nothing listens there now: connections are refused
    return port


@pytest.fixture(params=["hung", "down"])
def broker_out(request):
    """The app's broker pointed at a hung or a closed port for the test; restored after."""
    port = request.getfixturevalue("hung_port" if request.param == "hung" else "closed_port")
    good, eager = app.conf.broker_url, app.conf.task_always_eager
    broken = f"redis://127.0.0.1:{port}/12"
    # Celery reads CELERY_BROKER_URL from the environment before its own settings (CI sets it).
    request.getfixturevalue("monkeypatch").setenv("CELERY_BROKER_URL", broken)
    app.conf.broker_url, app.conf.task_always_eager = broken, False
    app._pool = None
    broker_backoff_reset()
    yield request.param
    app.conf.broker_url, app.conf.task_always_eager = good, eager
    app._pool = None
    broker_backoff_reset()


def request_warm_up() -> None:
    """The first request of a process loads URLs and templates: not the broker's doing."""
    from django.test import Client

    Client().get("/")


@pytest.fixture
def timed(django_capture_on_commit_callbacks, caplog):
    """timed(request) -> (response, seconds), on-commit work (the enqueue) included: the test's
    transaction commits when the capture ends, as the request's own would before answering.
    Checks that the enqueue really met the broken broker (and gave up)."""

    def run(request):
        request_warm_up()
        start = time.monotonic()
        with caplog.at_level(logging.WARNING, logger="studio.tasks"):
            with django_capture_on_commit_callbacks(execute=True):
                response = request()
        took = time.monotonic() - start
        assert "broker unavailable" in caplog.text
        return response, took

    return run


def sweep_twice(name: str) -> None:
    """The broker is back: beat runs the sweep (eagerly here), and runs it again."""
    app.conf.task_always_eager = True
    task = project_tasks()[name]
    run_task(task)
    run_task(task)


def test_completing_a_stage_answers_in_time_and_the_sweep_creates_one_callback(
        broker_out, client, specialist, order, timed):
    client.force_login(specialist)
    url = reverse("orders:stage_complete", args=[order.pk])
    response, took = timed(lambda: client.post(url, {"kind": "gown"}))
    assert response.status_code == 302 and took < ANSWER_WITHIN, took
    stage = OrderStage.objects.get(order=order, kind="gown")
    assert stage.status == StageStatus.DONE
    assert not CallbackTask.objects.filter(stage=stage).exists()  # the message never left

    sweep_twice("callbacks.tasks.sweep_completed_stages_task")
    assert CallbackTask.objects.filter(stage=stage).count() == 1


@pytest.mark.clock
def test_an_sms_from_the_call_page_answers_in_time_and_is_sent_once(
        broker_out, client, specialist, order, front_desk, timed):
    with lost_messages():
        stage = stage_complete(order=order, kind="gown", by=front_desk)
    callbacks_create_for_stage(stage_id=stage.pk)
    task = CallbackTask.objects.get(stage=stage)
    client.force_login(specialist)
    url = reverse("callbacks:sms", args=[task.pk])
    response, took = timed(lambda: client.post(url, {"template": "survey"}))
    assert response.status_code == 302 and took < ANSWER_WITHIN, took
    message = SmsMessage.objects.get()
    assert (message.status, message.attempts) == (SmsStatus.QUEUED, 0)

    SmsMessage.objects.update(created_at=timezone.now() - timedelta(minutes=10))
    sweep_twice("studio.tasks.resend_queued_sms_task")
    message.refresh_from_db()
    assert (message.status, message.attempts) == (SmsStatus.SENT, 1)


@pytest.mark.clock
def test_a_large_export_answers_in_time_and_the_job_runs_once(
        broker_out, client, supervisor, store, settings, timed):
    CustomerFactory.create_batch(3, store=store)
    settings.EXPORT_BACKGROUND_ROWS = 1
    client.force_login(supervisor)
    response, took = timed(lambda: client.get("/customers/", {"export": "xlsx"}))
    job = ExportJob.objects.get()
    assert response.status_code == 302 and took < ANSWER_WITHIN, took
    assert job.status == ExportStatus.QUEUED

    ExportJob.objects.update(created_at=timezone.now() - timedelta(minutes=2))
    sweep_twice("studio.tasks.sweep_export_jobs_task")
    job.refresh_from_db()
    assert (job.status, job.done_rows) == (ExportStatus.DONE, 3)
    assert AuditEntry.objects.filter(action=AuditAction.EXPORT).count() == 1


def test_one_request_queuing_many_messages_waits_for_a_hung_broker_once(
        broker_out, store, front_desk):
    """A sweep or a page that queues many messages: after the first failure the broker is left
    alone for a while, so twenty sends cost one timeout, not twenty."""
    from studio.sms import sms_queue

    start = time.monotonic()
    for i in range(20):
        sms_queue(mobile=f"1390000{i:04d}", body="测试", purpose="test", store_id=store.pk)
    assert time.monotonic() - start < ANSWER_WITHIN
    assert SmsMessage.objects.filter(status=SmsStatus.QUEUED).count() == 20


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql",
                    reason="the worker process needs a database it can share with the test")
@pytest.mark.clock
def test_with_redis_back_a_real_worker_sends_the_held_message_once(
        live_worker, hung_port, store, client, specialist, order, front_desk):
    """The whole way: the request meets a hung broker, Redis comes back, beat's sweep publishes
    through it and a real worker sends the message, once."""
    from studio.sms import sms_queue

    good = app.conf.broker_url
    app.conf.broker_url = f"redis://127.0.0.1:{hung_port}/12"
    broker_backoff_reset()
    try:
        start = time.monotonic()
        message = sms_queue(mobile="13900001111", body="测试", purpose="test", store_id=store.pk)
        assert time.monotonic() - start < ANSWER_WITHIN
    finally:
        app.conf.broker_url = good
        broker_backoff_reset()
    assert SmsMessage.objects.get(pk=message.pk).status == SmsStatus.QUEUED

    SmsMessage.objects.update(created_at=timezone.now() - timedelta(minutes=10))
    from studio.tasks import resend_queued_sms_task

    assert resend_queued_sms_task() == 1  # beat's sweep, publishing to the real Redis
    assert resend_queued_sms_task() == 1  # a second sweep before the worker ran: sent again
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        message.refresh_from_db()
        if message.status == SmsStatus.SENT:
            break
        time.sleep(0.3)
    time.sleep(1)  # let the second message reach the worker too
    message.refresh_from_db()
    assert (message.status, message.attempts) == (SmsStatus.SENT, 1)
