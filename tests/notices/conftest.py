"""Notice fixtures: the demo compound seeded on a clock tests move by hand, a bulk sender
drained on demand, and a scheduler that fires jobs only when told."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest

from bot.engine.bulk import BulkSender
from bot.scheduler import DeadlineScheduler
from bot.settings import Settings
from storage import demo
from storage.db import Database
from tests.harness import Harness

# Wednesday 2 December 2026, 10:00 in Shanghai.
START = datetime(2026, 12, 2, 2, 0, tzinfo=UTC)


@dataclass
class Clock:
    now: datetime = START

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now

    def set(self, moment: datetime) -> None:
        self.now = moment


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def h(db: Database, settings: Settings, clock: Clock) -> Harness:
    harness = await Harness.create(db, settings, seed=False)
    harness.services.clock = clock
    async with db.write() as session:
        harness.demo = await demo.seed_demo(session, now=clock())
    return harness


def bulk_sender(h: Harness, clock: Clock) -> BulkSender:
    return BulkSender(h.services.db, h.engine.outbox, clock, rate=1000, window=4)


async def drain(h: Harness, clock: Clock) -> int:
    """Sends every broadcast row that is due now, and the ordinary rows waiting behind them
    (the progress message and what follows it in that chat), as the running bot's senders
    would; returns how many broadcast rows went."""
    sender = bulk_sender(h, clock)
    total = 0
    while True:
        sent = await sender.send_due()
        total += sent
        if not sent and not await h.engine.outbox.deliver_due():
            return total


@pytest.fixture
async def scheduler(h: Harness) -> AsyncIterator[DeadlineScheduler]:
    """Not started: tests fire jobs with `fire_due(now)`."""
    yield DeadlineScheduler(h.engine)
