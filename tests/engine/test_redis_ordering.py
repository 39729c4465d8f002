"""Per-user ordering across processes through Redis (REDIS_URL), against a real Redis.

Each test works under a key prefix of its own and deletes its keys. Without a Redis at
COURTYARD_TEST_REDIS_URL the tests skip, except under CI, where they fail.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import uuid
from collections.abc import AsyncIterator

import pytest
from redis.asyncio import Redis

from bot.app import build_engine, build_flows, open_services
from bot.commands.console import chat
from bot.engine.events import ChatRef, Incoming, UserRef
from bot.engine.ordering import KeyedLocks
from bot.engine.redis_ordering import RedisKeyedLocks
from bot.redis_client import RedisUnavailable
from bot.services import Services
from bot.settings import Settings
from storage.db import Database
from storage.migrate import upgrade
from tests.harness import RecordingTransport
from tests.redis_support import REDIS_URL
from tests.redis_support import redis_client as _client

# Nothing listens on port 1: the address of a Redis that does not answer.
DEAD_REDIS_URL = "redis://:hunter2@127.0.0.1:1/0"
USER, OTHER_USER = 1001, 1002
# Generous bounds: they only stop a broken lock from hanging the suite.
PATIENCE = 10.0
LOGGER = "bot.engine.redis_ordering"


@pytest.fixture
async def other(redis: Redis) -> AsyncIterator[Redis]:
    """A second client with connections of its own: the other process."""
    client = _client()
    yield client
    await client.aclose()


@pytest.fixture
async def prefix(redis: Redis) -> AsyncIterator[str]:
    """A key prefix no other test (or deployment) uses; its keys are deleted afterwards."""
    prefix = f"courtyard-test:{uuid.uuid4().hex}:"
    yield prefix
    keys = [key async for key in redis.scan_iter(match=f"{prefix}*")]
    if keys:
        await redis.delete(*keys)


async def test_two_processes_take_turns_with_the_same_user(
    redis: Redis, other: Redis, prefix: str
) -> None:
    first = RedisKeyedLocks(redis, prefix=prefix, timeout=20, poll_interval=0.01)
    second = RedisKeyedLocks(other, prefix=prefix, timeout=20, poll_interval=0.01)
    order: list[str] = []
    inside, release = asyncio.Event(), asyncio.Event()
    lease_ms: list[int] = []

    async def handle(locks: RedisKeyedLocks, name: str, *, hold_open: bool = False) -> None:
        async with locks.hold(USER):
            order.append(f"start {name}")
            if hold_open:
                lease_ms.append(await redis.pttl(locks.key(USER)))
                inside.set()
                await release.wait()
            order.append(f"end {name}")

    a = asyncio.create_task(handle(first, "a", hold_open=True))
    await asyncio.wait_for(inside.wait(), PATIENCE)
    # The second process gets two events of the user while the first one handles one.
    b = asyncio.create_task(handle(second, "b"))
    await asyncio.sleep(0.1)  # b is polling Redis by now
    c = asyncio.create_task(handle(second, "c"))
    # And the first process gets one more.
    d = asyncio.create_task(handle(first, "d"))
    await asyncio.sleep(0.1)
    assert order == ["start a"]
    assert len(first) == len(second) == 1

    release.set()
    await asyncio.wait_for(asyncio.gather(a, b, c, d), PATIENCE)

    # One at a time: every start is followed by its own end.
    starts, ends = order[0::2], order[1::2]
    assert [s.split()[1] for s in starts] == [e.split()[1] for e in ends]
    assert sorted(starts) == ["start a", "start b", "start c", "start d"]
    assert order[:2] == ["start a", "end a"]
    # Within a process, first come first served.
    assert order.index("start b") < order.index("start c")
    # The lock carries its timeout, so a crash cannot hold the user forever.
    assert 0 < lease_ms[0] <= 20_000
    assert len(first) == len(second) == 0
    assert await redis.exists(first.key(USER)) == 0


async def test_different_users_do_not_wait_for_each_other(
    redis: Redis, other: Redis, prefix: str
) -> None:
    first = RedisKeyedLocks(redis, prefix=prefix, poll_interval=0.01)
    second = RedisKeyedLocks(other, prefix=prefix, poll_interval=0.01)
    inside, release = asyncio.Event(), asyncio.Event()
    handled: list[int] = []

    async def hold_user() -> None:
        async with first.hold(USER):
            inside.set()
            await release.wait()

    holder = asyncio.create_task(hold_user())
    await asyncio.wait_for(inside.wait(), PATIENCE)

    async def handle(locks: RedisKeyedLocks, user: int) -> None:
        async with locks.hold(user):
            handled.append(user)

    # Another user, in the other process and in this one, goes straight through.
    await asyncio.wait_for(handle(second, OTHER_USER), PATIENCE)
    await asyncio.wait_for(handle(first, OTHER_USER + 1), PATIENCE)
    assert handled == [OTHER_USER, OTHER_USER + 1]
    assert not holder.done()

    release.set()
    await asyncio.wait_for(holder, PATIENCE)


async def test_a_crashed_holder_frees_the_user_after_its_timeout(
    redis: Redis, other: Redis, prefix: str, caplog: pytest.LogCaptureFixture
) -> None:
    locks = RedisKeyedLocks(
        other, prefix=prefix, timeout=5, blocking_timeout=PATIENCE, poll_interval=0.02
    )
    # A process took the user's lock with a short timeout, then died without releasing it.
    crashed = redis.lock(locks.key(USER), timeout=0.5, thread_local=False)
    assert await crashed.acquire(blocking=False)

    with caplog.at_level(logging.WARNING, logger=LOGGER):
        async with asyncio.timeout(PATIENCE), locks.hold(USER):
            holder = await redis.get(locks.key(USER))

    # The lock was taken over once it expired, not bypassed.
    assert holder is not None
    assert holder != crashed.local.token
    assert not [r for r in caplog.records if r.name == LOGGER]


async def test_a_lock_taken_too_long_is_bypassed_with_a_warning_not_dropped(
    redis: Redis, other: Redis, prefix: str, caplog: pytest.LogCaptureFixture
) -> None:
    locks = RedisKeyedLocks(other, prefix=prefix, blocking_timeout=0.2, poll_interval=0.02)
    # Another process is still (slowly) handling the user.
    slow = redis.lock(locks.key(USER), timeout=60, thread_local=False)
    assert await slow.acquire(blocking=False)
    handled = False

    with caplog.at_level(logging.WARNING, logger=LOGGER):
        async with asyncio.timeout(PATIENCE), locks.hold(USER):
            handled = True

    assert handled
    assert "handling without it" in caplog.text
    # Going ahead never releases the other process's lock.
    assert await redis.get(locks.key(USER)) == slow.local.token


async def test_a_lock_outlived_by_its_handler_is_reported(
    redis: Redis, prefix: str, caplog: pytest.LogCaptureFixture
) -> None:
    locks = RedisKeyedLocks(redis, prefix=prefix, timeout=0.1)

    with caplog.at_level(logging.WARNING, logger=LOGGER):
        async with locks.hold(USER):
            await asyncio.sleep(0.4)  # the lock expires meanwhile

    assert "another process may have handled" in caplog.text
    assert len(locks) == 0


async def test_events_go_ahead_when_redis_stops_answering(
    caplog: pytest.LogCaptureFixture,
) -> None:
    dead = _client(DEAD_REDIS_URL)
    locks = RedisKeyedLocks(dead)
    handled = False
    try:
        with caplog.at_level(logging.WARNING, logger=LOGGER):
            async with asyncio.timeout(PATIENCE), locks.hold(USER):
                handled = True
    finally:
        await dead.aclose()

    assert handled
    assert "Redis did not answer" in caplog.text
    assert "hunter2" not in caplog.text


async def test_the_engine_built_with_redis_url_waits_for_the_other_process(
    redis: Redis, prefix: str, tmp_path
) -> None:
    settings = Settings(
        _env_file=None,
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'courtyard.db'}",
        redis_url=REDIS_URL,
    )
    await upgrade(settings.database_url)
    services = await open_services(settings)
    try:
        transport = RecordingTransport()
        engine = build_engine(services, transport)
        assert isinstance(engine.locks, RedisKeyedLocks)
        assert engine.locks.redis is services.redis
        engine.locks.prefix = prefix
        other_process = RedisKeyedLocks(redis, prefix=prefix)
        inside, release = asyncio.Event(), asyncio.Event()

        async def busy_elsewhere() -> None:
            async with other_process.hold(USER):
                inside.set()
                await release.wait()

        elsewhere = asyncio.create_task(busy_elsewhere())
        await asyncio.wait_for(inside.wait(), PATIENCE)
        event = Incoming(
            user=UserRef(USER, "", "en"), chat=ChatRef(USER), text="/help", command="help"
        )
        handled = asyncio.create_task(engine.handle(event))
        await asyncio.sleep(0.2)
        assert transport.sent == []  # the user's event waits for the other process

        release.set()
        await asyncio.wait_for(asyncio.gather(elsewhere, handled), PATIENCE)
        assert transport.to(USER)
    finally:
        await services.aclose()


async def test_services_built_by_hand_get_a_client_from_redis_url(tmp_path) -> None:
    settings = Settings(
        _env_file=None,
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'courtyard.db'}",
        redis_url=REDIS_URL,
    )
    services = Services(settings=settings, db=Database(settings.database_url), flows=build_flows())
    try:
        engine = build_engine(services, RecordingTransport())
        assert isinstance(engine.locks, RedisKeyedLocks)
        assert services.redis is not None
        assert engine.locks.redis is services.redis
    finally:
        await services.aclose()


async def test_without_redis_url_the_engine_orders_in_process_only(tmp_path) -> None:
    settings = Settings(
        _env_file=None, database_url=f"sqlite+aiosqlite:///{tmp_path / 'courtyard.db'}"
    )
    services = await open_services(settings, check_schema=False)
    try:
        assert services.redis is None
        assert isinstance(build_engine(services, RecordingTransport()).locks, KeyedLocks)
    finally:
        await services.aclose()


async def test_a_redis_that_does_not_answer_stops_the_command_with_one_line(
    tmp_path, capsys: pytest.CaptureFixture[str]
) -> None:
    settings = Settings(
        _env_file=None,
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'courtyard.db'}",
        redis_url=DEAD_REDIS_URL,
    )
    await upgrade(settings.database_url)

    status = await chat(argparse.Namespace(as_user=None, jsonl=False), settings)

    err = capsys.readouterr().err
    assert status == 2
    assert err.count("\n") == 1
    assert err.startswith("courtyard: no answer from Redis at redis://127.0.0.1:1/0")
    assert "hunter2" not in err
    with pytest.raises(RedisUnavailable):
        await open_services(settings)
