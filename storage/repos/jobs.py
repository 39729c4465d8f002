"""Scheduled job rows: adding one (once per kind, subject and time), cancelling, claiming.

The rows are the truth; the scheduler only keeps time (bot/scheduler.py). Claiming is one
conditional UPDATE in the transaction that acts on the job, so it fires once however many
timers, sweeps or processes reach for it.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import ScheduledJob


def _pending() -> list[ColumnElement[bool]]:
    return [ScheduledJob.fired_at.is_(None), ScheduledJob.cancelled.is_(False)]


async def schedule(
    session: AsyncSession, kind: str, subject: str, due_at: datetime
) -> ScheduledJob | None:
    """Adds the job unless the same (kind, subject, due_at) exists; None when it does."""
    existing = await session.scalar(
        select(ScheduledJob.id).where(
            ScheduledJob.kind == kind,
            ScheduledJob.subject == subject,
            ScheduledJob.due_at == due_at,
        )
    )
    if existing is not None:
        return None
    job = ScheduledJob(kind=kind, subject=subject, due_at=due_at, cancelled=False)
    session.add(job)
    await session.flush()
    return job


async def cancel(session: AsyncSession, kind: str, subject: str) -> int:
    """Cancels every pending job of `kind` about `subject`; returns how many."""
    result = await session.execute(
        update(ScheduledJob)
        .where(ScheduledJob.kind == kind, ScheduledJob.subject == subject, *_pending())
        .values(cancelled=True)
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


async def pending(session: AsyncSession) -> list[tuple[int, datetime]]:
    """Every job still waiting, soonest first, as (id, due_at)."""
    rows = await session.execute(
        select(ScheduledJob.id, ScheduledJob.due_at)
        .where(*_pending())
        .order_by(ScheduledJob.due_at)
    )
    return [(row_id, due_at) for row_id, due_at in rows]


async def due(session: AsyncSession, now: datetime) -> list[int]:
    """Ids of the pending jobs whose time has come, oldest first."""
    rows = await session.scalars(
        select(ScheduledJob.id)
        .where(*_pending(), ScheduledJob.due_at <= now)
        .order_by(ScheduledJob.due_at, ScheduledJob.id)
    )
    return list(rows)


async def claim(session: AsyncSession, job_id: int, now: datetime) -> ScheduledJob | None:
    """Marks the job fired if nobody has fired or cancelled it yet, and returns it; None if
    someone has (or it does not exist)."""
    result = await session.execute(
        update(ScheduledJob)
        .where(ScheduledJob.id == job_id, *_pending())
        .values(fired_at=now)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        return None
    return await session.get(ScheduledJob, job_id, populate_existing=True)
