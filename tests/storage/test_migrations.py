"""Alembic: an empty database upgraded to head matches the models, on every backend."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection, func, select, text

from storage.db import Database
from storage.migrate import (
    SchemaOutOfDate,
    alembic_config,
    current_revision,
    head_revision,
    require_current,
    upgrade,
)
from storage.models import Base, Case, CaseEvent, CaseKind
from tests.storage.factories import make_place


def _differences(connection: Connection) -> list[Any]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return compare_metadata(context, Base.metadata)


async def test_upgrade_to_head_builds_the_models_schema(empty_db: Database) -> None:
    await upgrade(empty_db.url, connect_args=empty_db.connect_args)
    async with empty_db.read_engine.connect() as connection:
        differences = await connection.run_sync(_differences)
    assert differences == []
    assert await current_revision(empty_db.read_engine) == head_revision()


async def test_upgrade_again_changes_nothing(empty_db: Database) -> None:
    await upgrade(empty_db.url, connect_args=empty_db.connect_args)
    await upgrade(empty_db.url, connect_args=empty_db.connect_args)
    assert await current_revision(empty_db.read_engine) == head_revision()
    async with empty_db.read_engine.connect() as connection:
        assert await connection.run_sync(_differences) == []


async def test_an_empty_database_is_refused_with_the_fix(empty_db: Database) -> None:
    with pytest.raises(SchemaOutOfDate, match="no schema") as refused:
        await require_current(empty_db.write_engine)
    assert "courtyard db upgrade" in str(refused.value)
    await upgrade(empty_db.url, connect_args=empty_db.connect_args)
    await require_current(empty_db.write_engine)


async def _migrate_to(db: Database, revision: str) -> None:
    config = alembic_config(db.url, connect_args=db.connect_args)
    await asyncio.to_thread(command.upgrade, config, revision)


def _case(compound_id: int, resident_id: int, number: str) -> Case:
    return Case(
        compound_id=compound_id,
        number=number,
        kind=CaseKind.REPAIR,
        category="plumbing",
        resident_id=resident_id,
    )


async def test_case_numbers_per_compound_keep_existing_cases(empty_db: Database) -> None:
    """0003 rebuilds the cases table on SQLite: cases and their trail survive it, and a
    second compound may then use a number the first already has."""
    await _migrate_to(empty_db, "0002")
    maple = await make_place(empty_db, code="maple")
    now = datetime(2026, 11, 27, 2, 0, tzinfo=UTC)
    async with empty_db.write() as session:
        # Written as 0002 knew persons: the model has columns later migrations add.
        resident = await session.scalar(
            text(
                "INSERT INTO persons (telegram_id, name, locale_chosen, created_at) "
                "VALUES (700100001, 'resident', false, :now) RETURNING id"
            ),
            {"now": now.replace(tzinfo=None) if empty_db.dialect == "sqlite" else now},
        )
        assert resident is not None
    async with empty_db.write() as session:
        case = _case(maple.compound_id, resident, "R-20261127-001")
        session.add(case)
        await session.flush()
        session.add(CaseEvent(case_id=case.id, kind="created", at=now))

    await upgrade(empty_db.url, connect_args=empty_db.connect_args)

    birch = await make_place(empty_db, code="birch")
    async with empty_db.write() as session:
        session.add(_case(birch.compound_id, resident, "R-20261127-001"))
    async with empty_db.read() as session:
        assert await session.scalar(select(func.count()).select_from(Case)) == 2
        assert await session.scalar(select(func.count()).select_from(CaseEvent)) == 1
