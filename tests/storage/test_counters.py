"""Concurrent writers bumping one counter: every increment counts, on every backend."""

from __future__ import annotations

import asyncio

from sqlalchemy import select

from storage.db import Database
from storage.models import AnswerFeedback
from storage.repos.counters import increment, upsert_increment
from tests.storage.factories import make_place

WRITERS, TIMES = 2, 50
TOPIC = "fees.payment_channels"


async def _count(db: Database, compound_id: int) -> int | None:
    async with db.read() as session:
        return await session.scalar(
            select(AnswerFeedback.not_helpful).where(
                AnswerFeedback.compound_id == compound_id, AnswerFeedback.topic == TOPIC
            )
        )


async def test_upsert_increment_creates_the_row_and_loses_no_count(any_db: Database) -> None:
    place = await make_place(any_db)
    key = {"compound_id": place.compound_id, "topic": TOPIC}

    async def writer() -> None:
        for _ in range(TIMES):
            async with any_db.write() as session:
                await upsert_increment(session, AnswerFeedback.not_helpful, key=key)

    # Both writers start with no row: the first INSERT wins, the other becomes an UPDATE.
    await asyncio.gather(*(writer() for _ in range(WRITERS)))
    assert await _count(any_db, place.compound_id) == WRITERS * TIMES


async def test_increment_loses_no_count(any_db: Database) -> None:
    place = await make_place(any_db)
    async with any_db.write() as session:
        session.add(AnswerFeedback(compound_id=place.compound_id, topic=TOPIC))
    where = (AnswerFeedback.compound_id == place.compound_id, AnswerFeedback.topic == TOPIC)

    async def writer() -> list[int | None]:
        seen = []
        for _ in range(TIMES):
            async with any_db.write() as session:
                seen.append(await increment(session, AnswerFeedback.not_helpful, *where))
        return seen

    seen = await asyncio.gather(*(writer() for _ in range(WRITERS)))
    assert await _count(any_db, place.compound_id) == WRITERS * TIMES
    # Each increment saw a value of its own: 1..100, none twice.
    assert sorted(value for values in seen for value in values) == list(range(1, 101))


async def test_increment_of_a_missing_row_says_so(any_db: Database) -> None:
    async with any_db.write() as session:
        assert (
            await increment(session, AnswerFeedback.not_helpful, AnswerFeedback.id == 404) is None
        )


async def test_sqlite_write_transactions_serialise_read_modify_write(db: Database) -> None:
    """The plain ORM way (read, add one in Python, write back) is safe on SQLite only because
    `Database.write()` takes the write lock with BEGIN IMMEDIATE before the read. On
    PostgreSQL it loses counts; there use `increment` or `upsert_increment`."""
    place = await make_place(db)
    async with db.write() as session:
        session.add(AnswerFeedback(compound_id=place.compound_id, topic=TOPIC))

    async def writer() -> None:
        for _ in range(TIMES):
            async with db.write() as session:
                row = await session.scalar(select(AnswerFeedback))
                assert row is not None
                await asyncio.sleep(0)  # let the other writer run between read and write
                row.not_helpful += 1

    await asyncio.gather(*(writer() for _ in range(WRITERS)))
    assert await _count(db, place.compound_id) == WRITERS * TIMES
