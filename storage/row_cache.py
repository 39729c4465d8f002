"""A per-process cache of rows that every event reads and almost nothing writes.

The engine needs, for every event, the compound it belongs to: through the group's chat
binding, the person's compound, or the only compound of a single-compound deployment. Those
rows change when a chat is bound or a compound is imported, a few times a year, yet cost one or
two queries per event. They are cached here, per `Database`.

How stale a cached row may be:
- changes made through this process's sessions are seen at once: any flush that adds, changes
  or deletes a `Compound` or `ChatBinding` clears the cache, and so does the end of that
  transaction (so that a reader who loaded the old row meanwhile cannot put it back);
- changes made by another process (a second bot process, `courtyard import` run beside the bot)
  are seen after at most `TTL_SECONDS`.
Only these lookups are cached; authorisation (residencies, staff roles) is always read from
the store.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Hashable
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session

from storage.models import ChatBinding, Compound

TTL_SECONDS = 10.0
# Bounds memory when the bot sits in many groups: past this many keys the cache starts over.
MAX_ENTRIES = 4096
CACHED_TYPES = (Compound, ChatBinding)

MISSING = object()


class RowCache:
    def __init__(
        self, *, ttl: float = TTL_SECONDS, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.ttl = ttl
        self.clock = clock
        self._entries: dict[Hashable, tuple[float, Any]] = {}
        # Bumped by every invalidation: a value read before it is not stored after it.
        self.generation = 0

    def get(self, key: Hashable) -> Any:
        """The cached value, or `MISSING` (None is a value: "no such row")."""
        entry = self._entries.get(key)
        if entry is None or entry[0] < self.clock():
            return MISSING
        return entry[1]

    def put(self, key: Hashable, value: Any, *, generation: int) -> None:
        """Stores a value read while the cache was at `generation`, unless it changed since."""
        if generation != self.generation:
            return
        if len(self._entries) >= MAX_ENTRIES:
            self._entries.clear()
        self._entries[key] = (self.clock() + self.ttl, value)

    def clear(self) -> None:
        self._entries.clear()
        self.generation += 1


class CachingSession(Session):
    """The session class of `Database`: clears its `RowCache` when cached rows change."""


def cache_of(session: Session) -> RowCache | None:
    return session.info.get("row_cache")


@event.listens_for(CachingSession, "after_flush")
def _after_flush(session: Session, _context: Any) -> None:
    cache = cache_of(session)
    if cache is None:
        return
    touched = (*session.new, *session.dirty, *session.deleted)
    if any(isinstance(row, CACHED_TYPES) for row in touched):
        cache.clear()
        session.info["row_cache_touched"] = True


@event.listens_for(CachingSession, "after_commit")
@event.listens_for(CachingSession, "after_rollback")
def _after_transaction(session: Session) -> None:
    cache = cache_of(session)
    if cache is not None and session.info.pop("row_cache_touched", False):
        cache.clear()
