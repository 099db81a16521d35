"""`scripts/service.sh health worker` (the compose healthcheck) follows the worker's connection to Redis."""

import subprocess
import sys

import pytest

from tests.fixtures_services import ROOT, wait_until


def healthy(stack, name: str) -> bool:
    env = stack.env(WORKER_NAME=name, PYTHON=sys.executable)
    command = [str(ROOT / "scripts" / "service.sh"), "health", "worker"]
    return subprocess.run(command, cwd=ROOT, env=env, capture_output=True, timeout=60).returncode == 0


@pytest.mark.services
def test_health_follows_the_workers_connection_to_redis(celery_stack, redis_server):
    celery_stack.start_worker("solo", as_deployed=True)
    wait_until(lambda: healthy(celery_stack, "solo"), timeout=60, message="the worker to answer")
    assert not healthy(celery_stack, "nobody"), "a worker that is not running is not healthy"
    redis_server.stop()
    assert not healthy(celery_stack, "solo"), "unhealthy without Redis"
    assert celery_stack.workers["solo"].poll() is None, "the worker itself waits for Redis"
    redis_server.start()
    wait_until(lambda: healthy(celery_stack, "solo"), timeout=90, message="healthy with Redis back")
