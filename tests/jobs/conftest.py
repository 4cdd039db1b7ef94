"""Job tests use a real Redis (TEST_REDIS_URL, database 5 by default, emptied around each test)
and run jobs in a real RQ worker, in this process, in burst mode."""
import os

import pytest
from redis import Redis
from redis.exceptions import ConnectionError as RedisConnectionError
from rq import SimpleWorker

from app.jobs.queue import job_queue

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/5")


@pytest.fixture
def redis():
    connection = Redis.from_url(REDIS_URL)
    try:
        connection.ping()
    except RedisConnectionError as error:
        pytest.skip(f"Redis at {REDIS_URL} is not reachable: {error}")
    connection.flushdb()  # this test database only
    yield connection
    connection.flushdb()
    connection.close()


@pytest.fixture
def config_overrides(config_overrides, stripe_settings, redis):
    return {**config_overrides, **stripe_settings, "REDIS_URL": REDIS_URL}


def work_off(redis: Redis) -> None:
    """Run every job queued now (and retries queued meanwhile) in a real RQ worker, inside the
    caller's app context, as under `flask worker`."""
    SimpleWorker([job_queue(redis)], connection=redis).work(burst=True)
