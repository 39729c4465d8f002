"""Case numbers are readable, per compound and day, and never shared by concurrent filings."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from storage.db import Database
from storage.models import Case, CaseKind, Compound
from storage.repos.cases import next_number
from tests.storage.factories import make_people, make_place


async def test_concurrent_filings_get_distinct_consecutive_numbers(any_db: Database) -> None:
    place = await make_place(any_db)
    # 23:30 UTC is already the next day in Shanghai: the number uses the compound's date.
    now = datetime(2026, 11, 27, 23, 30, tzinfo=UTC)

    async def file_one(kind: CaseKind) -> str:
        async with any_db.write() as session:
            compound = await session.get(Compound, place.compound_id)
            assert compound is not None
            return await next_number(session, compound, kind, now)

    numbers = await asyncio.gather(*(file_one(CaseKind.REPAIR) for _ in range(20)))
    assert sorted(numbers) == [f"R-20261128-{n:03d}" for n in range(1, 21)]
    assert await file_one(CaseKind.COMPLAINT) == "C-20261128-021"


async def _file_case(db: Database, compound_id: int, resident_id: int, now: datetime) -> str:
    """Files a repair in the compound the way the case rules do: number, then the row."""
    async with db.write() as session:
        compound = await session.get(Compound, compound_id)
        assert compound is not None
        number = await next_number(session, compound, CaseKind.REPAIR, now)
        session.add(
            Case(
                compound_id=compound_id,
                number=number,
                kind=CaseKind.REPAIR,
                category="plumbing",
                resident_id=resident_id,
                created_at=now,
                updated_at=now,
            )
        )
        await session.flush()
        return number


async def test_two_compounds_each_file_their_first_case_of_the_day(any_db: Database) -> None:
    """Numbers are per compound: the second compound's first case of the day is filed too,
    and so is every later one, although it reads like the first compound's."""
    maple = await make_place(any_db, code="maple")
    birch = await make_place(any_db, code="birch")
    (resident,) = await make_people(any_db, 700100001)
    now = datetime(2026, 11, 27, 2, 0, tzinfo=UTC)

    assert await _file_case(any_db, maple.compound_id, resident, now) == "R-20261127-001"
    assert await _file_case(any_db, birch.compound_id, resident, now) == "R-20261127-001"
    assert await _file_case(any_db, birch.compound_id, resident, now) == "R-20261127-002"
    assert await _file_case(any_db, maple.compound_id, resident, now) == "R-20261127-002"
    async with any_db.read() as session:
        rows = (await session.execute(select(Case.compound_id, Case.number))).all()
    assert sorted(rows) == sorted(
        [
            (maple.compound_id, "R-20261127-001"),
            (maple.compound_id, "R-20261127-002"),
            (birch.compound_id, "R-20261127-001"),
            (birch.compound_id, "R-20261127-002"),
        ]
    )


async def test_one_compound_never_holds_a_number_twice(any_db: Database) -> None:
    """The store itself refuses a duplicate number within a compound."""
    place = await make_place(any_db)
    (resident,) = await make_people(any_db, 700100001)
    with pytest.raises(IntegrityError):
        async with any_db.write() as session:
            for _ in range(2):
                session.add(
                    Case(
                        compound_id=place.compound_id,
                        number="R-20261127-001",
                        kind=CaseKind.REPAIR,
                        category="plumbing",
                        resident_id=resident,
                    )
                )
            await session.flush()
