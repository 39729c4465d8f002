"""The inbox: an update is stored before the messenger is told it arrived, and handled from
the store.

The Telegram adapter stores each batch of updates (`Inbox.store`) before it asks for the next
batch (which confirms the stored ones to Telegram) or answers a webhook call with 200. The
engine marks an update handled in the transaction of everything handling it changed
(`take_update`): handled once, or not at all. After a crash, `pending` lists what was stored
and never handled, oldest first, and the adapter feeds it to the engine again.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from storage.db import Database
from storage.models import InboxUpdate

# Both dialects' INSERT builders offer ON CONFLICT; the generic one does not.
_INSERTS: dict[str, Callable[..., Any]] = {"postgresql": postgresql_insert, "sqlite": sqlite_insert}
# Handled updates are kept this long (a repeat delivery is recognised), then removed.
KEEP_HANDLED = timedelta(days=2)


class Inbox:
    def __init__(self, db: Database, clock: Callable[[], datetime]) -> None:
        self.db, self.clock = db, clock

    async def store(self, updates: Iterable[dict[str, Any]]) -> None:
        """Stores the raw updates; one already stored (a repeat delivery) is left as it is."""
        rows = [
            {"update_id": u["update_id"], "payload": u, "received_at": self.clock()}
            for u in updates
            if isinstance(u.get("update_id"), int)
        ]
        if not rows:
            return
        async with self.db.write() as session:
            dialect = (await session.connection()).dialect.name
            statement = _INSERTS[dialect](InboxUpdate).values(rows)
            await session.execute(statement.on_conflict_do_nothing(index_elements=["update_id"]))

    async def mark_handled(self, update_id: int) -> None:
        """For an update nothing handles (a kind the bot ignores, one it cannot read)."""
        async with self.db.write() as session:
            await take_update(session, update_id, self.clock())

    async def pending(self) -> list[dict[str, Any]]:
        """Updates stored and never handled, oldest first."""
        async with self.db.read() as session:
            rows = await session.scalars(
                select(InboxUpdate.payload)
                .where(InboxUpdate.handled_at.is_(None))
                .order_by(InboxUpdate.update_id)
            )
            return list(rows)

    async def prune(self) -> None:
        """Forgets updates handled long ago."""
        async with self.db.write() as session:
            await session.execute(
                delete(InboxUpdate).where(InboxUpdate.handled_at < self.clock() - KEEP_HANDLED)
            )


async def take_update(session: AsyncSession, update_id: int, now: datetime) -> bool:
    """Marks the update handled within the caller's transaction. False when it was handled
    already (the caller then does nothing). An update the inbox never stored (the console,
    tests) is the caller's to handle."""
    taken = await session.execute(
        update(InboxUpdate)
        .where(InboxUpdate.update_id == update_id, InboxUpdate.handled_at.is_(None))
        .values(handled_at=now)
        .execution_options(synchronize_session=False)
    )
    if taken.rowcount == 1:  # type: ignore[attr-defined]
        return True
    stored = await session.scalar(
        select(InboxUpdate.update_id).where(InboxUpdate.update_id == update_id)
    )
    return stored is None
