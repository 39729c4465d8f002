"""Events fixtures: the engine over the demo compound on a clock tests move by hand, and a
scheduler that fires jobs only when told (`fire_due`)."""

from __future__ import annotations

import pytest

from bot.scheduler import DeadlineScheduler
from bot.settings import Settings
from storage.db import Database
from tests.harness import Harness, SqliteTemplates
from tests.scheduler.support import Clock


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def h(
    db: Database, settings: Settings, clock: Clock, sqlite_templates: SqliteTemplates
) -> Harness:
    harness = await Harness.create(db, settings, templates=sqlite_templates)
    harness.services.clock = clock
    return harness


@pytest.fixture
def scheduler(h: Harness) -> DeadlineScheduler:
    """Not started: tests fire jobs with `fire_due(now)`."""
    return DeadlineScheduler(h.engine)
