"""Shared fixtures: a fresh database per test (SQLite always, PostgreSQL when it answers),
and the engine driven directly through a recording transport."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from redis.asyncio import Redis
from redis.exceptions import RedisError

from bot.settings import Settings
from storage.db import Database
from storage.models import Base
from tests.harness import Harness, SqliteTemplates, sqlite_file
from tests.redis_support import REDIS_REQUIRED, REDIS_URL, redis_client

DEFAULT_PG_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
PG_URL = os.environ.get("COURTYARD_TEST_POSTGRES_URL", DEFAULT_PG_URL)
# Under CI (or when asked) the PostgreSQL tests must run; elsewhere they may skip.
PG_REQUIRED = os.environ.get("CI") == "true" or os.environ.get("COURTYARD_REQUIRE_POSTGRES") == "1"


async def _postgres_database() -> tuple[Database, str]:
    """A database in a schema of its own, so tests never see each other's rows."""
    import asyncpg

    dsn = PG_URL.replace("postgresql+asyncpg://", "postgresql://")
    try:
        # One connection both asks whether PostgreSQL answers and makes the schema.
        connection = await asyncio.wait_for(asyncpg.connect(dsn), timeout=3)
    except (TimeoutError, OSError, asyncpg.PostgresError) as exc:
        problem = f"no PostgreSQL at {PG_URL}: {exc}"
        if PG_REQUIRED:
            pytest.fail(f"PostgreSQL is required here (CI): {problem}")
        pytest.skip(problem)
    schema = f"t_{uuid.uuid4().hex[:12]}"
    try:
        await connection.execute(f'CREATE SCHEMA "{schema}"')
    finally:
        await connection.close()
    db = Database(PG_URL, connect_args={"server_settings": {"search_path": schema}})
    return db, schema


# The statements `Base.metadata.create_all` sends to PostgreSQL for an empty schema, recorded
# the first time a test makes the tables and sent again as they are for the next tests: the
# same DDL, without create_all's has_table query per table (pointless in a new schema) and on
# a connection that needs no dialect set-up. Plain strings, written once: safe to share.
_PG_TABLES_DDL: list[str] = []


async def _create_postgres_tables(db: Database) -> None:
    import asyncpg
    from sqlalchemy import event

    if _PG_TABLES_DDL:
        dsn = PG_URL.replace("postgresql+asyncpg://", "postgresql://")
        connection = await asyncpg.connect(dsn, **db.connect_args)
        try:
            async with connection.transaction():
                for statement in _PG_TABLES_DDL:
                    await connection.execute(statement)
        finally:
            await connection.close()
        return
    recorded: list[tuple[str, object]] = []

    def record(
        _conn: Any, _cursor: Any, statement: str, parameters: Any, _context: Any, _many: bool
    ) -> None:
        recorded.append((statement, parameters))

    async with db.write_engine.begin() as connection:
        event.listen(connection.sync_connection, "before_cursor_execute", record)
        # checkfirst=False: the schema is new, so there is nothing to check for.
        await connection.run_sync(Base.metadata.create_all, checkfirst=False)
    if recorded and all(
        not parameters and statement.lstrip().upper().startswith(("CREATE ", "ALTER "))
        for statement, parameters in recorded
    ):
        _PG_TABLES_DDL[:] = [statement for statement, _ in recorded]


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


@pytest.fixture(scope="session")
def sqlite_templates(tmp_path_factory: pytest.TempPathFactory) -> SqliteTemplates:
    """The schema and the seeded demo, built once per run; tests get copies (tests/harness.py)."""
    return asyncio.run(SqliteTemplates.build(tmp_path_factory.mktemp("templates")))


@pytest.fixture
async def any_db(empty_db: Database, sqlite_templates: SqliteTemplates) -> Database:
    """The same test on SQLite and on PostgreSQL (STYLE.md 5: one contract, every backend)."""
    path = sqlite_file(empty_db.url)
    if path is not None and not path.exists():
        # Nothing has opened it yet: a copy of the tables made by create_all once per run.
        sqlite_templates.copy_schema(path)
    elif path is None:
        await _create_postgres_tables(empty_db)
    else:
        async with empty_db.write_engine.begin() as connection:
            await connection.run_sync(Base.metadata.create_all)
    return empty_db


@pytest.fixture
async def db(tmp_path, sqlite_templates: SqliteTemplates) -> AsyncIterator[Database]:
    """SQLite only: for flow tests where the backend does not matter."""
    path = tmp_path / "courtyard.db"
    sqlite_templates.copy_schema(path)  # the tables, as create_all makes them
    database = Database(f"sqlite+aiosqlite:///{path}")
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
async def harness(
    db: Database, settings: Settings, sqlite_templates: SqliteTemplates
) -> AsyncIterator[Harness]:
    """The engine over a seeded demo compound, driven as users would."""
    h = await Harness.create(db, settings, templates=sqlite_templates)
    yield h


@pytest.fixture
async def any_harness(any_db: Database, settings: Settings) -> AsyncIterator[Harness]:
    """The engine over a seeded demo compound, on SQLite and on PostgreSQL."""
    h = await Harness.create(any_db, settings)
    yield h


@pytest.fixture
async def redis() -> AsyncIterator[Redis]:
    """A client of the test Redis (one "process"); skips or fails when Redis does not answer."""
    client = redis_client()
    try:
        await client.ping()
    except (RedisError, OSError) as exc:
        await client.aclose()
        problem = f"no Redis at {REDIS_URL}: {exc}"
        if REDIS_REQUIRED:
            pytest.fail(f"Redis is required here (CI): {problem}")
        pytest.skip(problem)
    yield client
    await client.aclose()
