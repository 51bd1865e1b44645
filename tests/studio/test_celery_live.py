"""A real task through the real broker to a real worker (Redis in CI and production)."""
import os
import subprocess
import sys
import uuid

import pytest
from django.conf import settings

pytestmark = pytest.mark.live_celery


@pytest.fixture
def worker():
    if not settings.CELERY_BROKER_URL.startswith("redis"):
        pytest.skip("needs CELERY_BROKER_URL=redis://… (run in CI against this machine's Redis)")
    queue = f"test-{uuid.uuid4().hex[:8]}"  # a queue of its own: no other worker takes it
    process = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "studio", "worker", "--pool=solo", "-Q", queue,
         "--without-heartbeat", "--without-gossip", "--without-mingle", "--loglevel=WARNING"],
        cwd=settings.BASE_DIR, env={**os.environ, "DJANGO_SETTINGS_MODULE": "studio.settings"},
    )
    yield queue
    process.terminate()
    process.wait(timeout=30)


def test_a_task_sent_through_redis_is_run_by_a_worker_and_its_result_comes_back(worker):
    from studio.tasks import ping_task

    result = ping_task.apply_async(args=["影楼"], queue=worker)
    assert result.get(timeout=60) == "pong:影楼"
