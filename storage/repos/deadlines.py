"""Deadline rows in the store: which are pending, which are due, and claiming one to fire it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Deadline


def _pending() -> list[ColumnElement[bool]]:
    return [Deadline.fired_at.is_(None), Deadline.cancelled.is_(False)]


async def pending(session: AsyncSession) -> list[tuple[int, datetime]]:
    """Every row still waiting to fire, soonest first, as (id, due_at)."""
    rows = await session.execute(
        select(Deadline.id, Deadline.due_at).where(*_pending()).order_by(Deadline.due_at)
    )
    return [(row_id, due_at) for row_id, due_at in rows]


async def due(session: AsyncSession, now: datetime) -> list[int]:
    """Ids of the pending rows whose time has come, oldest first."""
    rows = await session.scalars(
        select(Deadline.id)
        .where(*_pending(), Deadline.due_at <= now)
        .order_by(Deadline.due_at, Deadline.id)
    )
    return list(rows)


async def is_pending(session: AsyncSession, row_id: int) -> bool:
    """Whether the row still waits to fire (a cheap look before taking the write lock)."""
    found = await session.scalar(select(Deadline.id).where(Deadline.id == row_id, *_pending()))
    return found is not None


async def claim(session: AsyncSession, row_id: int, now: datetime) -> bool:
    """Marks the row fired if nobody has fired or cancelled it yet; False if someone has.

    One conditional UPDATE: on PostgreSQL a second claimant waits for the first to commit and
    then finds `fired_at` set; on SQLite write transactions are serialised anyway.
    """
    result = await session.execute(
        update(Deadline)
        .where(Deadline.id == row_id, *_pending())
        .values(fired_at=now)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount == 1)  # type: ignore[attr-defined]
