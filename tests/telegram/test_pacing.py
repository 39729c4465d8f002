"""Pacing: one chat at a time, and all chats together under Telegram's rate."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from redis.asyncio import Redis

from bot.adapters.botapi.pacing import Pacer, RedisSchedule


class FakeClock:
    """Time that passes only when someone sleeps (or, frozen, not at all)."""

    def __init__(self, *, frozen: bool = False) -> None:
        self.now = 100.0
        self.frozen = frozen
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(round(seconds, 6))
        if not self.frozen:
            self.now += seconds
        await asyncio.sleep(0)


async def test_calls_are_spaced_by_the_rate() -> None:
    clock = FakeClock()
    pacer = Pacer(rate=20, clock=clock, sleep=clock.sleep)
    for _ in range(3):
        await pacer.tick()
    assert clock.sleeps == [0.05, 0.05]


async def test_an_idle_pacer_does_not_wait() -> None:
    clock = FakeClock()
    pacer = Pacer(rate=20, clock=clock, sleep=clock.sleep)
    await pacer.tick()
    clock.now += 5
    await pacer.tick()
    assert clock.sleeps == []


async def test_concurrent_callers_get_slots_in_arrival_order() -> None:
    clock = FakeClock(frozen=True)
    pacer = Pacer(rate=10, clock=clock, sleep=clock.sleep)
    await asyncio.gather(*(pacer.tick() for _ in range(4)))
    # Every caller reserved its slot before anyone slept: 0, 0.1, 0.2, 0.3 s from now.
    assert sorted(clock.sleeps) == pytest.approx([0.1, 0.2, 0.3])


async def test_one_chat_at_a_time_other_chats_meanwhile() -> None:
    pacer = Pacer()
    order: list[str] = []
    first_inside = asyncio.Event()
    release = asyncio.Event()

    async def deliver(chat: int, name: str) -> None:
        async with pacer.chat(chat):
            order.append(f"{name} in")
            if name == "a1":
                first_inside.set()
                await release.wait()
            order.append(f"{name} out")

    first = asyncio.create_task(deliver(1, "a1"))
    await first_inside.wait()
    second = asyncio.create_task(deliver(1, "a2"))
    await deliver(2, "b")  # another chat is not held up by chat 1
    assert order == ["a1 in", "b in", "b out"]
    release.set()
    await asyncio.gather(first, second)
    assert order[3:] == ["a1 out", "a2 in", "a2 out"]


async def test_a_chat_gets_a_small_burst_then_one_message_a_second() -> None:
    clock = FakeClock()
    pacer = Pacer(rate=1000, clock=clock, sleep=clock.sleep)
    for _ in range(5):
        async with pacer.chat(42):
            pass
    # Three at once (a flow's replies), then spaced a second apart.
    assert clock.sleeps == [pytest.approx(1.0), pytest.approx(1.0)]


async def test_a_group_gets_one_message_every_three_seconds_after_its_burst() -> None:
    clock = FakeClock()
    pacer = Pacer(rate=1000, clock=clock, sleep=clock.sleep)
    for _ in range(4):
        async with pacer.chat(-100500):
            pass
    assert clock.sleeps == [pytest.approx(3.0)]


async def test_a_flood_wait_holds_every_sender() -> None:
    clock = FakeClock()
    pacer = Pacer(rate=20, clock=clock, sleep=clock.sleep)
    await pacer.hold(7)
    await pacer.tick()
    assert clock.sleeps == [pytest.approx(7.0)]


async def test_processes_sharing_redis_share_one_budget(redis: Redis) -> None:
    client = redis
    key = f"courtyard:test:pace:{uuid.uuid4().hex}"
    await client.delete(key)
    try:
        # Two "processes" (two schedules on the same key) reserving at once: their slots
        # interleave on one 0.1 s grid, as one sender's would.
        first, second = RedisSchedule(client, key), RedisSchedule(client, key)
        waits = await asyncio.gather(*(s.reserve(0.1) for s in (first, second) * 3))
        assert sorted(round(w, 1) for w in waits) == [0.0, 0.1, 0.2, 0.3, 0.4, 0.5]
        await first.hold(2.0)
        assert await second.reserve(0.1) >= 1.9
    finally:
        await client.delete(key)
