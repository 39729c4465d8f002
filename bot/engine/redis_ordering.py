"""Per-user ordering across several bot processes, through Redis (`REDIS_URL`).

Behind one webhook, two processes may each receive an event of the same user. Each event
first queues behind that user's earlier events in its own process (`KeyedLocks`, first come
first served), then takes the user's lock in Redis, so at most one process at a time handles
that user. Across processes the order is "first to retry after the lock frees": Redis locks
are not queues. Telegram sends one user's updates in order, so real contention is rare.

What the operator sees: nothing while Redis answers. A warning in the log when an event went
ahead without the shared lock (Redis did not answer, or the user's lock stayed taken for
longer than the blocking timeout), and when handling an event outlasted its lock's timeout.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Hashable
from contextlib import asynccontextmanager

from redis.asyncio import Redis
from redis.asyncio.lock import Lock
from redis.exceptions import LockNotOwnedError, RedisError

from bot.engine.ordering import KeyedLocks

log = logging.getLogger(__name__)

KEY_PREFIX = "courtyard:user-order:"
# The lock's lifetime in Redis. A process that dies while handling an event cannot release
# its lock; the lock then expires after this long, so a crash stalls that user for at most
# this long instead of forever. The price: an event handled for longer than this (e.g. a
# reply held back by Telegram's flood control) loses its lock, and another process may start
# the same user's next event meanwhile. Handling normally takes well under a second.
LOCK_TIMEOUT = 30.0
# How long an event waits for the user's lock before it goes ahead without it. Longer than
# LOCK_TIMEOUT, so that a lock left by a crashed process expires before anyone gives up.
# Going ahead risks handling two of the user's events at once (the conversation state is
# then last-writer-wins); giving up would drop the user's message silently, which is worse.
BLOCKING_TIMEOUT = LOCK_TIMEOUT + 10.0
# How often a waiting event asks Redis whether the lock is free.
POLL_INTERVAL = 0.05


class RedisKeyedLocks:
    """`KeyedLocks` for several processes: the same `hold(key)`, with a Redis lock per key.

    `len()` counts the keys held or awaited in this process only, like `KeyedLocks`.
    """

    def __init__(
        self,
        redis: Redis,
        *,
        prefix: str = KEY_PREFIX,
        timeout: float = LOCK_TIMEOUT,
        blocking_timeout: float = BLOCKING_TIMEOUT,
        poll_interval: float = POLL_INTERVAL,
    ) -> None:
        self.redis = redis
        self.prefix = prefix
        self.timeout = timeout
        self.blocking_timeout = blocking_timeout
        self.poll_interval = poll_interval
        # In front of Redis: one process never has two events of a user polling Redis at
        # once, so within a process the order stays strictly first-in first-out.
        self._local = KeyedLocks()

    def key(self, key: Hashable) -> str:
        """The Redis key of the lock for `key`."""
        return f"{self.prefix}{key}"

    @asynccontextmanager
    async def hold(self, key: Hashable) -> AsyncIterator[None]:
        async with self._local.hold(key):
            lock = self._lock(key)
            acquired = await self._acquire(lock)
            try:
                yield
            finally:
                if acquired:
                    await self._release(lock)

    def __len__(self) -> int:
        return len(self._local)

    def _lock(self, key: Hashable) -> Lock:
        # A fresh Lock object per hold keeps its token to itself; thread-local token storage
        # would buy nothing, as every hold runs on the event loop's thread.
        return Lock(
            self.redis,
            self.key(key),
            timeout=self.timeout,
            sleep=self.poll_interval,
            blocking=True,
            blocking_timeout=self.blocking_timeout,
            thread_local=False,
        )

    async def _acquire(self, lock: Lock) -> bool:
        """True once the lock is ours; False when the event goes ahead without it."""
        try:
            if await lock.acquire():
                return True
        except RedisError as exc:
            # Ordering within this process still holds; only the cross-process part lapses.
            log.warning(
                "Redis did not answer for lock %s (%s): handling without it", lock.name, exc
            )
            return False
        log.warning(
            "lock %s still taken after %.0f s: handling without it, order is not guaranteed",
            lock.name,
            self.blocking_timeout,
        )
        return False

    async def _release(self, lock: Lock) -> None:
        try:
            await lock.release()
        except LockNotOwnedError:
            log.warning(
                "handling took longer than the %.0f s lock %s lasts: another process may "
                "have handled the same user's next event at the same time",
                self.timeout,
                lock.name,
            )
        except RedisError as exc:
            # The lock expires by itself after its timeout.
            log.warning("could not release lock %s (%s): it expires by itself", lock.name, exc)
