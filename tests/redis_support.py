"""The test Redis: where it is, and whether its tests must run (CI) or may skip."""

from __future__ import annotations

import os

from redis.asyncio import Redis

REDIS_URL = os.environ.get("COURTYARD_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
# Under CI (or when asked) the Redis tests must run; elsewhere they may skip.
REDIS_REQUIRED = os.environ.get("CI") == "true" or os.environ.get("COURTYARD_REQUIRE_REDIS") == "1"


def redis_client(url: str = REDIS_URL) -> Redis:
    return Redis.from_url(url, socket_connect_timeout=3, socket_timeout=5)
