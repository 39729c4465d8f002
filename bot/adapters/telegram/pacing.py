"""Pacing of outgoing messages, so that Telegram never has to slow the bot down.

Telegram allows a bot about 30 messages a second in total and answers 429 beyond that. Two
rules keep us under it: messages to one chat go out one after another (a media group and the
text that follows it stay together, and per-chat limits are not hit by parallel bursts), and
all messages share one schedule that spaces them at least 1/rate seconds apart.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

from bot.engine.ordering import KeyedLocks

# A margin under Telegram's ~30 messages per second.
DEFAULT_RATE = 28.0

Sleep = Callable[[float], Awaitable[None]]


class Pacer:
    def __init__(
        self,
        rate: float = DEFAULT_RATE,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self._interval = 1.0 / rate
        self._clock = clock
        self._sleep = sleep
        self._next_free = 0.0
        self._chats = KeyedLocks()

    @asynccontextmanager
    async def chat(self, chat_id: int) -> AsyncIterator[None]:
        """Holds the chat for one delivery (which may be several API calls)."""
        async with self._chats.hold(chat_id):
            yield

    async def tick(self) -> None:
        """Waits for this call's turn in the global schedule.

        The slot is reserved before sleeping, with no await in between, so concurrent callers
        each get their own slot in arrival order without a lock.
        """
        now = self._clock()
        slot = max(now, self._next_free)
        self._next_free = slot + self._interval
        if slot > now:
            await self._sleep(slot - now)
