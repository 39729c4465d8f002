"""The Redis connection used when REDIS_URL is set (several bot processes share state there)."""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import urlsplit

if TYPE_CHECKING:
    from redis.asyncio import Redis

# Seconds to wait for Redis to connect or answer: a Redis that stops answering delays an
# event by seconds (then it goes ahead without the shared lock), never forever.
REDIS_TIMEOUT = 5.0


class RedisUnavailable(RuntimeError):
    """REDIS_URL is set but Redis cannot be used; the message is one line for the operator."""


async def connect_redis(url: str) -> Redis:
    """A Redis client that has answered a PING; `RedisUnavailable` otherwise."""
    from redis.exceptions import RedisError

    client = redis_client(url)
    try:
        await client.ping()
    except (RedisError, OSError) as exc:
        await client.aclose()
        reason = " ".join(str(exc).split()) or type(exc).__name__
        raise RedisUnavailable(
            f"no answer from Redis at {_where(url)} (REDIS_URL): {reason}"
        ) from exc
    return client


def redis_client(url: str) -> Redis:
    try:
        # Optional: a single process without REDIS_URL never needs the package.
        from redis.asyncio import Redis
    except ImportError as exc:
        raise RedisUnavailable(
            "REDIS_URL is set but the redis package is not installed: "
            "pip install 'courtyard[redis]'"
        ) from exc
    try:
        return Redis.from_url(
            url, socket_connect_timeout=REDIS_TIMEOUT, socket_timeout=REDIS_TIMEOUT
        )
    except ValueError as exc:
        raise RedisUnavailable(f"REDIS_URL is not a Redis URL: {exc}") from exc


def _where(url: str) -> str:
    """The URL without user name and password, for messages and logs."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc.rpartition('@')[2]}{parts.path}"
