"""Alembic: an empty database upgraded to head matches the models, on every backend."""

from __future__ import annotations

from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection

from storage.db import Database
from storage.migrate import (
    SchemaOutOfDate,
    current_revision,
    head_revision,
    require_current,
    upgrade,
)
from storage.models import Base


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
