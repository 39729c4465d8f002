"""Per-user ordering: the events of one user are handled one at a time, in arrival order.

Different users run concurrently. asyncio.Lock wakes waiters first-in first-out, so a user's
second message waits for the first and keeps its place. Locks are dropped when nobody holds
or waits for them, so memory stays flat with many distinct users.

With REDIS_URL set, `RedisKeyedLocks` (bot/engine/redis_ordering.py) extends the same promise
across several processes; the engine sees either through `UserLocks`.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Hashable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Protocol


class UserLocks(Protocol):
    """What the engine needs: hold a key while handling one event of it."""

    def hold(self, key: Hashable) -> AbstractAsyncContextManager[None]: ...

    def __len__(self) -> int: ...


class KeyedLocks:
    def __init__(self) -> None:
        self._locks: dict[Hashable, asyncio.Lock] = {}
        self._users: dict[Hashable, int] = {}

    @asynccontextmanager
    async def hold(self, key: Hashable) -> AsyncIterator[None]:
        lock = self._locks.get(key)
        if lock is None:
            lock = self._locks[key] = asyncio.Lock()
        self._users[key] = self._users.get(key, 0) + 1
        try:
            async with lock:
                yield
        finally:
            remaining = self._users[key] - 1
            if remaining:
                self._users[key] = remaining
            else:
                del self._users[key]
                del self._locks[key]

    def __len__(self) -> int:
        return len(self._locks)
