"""The deadline scheduler: reminders, escalations, emergency re-alerts and auto-closing happen
on time, and a restart loses none of them and fires none twice. Scheduled jobs (a notice's next
slot, a day's reminders: storage.models.ScheduledJob, bot/engine/jobs.py) are kept the same way.

The rows in the `deadlines` table are the truth; APScheduler only keeps time. On start every
pending row gets a date job (a row already overdue fires at once); `arm` adds a job for a row
created later; a sweep every 45 seconds fires whatever is due and was not fired (a row another
process created, a job lost). Firing claims the row in the same transaction that acts
on it (handlers/cases/deadlines.py), so however many jobs, sweeps or processes reach for a
row, exactly one acts. What it says is delivered after the commit, as the engine does.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.engine.engine import Engine
from bot.engine.jobs import JobContext
from bot.engine.outbox import enqueue
from bot.engine.replies import Outbound
from handlers.cases import deadlines
from storage.repos import deadlines as deadline_repo
from storage.repos import jobs as job_repo

log = logging.getLogger(__name__)

SWEEP_INTERVAL = timedelta(seconds=45)
SWEEP_JOB = "deadlines:sweep"
JOB_PREFIX = "deadline:"
# APScheduler's ids of scheduled-job rows (storage.models.ScheduledJob), beside deadlines.
ROW_JOB_PREFIX = "job:"


def _job_id(row_id: int) -> str:
    return f"{JOB_PREFIX}{row_id}"


class DeadlineScheduler:
    """Implements `bot.services.Timers`: fires deadline rows through the engine's transport."""

    def __init__(self, engine: Engine, *, sweep_every: timedelta = SWEEP_INTERVAL) -> None:
        self.engine = engine
        self.services = engine.services
        self.sweep_every = sweep_every
        self._scheduler = AsyncIOScheduler(timezone=UTC)
        self._inflight: set[asyncio.Task[object]] = set()
        self._closing = False

    @property
    def running(self) -> bool:
        return self._scheduler.running and not self._closing

    async def start(self) -> None:
        """Arms a job for every pending row in the store and starts the periodic sweep."""
        self._scheduler.start()
        self._scheduler.add_job(
            self._sweep,
            "interval",
            seconds=self.sweep_every.total_seconds(),
            id=SWEEP_JOB,
            replace_existing=True,
            # One sweep at a time, and a late one still runs (once).
            max_instances=1,
            coalesce=True,
            misfire_grace_time=None,
        )
        async with self.services.db.read() as session:
            rows = await deadline_repo.pending(session)
            jobs = await job_repo.pending(session)
        for row_id, due_at in rows:
            self.arm(row_id, due_at)
        for row_id, due_at in jobs:
            self.arm_job(row_id, due_at)
        log.info(
            "scheduler started with %d pending deadlines and %d scheduled jobs",
            len(rows),
            len(jobs),
        )

    def arm(self, row_id: int, due_at: datetime) -> None:
        """Adds (or replaces) the job that fires row `row_id` at `due_at`; overdue rows fire
        at once. Ignored when stopped: the row is in the store and the next start arms it."""
        if not self.running:
            return
        self._scheduler.add_job(
            self._fire_job,
            "date",
            run_date=due_at,
            args=(row_id,),
            id=_job_id(row_id),
            replace_existing=True,
            # A row is never too late to fire: an overdue reminder still matters, and a
            # missed job would only wait for the next sweep.
            misfire_grace_time=None,
            coalesce=True,
        )

    def arm_job(self, row_id: int, due_at: datetime) -> None:
        """Adds (or replaces) the timer of scheduled-job row `row_id`; overdue rows fire at
        once. Ignored when stopped: the next start arms it from the store."""
        if not self.running:
            return
        self._scheduler.add_job(
            self._fire_row_job,
            "date",
            run_date=due_at,
            args=(row_id,),
            id=f"{ROW_JOB_PREFIX}{row_id}",
            replace_existing=True,
            misfire_grace_time=None,
            coalesce=True,
        )

    async def fire_job(self, row_id: int, now: datetime) -> bool:
        """Fires one scheduled-job row if nobody has, through its kind's handler, and
        delivers what it said; True if this call fired it. A kind nobody handles (a flow
        removed since) is claimed and logged, so it does not fire for ever."""
        out: list[Outbound] = []
        async with self.services.db.write() as session:
            job = await job_repo.claim(session, row_id, now)
            if job is None:
                return False
            handler = self.services.flows.jobs.get(job.kind)
            if handler is None:
                log.warning("scheduled job %s of unknown kind %r dropped", row_id, job.kind)
                return True
            ctx = JobContext(session=session, services=self.services, job=job, now=now)
            await handler(ctx)
            out = ctx.out
            rows = enqueue(session, out, self.services.clock())
            await session.flush()
            ids = [row.id for row in rows]
            armed = [(j.id, j.due_at) for j in ctx.armed]
        await self.engine.outbox.deliver(ids)
        self.engine.bulk.wake()
        for job_id, due_at in armed:
            self.arm_job(job_id, due_at)
        return True

    def armed(self) -> set[int]:
        """The rows that have a job waiting in this scheduler."""
        return {
            int(job.id.removeprefix(JOB_PREFIX))
            for job in self._scheduler.get_jobs()
            if job.id.startswith(JOB_PREFIX)
        }

    async def fire(self, row_id: int, now: datetime) -> bool:
        """Fires one row if nobody has; delivers what it produced. True if this call fired it."""
        async with self.services.db.read() as session:
            # Most rows are cancelled long before they come due (a case taken in time): skip
            # those without queueing for the write lock. The claim below decides the rest.
            if not await deadline_repo.is_pending(session, row_id):
                return False
        async with self.services.db.write() as session:
            fired = await deadlines.fire(session, self.services.settings, row_id, now)
            # What firing says is stored with the firing: a reminder is never lost to a crash.
            rows = enqueue(session, fired.out, self.services.clock()) if fired else []
            await session.flush()
            ids = [row.id for row in rows]
        if fired is None:
            return False
        await self.engine.outbox.deliver(ids)
        for row in fired.armed:
            self.arm(row.id, row.due_at)
        return True

    async def fire_due(self, now: datetime) -> int:
        """Fires every pending row due at `now`, oldest first; returns how many this call fired.

        The sweep calls it with the clock; tests call it with any `now`, so no one waits."""
        async with self.services.db.read() as session:
            row_ids = await deadline_repo.due(session, now)
            job_ids = await job_repo.due(session, now)
        count = 0
        for row_id in row_ids:
            try:
                count += await self.fire(row_id, now)
            except Exception:
                # The transaction rolled back, the claim with it: the next sweep tries again.
                log.exception("deadline %s failed to fire; will retry", row_id)
        for job_id in job_ids:
            try:
                count += await self.fire_job(job_id, now)
            except Exception:
                log.exception("scheduled job %s failed to fire; will retry", job_id)
        return count

    async def stop(self) -> None:
        """Stops taking jobs, lets the ones already firing finish, then shuts APScheduler down."""
        if not self._scheduler.running or self._closing:
            return
        self._closing = True
        self._scheduler.pause()
        # Jobs submitted just before the pause start on the next turn of the loop and register.
        await asyncio.sleep(0)
        while self._inflight:
            await asyncio.wait(set(self._inflight))
        self._scheduler.shutdown(wait=False)
        # AsyncIOScheduler shuts down on the loop's next turn; let it happen before returning.
        await asyncio.sleep(0)
        log.info("deadline scheduler stopped")

    async def _fire_job(self, row_id: int) -> None:
        if self._closing:
            return
        async with self._tracked():
            try:
                await self.fire(row_id, self.services.clock())
            except Exception:
                log.exception("deadline %s failed to fire; the sweep will retry", row_id)

    async def _fire_row_job(self, row_id: int) -> None:
        if self._closing:
            return
        async with self._tracked():
            try:
                await self.fire_job(row_id, self.services.clock())
            except Exception:
                log.exception("scheduled job %s failed to fire; the sweep will retry", row_id)

    async def _sweep(self) -> None:
        if self._closing:
            return
        async with self._tracked():
            fired = await self.fire_due(self.services.clock())
            if fired:
                log.info("sweep fired %d deadline(s)", fired)

    @asynccontextmanager
    async def _tracked(self) -> AsyncIterator[None]:
        """Registers the running task as in flight, so that `stop` can wait for it."""
        task = asyncio.current_task()
        assert task is not None
        self._inflight.add(task)
        try:
            yield
        finally:
            self._inflight.discard(task)
