"""Pacing of outgoing messages, so that Telegram never has to slow the bot down.

Telegram allows a bot about 30 messages a second in total, about one a second in one private
chat and 20 a minute in one group, and answers 429 beyond that. Three rules keep us under it:

- all messages share one schedule that spaces them at least 1/rate seconds apart (`tick`);
  with REDIS_URL the schedule is kept in Redis, so several processes share one budget;
- messages to one chat go out one after another (a media group and the text that follows it
  stay together), spaced per chat (`chat`): a burst of a few (a flow's two or three replies)
  goes at once, beyond it one a second in private and one every three seconds in a group;
- a 429 holds the whole schedule for `retry_after` (`hold`), for every process sharing it.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Protocol

from bot.engine.ordering import KeyedLocks

if TYPE_CHECKING:
    from redis.asyncio import Redis

# A margin under Telegram's ~30 messages per second.
DEFAULT_RATE = 25.0
# Per chat: the interval once a burst is spent, and the burst.
PRIVATE_INTERVAL, GROUP_INTERVAL = 1.0, 3.0
CHAT_BURST = 3
# Chats not written to for this long are forgotten (their spacing has long passed).
CHAT_MEMORY = 60.0

Sleep = Callable[[float], Awaitable[None]]


class Schedule(Protocol):
    """The global send schedule: `reserve` returns how long to wait for one slot."""

    async def reserve(self, interval: float) -> float: ...

    async def hold(self, seconds: float) -> None: ...


class LocalSchedule:
    """The schedule of one process."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._next_free = 0.0

    async def reserve(self, interval: float) -> float:
        # No await between reading and moving the next free slot: concurrent callers each
        # get their own slot in arrival order without a lock.
        now = self._clock()
        slot = max(now, self._next_free)
        self._next_free = slot + interval
        return slot - now

    async def hold(self, seconds: float) -> None:
        self._next_free = max(self._next_free, self._clock() + seconds)


# One round trip: the next free slot in microseconds by Redis's own clock (the same for every
# process), moved on by one interval; the key expires once idle.
_RESERVE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local free = tonumber(redis.call('GET', KEYS[1]) or '0')
local slot = math.max(now, free)
redis.call('SET', KEYS[1], slot + tonumber(ARGV[1]), 'PX', 60000)
return slot - now
"""
_HOLD = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local free = tonumber(redis.call('GET', KEYS[1]) or '0')
local until_ = math.max(free, now + tonumber(ARGV[1]))
redis.call('SET', KEYS[1], until_, 'PX', math.floor((until_ - now) / 1000) + 60000)
return until_ - now
"""


class RedisSchedule:
    """The schedule shared by every process on one Redis (REDIS_URL)."""

    def __init__(self, redis: Redis, key: str = "courtyard:pace:global") -> None:
        self._redis, self._key = redis, key

    async def reserve(self, interval: float) -> float:
        waited = await self._redis.eval(_RESERVE, 1, self._key, int(interval * 1_000_000))
        return int(waited) / 1_000_000

    async def hold(self, seconds: float) -> None:
        await self._redis.eval(_HOLD, 1, self._key, int(seconds * 1_000_000))


class Pacer:
    def __init__(
        self,
        rate: float = DEFAULT_RATE,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Sleep = asyncio.sleep,
        schedule: Schedule | None = None,
        chat_burst: int = CHAT_BURST,
    ) -> None:
        self.rate = rate
        self._interval = 1.0 / rate
        self._clock = clock
        self._sleep = sleep
        self._schedule = schedule or LocalSchedule(clock)
        self._turns = asyncio.Lock()
        self._chats = KeyedLocks()
        self._chat_burst = chat_burst
        # chat id -> theoretical arrival time of its next message (GCRA).
        self._chat_due: dict[int, float] = {}

    @asynccontextmanager
    async def chat(self, chat_id: int) -> AsyncIterator[None]:
        """Holds the chat for one delivery (which may be several API calls), after its turn
        in the chat's own spacing."""
        async with self._chats.hold(chat_id):
            wait = self._chat_wait(chat_id)
            if wait > 0:
                await self._sleep(wait)
            yield

    def _chat_wait(self, chat_id: int) -> float:
        """Reserves the chat's next turn: a burst goes at once, then one per interval."""
        interval = PRIVATE_INTERVAL if chat_id > 0 else GROUP_INTERVAL
        now = self._clock()
        if len(self._chat_due) > 10_000:
            self._chat_due = {c: t for c, t in self._chat_due.items() if t > now - CHAT_MEMORY}
        due = max(self._chat_due.get(chat_id, now), now)
        tolerance = interval * (self._chat_burst - 1)
        self._chat_due[chat_id] = due + interval
        return max(0.0, due - tolerance - now)

    async def tick(self) -> None:
        """Waits for this call's turn in the global schedule.

        One caller at a time reserves and waits (the lock is fair: arrival order): a slot is
        reserved only once the previous caller's turn has come, so a loop that stalled (a busy
        CPU, a long write) goes on one interval at a time instead of releasing every turn it
        slept through at once, which Telegram would count as a burst."""
        async with self._turns:
            wait = await self._schedule.reserve(self._interval)
            if wait > 0:
                await self._sleep(wait)

    async def hold(self, seconds: float) -> None:
        """Telegram asked us to wait (429): nobody sends for `seconds`."""
        await self._schedule.hold(seconds)
