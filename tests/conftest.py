"""Shared fixtures: a fresh database per test (SQLite always, PostgreSQL when it answers),
and the engine driven directly through a recording transport."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator

import pytest

from bot.settings import Settings
from storage.db import Database
from storage.models import Base
from tests.harness import Harness

DEFAULT_PG_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
PG_URL = os.environ.get("COURTYARD_TEST_POSTGRES_URL", DEFAULT_PG_URL)
# Under CI (or when asked) the PostgreSQL tests must run; elsewhere they may skip.
PG_REQUIRED = os.environ.get("CI") == "true" or os.environ.get("COURTYARD_REQUIRE_POSTGRES") == "1"


async def _pg_answers() -> str | None:
    import asyncpg

    dsn = PG_URL.replace("postgresql+asyncpg://", "postgresql://")
    try:
        connection = await asyncio.wait_for(asyncpg.connect(dsn), timeout=3)
    except (TimeoutError, OSError, asyncpg.PostgresError) as exc:
        return f"no PostgreSQL at {PG_URL}: {exc}"
    await connection.close()
    return None


async def _postgres_database() -> tuple[Database, str]:
    """A database in a schema of its own, so tests never see each other's rows."""
    import asyncpg

    problem = await _pg_answers()
    if problem:
        if PG_REQUIRED:
            pytest.fail(f"PostgreSQL is required here (CI): {problem}")
        pytest.skip(problem)
    schema = f"t_{uuid.uuid4().hex[:12]}"
    dsn = PG_URL.replace("postgresql+asyncpg://", "postgresql://")
    connection = await asyncpg.connect(dsn)
    await connection.execute(f'CREATE SCHEMA "{schema}"')
    await connection.close()
    db = Database(PG_URL, connect_args={"server_settings": {"search_path": schema}})
    return db, schema


async def _drop_schema(schema: str) -> None:
    import asyncpg

    connection = await asyncpg.connect(PG_URL.replace("postgresql+asyncpg://", "postgresql://"))
    await connection.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
    await connection.close()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def empty_db(request: pytest.FixtureRequest, tmp_path) -> AsyncIterator[Database]:
    """A database with no tables yet, on SQLite and on PostgreSQL (migration tests start here)."""
    if request.param == "sqlite":
        db = Database(f"sqlite+aiosqlite:///{tmp_path / 'courtyard.db'}")
        schema = None
    else:
        db, schema = await _postgres_database()
    try:
        yield db
    finally:
        await db.dispose()
        if schema:
            await _drop_schema(schema)


@pytest.fixture
async def any_db(empty_db: Database) -> Database:
    """The same test on SQLite and on PostgreSQL (STYLE.md 5: one contract, every backend)."""
    async with empty_db.write_engine.begin() as connection:
        await connection.run_sync(Base.metadata.create_all)
    return empty_db


@pytest.fixture
async def db(tmp_path) -> AsyncIterator[Database]:
    """SQLite only: for flow tests where the backend does not matter."""
    database = Database(f"sqlite+aiosqlite:///{tmp_path / 'courtyard.db'}")
    async with database.write_engine.begin() as connection:
        await connection.run_sync(Base.metadata.create_all)
    yield database
    await database.dispose()


@pytest.fixture
def settings(tmp_path) -> Settings:
    return Settings(
        _env_file=None,
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'courtyard.db'}",
        manager_ids=frozenset({9001}),
        telegram_bot_token=None,
    )


@pytest.fixture
async def harness(db: Database, settings: Settings) -> AsyncIterator[Harness]:
    """The engine over a seeded demo compound, driven as users would."""
    h = await Harness.create(db, settings)
    yield h


@pytest.fixture
async def any_harness(any_db: Database, settings: Settings) -> AsyncIterator[Harness]:
    """The engine over a seeded demo compound, on SQLite and on PostgreSQL."""
    h = await Harness.create(any_db, settings)
    yield h
