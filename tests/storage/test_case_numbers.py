"""Case numbers are readable, per compound and day, and never shared by concurrent filings."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from storage.db import Database
from storage.models import CaseKind, Compound
from storage.repos.cases import next_number
from tests.storage.factories import make_place


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
