"""Scheduled jobs: what a job handler gets when its time comes.

A flow registers a handler for a kind of job (`Flows.job("notice", send_notice)`) and adds
rows with `JobContext.schedule` or `storage.repos.jobs.schedule`; the scheduler
(bot/scheduler.py) fires each row once, at its time or at the first start after it, inside one
write transaction: the handler's messages are outbox rows of that transaction, and the jobs it
schedules are armed after the commit.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from bot.engine.replies import Outbound
from storage.models import ScheduledJob
from storage.repos import jobs as job_repo

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from bot.services import Services


@dataclass(slots=True)
class JobContext:
    session: AsyncSession
    services: Services
    job: ScheduledJob
    now: datetime
    out: list[Outbound] = field(default_factory=list)
    # Jobs this one scheduled, armed in the scheduler after the commit.
    armed: list[ScheduledJob] = field(default_factory=list)

    @property
    def late(self) -> bool:
        """Whether the job fires after its time (the bot was down, or busy)."""
        return self.now > self.job.due_at

    async def schedule(self, kind: str, subject: str, due_at: datetime) -> ScheduledJob | None:
        """Adds a job (once per kind, subject and time); None when it exists already."""
        job = await job_repo.schedule(self.session, kind, subject, due_at)
        if job is not None:
            self.armed.append(job)
        return job


JobHandler = Callable[[JobContext], Awaitable[None]]
