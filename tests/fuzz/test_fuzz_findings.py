"""The bugs the fuzzer found, each as the shortest event sequence that shows it.

Each was found by the fuzzer and fixed; the test says what must happen now.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from bench.fuzzing import world
from bench.fuzzing.play import Fuzzer, capturing_errors
from bot.engine.events import ChatKind, ChatRef, Incoming, Press, UserRef
from bot.settings import Settings
from handlers.cases.rules import Draft, open_case
from storage import demo
from storage.db import Database
from storage.models import CaseKind, Compound, Person, Unit


async def _fuzzer(db: Database) -> Fuzzer:
    settings = Settings(
        _env_file=None, database_url=db.url, manager_ids=frozenset({9001}), telegram_bot_token=None
    )
    fuzzer = Fuzzer(db, settings)
    await fuzzer.create()
    return fuzzer


async def _play(fuzzer: Fuzzer, *events: Incoming) -> None:
    with capturing_errors() as errors:
        for event in events:
            await fuzzer.step(event, errors)


async def test_a_forged_case_id_past_the_column_range_is_refused(empty_db: Database) -> None:
    fuzzer = await _fuzzer(empty_db)
    await _play(
        fuzzer,
        Incoming(
            user=UserRef(2001),
            chat=ChatRef(demo.STAFF_CHAT_ID, ChatKind.GROUP),
            press=Press(f"cs:{2**64}:t", None, "p1"),
        ),
    )
    assert fuzzer.tally.unhandled == 0, list(fuzzer.tally.findings)


async def test_a_nul_character_in_text_is_answered(empty_db: Database) -> None:
    fuzzer = await _fuzzer(empty_db)
    await _play(fuzzer, Incoming(user=UserRef(1002), chat=ChatRef(1002), text="nul\x00byte"))
    assert fuzzer.tally.unhandled == 0, list(fuzzer.tally.findings)


async def test_two_compounds_file_repairs_on_the_same_day(empty_db: Database) -> None:
    now = datetime(2026, 3, 2, 4, 0, tzinfo=UTC)
    await world.create_at(empty_db, now=now)  # Sunny Garden's R-20260302-001 is filed
    async with empty_db.write() as session:
        north = await session.scalar(select(Compound).where(Compound.code == world.NORTH_CODE))
        resident = await session.scalar(
            select(Person).where(Person.telegram_id == world.NORTH_RESIDENT)
        )
        unit = await session.scalar(select(Unit).where(Unit.label == "1-0101"))
        assert north is not None and resident is not None and unit is not None
        await open_case(
            session,
            compound=north,
            resident=resident,
            draft=Draft(CaseKind.REPAIR, "plumbing", "水管漏水", unit_id=unit.id),
            now=now,
        )
