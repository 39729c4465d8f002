"""Deadline fixtures: the engine over the demo compound on a clock tests move by hand, and a
scheduler that fires only when told (`fire_due`), so no test waits on real time."""

from __future__ import annotations

from collections.abc import AsyncIterator

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
    # Seeded (copied) on the real clock as tests/conftest.py's harness is; the tests' clock
    # comes after, as before.
    harness = await Harness.create(db, settings, templates=sqlite_templates)
    harness.services.clock = clock
    return harness


@pytest.fixture
async def scheduler(h: Harness) -> AsyncIterator[DeadlineScheduler]:
    """Not started: tests fire rows with `fire_due(now)`, so nothing waits on real time."""
    yield DeadlineScheduler(h.engine)
