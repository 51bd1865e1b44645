"""A real task through the real broker to a real worker (Redis in CI and production)."""
import pytest

pytestmark = pytest.mark.live_celery


def test_a_task_sent_through_redis_is_run_by_a_worker_and_its_result_comes_back(live_worker):
    from studio.tasks import ping_task

    result = ping_task.apply_async(args=["影楼"], queue=live_worker)
    assert result.get(timeout=60) == "pong:影楼"
