"""Property: no sequence of events, however odd, makes the engine fail or lets a user change
someone else's data.

Hypothesis drives event sequences (bench/fuzzing/generate.py: texts, commands, photos,
presses of offered, forged and malformed buttons, by residents, staff, managers and
strangers) and plays them through the engine on SQLite and on PostgreSQL. After every event:
nothing escaped the engine and nothing was logged at ERROR, and no row changed that the rule
in bench/fuzzing/ownership.py does not allow the acting user to change. Any finding fails the
test with the events that led to it.

Hypothesis and pytest-asyncio's function-scoped async fixtures do not mix (a fixture is not
rebuilt per example), so each test builds its database and world once, on its own event loop
(`asyncio.Runner`), and every example starts from a freshly seeded world (world.reset).
Hypothesis draws a seed and a length; the events come from a `random.Random` with that seed
(bench/fuzzing/draw.py says why hypothesis does not draw each choice itself). `derandomize`
makes the seeds the same on every run.
"""

from __future__ import annotations

import asyncio
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from bench.fuzzing.draw import RandomDraw
from bench.fuzzing.play import Fuzzer, Tally
from bot.settings import Settings
from storage.db import Database
from tests.conftest import _drop_schema, _postgres_database

EVENTS_PER_EXAMPLE = 60
MAX_EXAMPLES = 30
MANAGER_IDS = frozenset({9001})  # world.GLOBAL_MANAGER


@contextmanager
def fuzzer_on(backend: str) -> Iterator[tuple[asyncio.Runner, Fuzzer]]:
    """A seeded world on `backend`, with the event loop every example runs on."""
    with asyncio.Runner() as runner, tempfile.TemporaryDirectory() as tmp:
        schema = None
        if backend == "postgres":
            db, schema = runner.run(_postgres_database())
        else:
            db = Database(f"sqlite+aiosqlite:///{tmp}/fuzz.db")
        fuzzer = Fuzzer(
            db,
            Settings(
                _env_file=None,
                database_url=db.url,
                manager_ids=MANAGER_IDS,
                telegram_bot_token=None,
            ),
        )
        try:
            runner.run(fuzzer.create())
            yield runner, fuzzer
        finally:
            runner.run(db.dispose())
            if schema is not None:
                runner.run(_drop_schema(schema))


def problems(tally: Tally) -> list[str]:
    """Every finding, with the events that led to it."""
    found = []
    for finding in tally.findings.values():
        events = "\n    ".join(finding.events)
        found.append(f"{finding.kind}: {finding.signature}\n    {events}\n{finding.detail}")
    return found


@pytest.mark.parametrize(
    "backend", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def test_no_event_sequence_fails_or_touches_foreign_data(backend: str) -> None:
    with fuzzer_on(backend) as (runner, fuzzer):

        @settings(
            max_examples=MAX_EXAMPLES,
            derandomize=True,  # the same examples on every run and machine
            database=None,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow],
            # No shrinking: a seed does not shrink into a shorter sequence, and every try
            # replays a seeded world. A failure lists the events that led to it.
            phases=[Phase.explicit, Phase.reuse, Phase.generate],
        )
        @given(seed=st.integers(0, 2**32), events=st.integers(1, EVENTS_PER_EXAMPLE))
        def play(seed: int, events: int) -> None:
            async def episode() -> Tally:
                await fuzzer.new_episode()
                fuzzer.tally = Tally()
                return await fuzzer.play(RandomDraw(seed), events)

            tally = runner.run(episode())
            found = problems(tally)
            assert not found, "\n\n".join(found)

        play()
