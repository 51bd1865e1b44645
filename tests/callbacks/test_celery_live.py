"""Completing a stage creates its callback through Redis and a real worker; a broker outage
delays the callback but loses nothing (the sweep creates it)."""
import time

import pytest
from django.db import connection
from django.utils import timezone

from callbacks.models import CallbackTask
from callbacks.services import callbacks_sweep_completed_stages
from orders.models import OrderStage
from orders.services import stage_complete

pytestmark = [
    pytest.mark.live_celery,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql",
                       reason="the worker process needs a database it can share with the test"),
]


def _wait_for(condition, seconds: float = 120) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.3)
    return False


def test_completing_a_stage_creates_its_callback_through_the_broker(live_worker, order,
                                                                    front_desk):
    stage = stage_complete(order=order, kind="gown", by=front_desk)
    assert _wait_for(lambda: CallbackTask.objects.filter(stage=stage).exists())


@pytest.mark.clock
def test_with_the_broker_down_the_stage_completes_and_the_sweep_creates_the_callback(
        live_worker, order, front_desk):
    from studio.celery import app

    good = app.conf.broker_url
    app.conf.broker_url = "redis://127.0.0.1:1/0"  # nothing listens there
    app._pool = None
    app.amqp._producer_pool = None
    try:
        stage = stage_complete(order=order, kind="gown", by=front_desk)
    finally:
        app.conf.broker_url = good
        app._pool = None
        app.amqp._producer_pool = None
    assert OrderStage.objects.get(pk=stage.pk).status == "done"
    assert not CallbackTask.objects.filter(stage=stage).exists()
    assert callbacks_sweep_completed_stages(now=timezone.now()) == 1
    assert CallbackTask.objects.filter(stage=stage).count() == 1
