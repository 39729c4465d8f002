"""A failing statement's error names the statement, never the values bound to it: those are
residents' names, units and descriptions, and errors end up in logs."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy.exc import IntegrityError

from bot.engine.context import Context
from storage.db import Database
from storage.models import Case, CaseKind
from tests.harness import Harness
from tests.storage.factories import make_people, make_place

SECRET = "water under 王芳's sink at 3-2-1502"


async def test_a_failing_statement_does_not_carry_its_parameters(any_db: Database) -> None:
    place = await make_place(any_db)
    (resident,) = await make_people(any_db, 700100001)
    with pytest.raises(IntegrityError) as failed:
        async with any_db.write() as session:
            for _ in range(2):  # the same number twice in one compound
                session.add(
                    Case(
                        compound_id=place.compound_id,
                        number="R-20261127-001",
                        kind=CaseKind.REPAIR,
                        category="plumbing",
                        resident_id=resident,
                        description=SECRET,
                    )
                )
                await session.flush()
    assert "INSERT INTO cases" in str(failed.value)
    assert SECRET not in str(failed.value)
    assert "hidden" in str(failed.value)


async def test_the_logged_error_of_an_event_does_not_carry_them(
    harness: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    async def file_twice(ctx: Context) -> None:
        assert ctx.compound is not None
        for _ in range(2):
            ctx.session.add(
                Case(
                    compound_id=ctx.compound.id,
                    number="R-20261127-001",
                    kind=CaseKind.REPAIR,
                    category="plumbing",
                    resident_id=ctx.person.id,
                    description=SECRET,
                )
            )
            await ctx.session.flush()

    harness.services.flows.command("filetwice", file_twice)
    with caplog.at_level(logging.ERROR):
        await harness.say(1001, "/filetwice", lang="en")
    logged = "\n".join(
        record.getMessage()
        + (logging.Formatter().formatException(record.exc_info) if record.exc_info else "")
        for record in caplog.records
    )
    assert "IntegrityError" in logged
    assert SECRET not in logged
