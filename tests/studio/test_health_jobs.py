"""Health for an operator (issue 18): /healthz, the container's check, is 503 only when the database
is down and names a jobs fault without failing; /healthz/jobs, the monitoring check, fails when
beat has not swept for 10 minutes or no worker answers."""
from datetime import timedelta
from unittest import mock

import pytest
from django.db import DatabaseError
from django.utils import timezone

from studio import health
from studio.celery import HEARTBEAT_TASK, _before_publish
from studio.health import JOBS_STALE_AFTER, heartbeat_record
from studio.models import Heartbeat
from studio.tasks import heartbeat_task

pytestmark = pytest.mark.django_db

WORKERS = [{"celery@web-1": {"ok": "pong"}}]


@pytest.fixture
def frozen(time_machine):
    time_machine.move_to(timezone.now(), tick=False)
    return time_machine


@pytest.fixture
def workers_answer():
    with mock.patch.object(health.celery_app.control, "ping", return_value=WORKERS) as ping:
        yield ping


@pytest.fixture
def no_worker_answers():
    with mock.patch.object(health.celery_app.control, "ping", return_value=[]) as ping:
        yield ping


@pytest.fixture(autouse=True)
def _broker_ok():
    with mock.patch.object(health, "broker_state", return_value="ok"), \
            mock.patch("studio.views.broker_state", return_value="ok"):
        yield


def tick(ago: timedelta = timedelta(0)) -> None:
    """Beat sent its tick `ago`, a worker ran it now."""
    heartbeat_task.apply(headers={"sent_at": (timezone.now() - ago).isoformat()})


def test_the_tick_stamps_when_beat_sent_it_and_when_the_worker_ran_it(frozen):
    sent = timezone.now() - timedelta(seconds=30)
    heartbeat_task.apply(headers={"sent_at": sent.isoformat()})
    rows = dict(Heartbeat.objects.values_list("name", "at"))
    assert rows == {"beat": sent, "worker": timezone.now()}
    heartbeat_task.apply()  # no header (run by hand): now for both, still one row each
    assert Heartbeat.objects.count() == 2 and Heartbeat.objects.get(name="beat").at == timezone.now()
    # A tick that waited in the queue (a worker back after an outage) never sets the time back.
    heartbeat_task.apply(headers={"sent_at": sent.isoformat()})
    assert Heartbeat.objects.get(name="beat").at == timezone.now()


def test_beat_puts_its_time_on_the_tick_only(frozen):
    headers, other = {}, {}
    _before_publish(sender=HEARTBEAT_TASK, headers=headers)
    _before_publish(sender="studio.tasks.ping_task", headers=other)
    assert headers["sent_at"] == timezone.now().isoformat() and "sent_at" not in other


def test_jobs_are_healthy_after_a_recent_tick(client, frozen, workers_answer):
    tick(timedelta(minutes=1))
    response = client.get("/healthz/jobs")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["status"] == "ok" and body["faults"] == [] and body["workers"] == ["celery@web-1"]
    assert body["beat_last_sweep"]["age_seconds"] == 60
    assert client.get("/healthz").json()["status"] == "ok"


def test_a_stopped_beat_fails_the_monitoring_check_after_ten_minutes(client, frozen,
                                                                     workers_answer):
    tick()
    frozen.shift(JOBS_STALE_AFTER - timedelta(seconds=1))
    assert client.get("/healthz/jobs").status_code == 200
    frozen.shift(timedelta(seconds=2))
    response = client.get("/healthz/jobs")
    assert response.status_code == 503
    assert response.json()["faults"] == ["beat has not swept for 10 minutes"]
    assert response.json()["beat_last_sweep"]["state"] == "stale"
    # The container's check names it and stays 200: restarting web would not start beat.
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["status"] == "degraded"
    assert response.json()["faults"] == ["beat has not swept for 10 minutes"]


def test_a_beat_that_never_swept_fails_it_too(client, workers_answer):
    response = client.get("/healthz/jobs")
    assert response.status_code == 503 and response.json()["faults"] == ["beat has never swept"]
    assert client.get("/healthz").status_code == 200


def test_no_worker_answering_fails_the_monitoring_check_not_the_container(client, frozen,
                                                                        no_worker_answers):
    tick()
    response = client.get("/healthz/jobs")
    assert response.status_code == 503
    assert response.json()["faults"] == ["no worker answers"]
    assert response.json()["workers"] == []
    no_worker_answers.assert_called_once()
    response = client.get("/healthz")
    assert response.status_code == 200 and response.json()["status"] == "ok"
    no_worker_answers.assert_called_once()  # /healthz does not wait on a ping


def test_a_ping_that_raises_counts_as_no_worker(client, frozen):
    tick()
    with mock.patch.object(health.celery_app.control, "ping", side_effect=OSError("refused")):
        response = client.get("/healthz/jobs")
    assert response.status_code == 503 and response.json()["faults"] == ["no worker answers"]


def test_healthz_names_a_broker_fault_without_failing(client, frozen):
    tick()
    with mock.patch("studio.views.broker_state", return_value="error: OperationalError"):
        response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["faults"] == ["broker: error: OperationalError"]


def test_only_the_database_makes_healthz_fail(client):
    with mock.patch("studio.views.database_state", return_value="error: OperationalError"):
        response = client.get("/healthz")
        jobs = client.get("/healthz/jobs")
    assert response.status_code == 503 and response.json()["status"] == "down"
    assert response.json()["faults"] == ["database: error: OperationalError"]
    assert jobs.status_code == 503


def test_a_tick_sent_in_the_future_is_not_believed(frozen):
    heartbeat_record(sent=(timezone.now() + timedelta(hours=1)).isoformat())
    assert Heartbeat.objects.get(name="beat").at == timezone.now()


def test_a_worker_start_stamps_its_heartbeat(frozen):
    from studio.celery import _worker_ready

    _worker_ready()
    assert Heartbeat.objects.get(name="worker").at == timezone.now()
    with mock.patch("studio.health.worker_heartbeat", side_effect=DatabaseError):
        _worker_ready()  # logged, not raised: the worker starts anyway


def test_a_missing_heartbeat_table_is_named_not_a_crash(client):
    with mock.patch.object(health, "heartbeats_state", side_effect=DatabaseError("no table")):
        response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["faults"] == ["heartbeats: error: DatabaseError"]
