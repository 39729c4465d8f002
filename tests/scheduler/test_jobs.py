"""Scheduled jobs: rows armed at start, fired once through their kind's handler, what they say
delivered, the jobs they schedule armed, and a kind nobody handles dropped, not fired for ever."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from sqlalchemy import select

from bot.engine.jobs import JobContext
from bot.engine.replies import Send
from bot.scheduler import DeadlineScheduler
from storage.models import ScheduledJob
from storage.repos import jobs as job_repo
from tests.harness import Harness
from tests.scheduler.support import RESIDENT, START, Clock

fired: list[tuple[str, bool]] = []


async def remind(job: JobContext) -> None:
    """Tells the resident, and schedules the same reminder a day later."""
    fired.append((job.job.subject, job.late))
    job.out.append(Send(chat_id=RESIDENT, text=f"reminder {job.job.subject}"))
    await job.schedule("reminder", job.job.subject, job.job.due_at + timedelta(days=1))


async def add_job(h: Harness, kind: str, subject: str, due: timedelta) -> int:
    async with h.services.db.write() as session:
        job = await job_repo.schedule(session, kind, subject, START + due)
        assert job is not None
        again = await job_repo.schedule(session, kind, subject, START + due)
        assert again is None  # once per kind, subject and time
        return job.id


async def test_a_job_fires_once_says_its_message_and_schedules_the_next(
    h: Harness, clock: Clock, scheduler: DeadlineScheduler
) -> None:
    fired.clear()
    h.services.flows.jobs["reminder"] = remind
    await add_job(h, "reminder", "bins", timedelta(hours=1))
    assert await scheduler.fire_due(clock.now) == 0
    clock.advance(hours=3)  # the bot was down when it came due
    results = await asyncio.gather(*(scheduler.fire_due(clock.now) for _ in range(3)))
    assert sum(results) == 1
    assert fired == [("bins", True)]
    assert [s.text for s in h.transport.to(RESIDENT)][-1] == "reminder bins"
    async with h.services.db.read() as session:
        rows = list(await session.scalars(select(ScheduledJob).order_by(ScheduledJob.id)))
    assert [r.fired_at is not None for r in rows] == [True, False]
    assert rows[1].due_at == START + timedelta(hours=1, days=1)


async def test_pending_jobs_are_armed_on_start_and_cancelled_ones_never_fire(
    h: Harness, clock: Clock
) -> None:
    fired.clear()
    h.services.flows.jobs["reminder"] = remind
    kept = await add_job(h, "reminder", "bins", timedelta(hours=1))
    await add_job(h, "reminder", "party", timedelta(hours=2))
    async with h.services.db.write() as session:
        assert await job_repo.cancel(session, "reminder", "party") == 1
    scheduler = DeadlineScheduler(h.engine)
    await scheduler.start()
    try:
        armed = {job.id for job in scheduler._scheduler.get_jobs()}
        assert f"job:{kept}" in armed and len([j for j in armed if j.startswith("job:")]) == 1
    finally:
        await scheduler.stop()
    clock.advance(hours=3)
    await DeadlineScheduler(h.engine).fire_due(clock.now)
    assert fired == [("bins", True)]


async def test_a_job_of_a_kind_nobody_handles_is_dropped_once(
    h: Harness, clock: Clock, scheduler: DeadlineScheduler
) -> None:
    await add_job(h, "retired-flow", "x", timedelta(minutes=1))
    clock.advance(minutes=2)
    assert await scheduler.fire_due(clock.now) == 1
    assert await scheduler.fire_due(clock.now) == 0
