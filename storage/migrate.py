"""Schema migrations (Alembic), run from `courtyard db upgrade` and checked at start-up."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.ext.asyncio import AsyncEngine

from storage.db import Database
from storage.reach import check_database

MIGRATIONS = Path(__file__).parent / "migrations"


class SchemaOutOfDate(RuntimeError):
    """The database is not at the newest revision; `courtyard db upgrade` fixes it."""


def alembic_config(url: str, *, connect_args: dict[str, Any] | None = None) -> Config:
    """Alembic's configuration for a URL; `connect_args` reach the driver as they do for
    `Database` (e.g. a PostgreSQL `search_path` naming the schema to migrate)."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    config.attributes["connect_args"] = dict(connect_args or {})
    return config


def head_revision() -> str:
    heads = ScriptDirectory.from_config(alembic_config("sqlite://")).get_heads()
    if len(heads) != 1:
        raise RuntimeError(f"migrations have {len(heads)} heads; merge them")
    return heads[0]


async def upgrade(url: str, *, connect_args: dict[str, Any] | None = None) -> None:
    """Creates or migrates the schema to the newest revision. Raises `DatabaseUnavailable`
    (one line) when the database cannot be reached or written."""
    await check_database(url, connect_args=connect_args)
    # Alembic's env.py runs its own event loop, so it gets a thread of its own.
    config = alembic_config(url, connect_args=connect_args)
    await asyncio.to_thread(command.upgrade, config, "head")


async def current_revision(engine: AsyncEngine) -> str | None:
    async with engine.connect() as connection:
        return await connection.run_sync(
            lambda sync: MigrationContext.configure(sync).get_current_revision()
        )


async def require_current(engine: AsyncEngine) -> None:
    """Refuses to go on against a schema that is missing or older than this release."""
    current, head = await current_revision(engine), head_revision()
    if current != head:
        found = "no schema" if current is None else f"schema revision {current}"
        raise SchemaOutOfDate(
            f"the database has {found}, this release needs {head}: run `courtyard db upgrade`"
        )


async def open_current(url: str, *, write: bool = True) -> Database | None:
    """The database for a command, if its schema is current; None after printing why on
    stderr (one line naming `courtyard db upgrade`). Raises `DatabaseUnavailable` (one line)
    when the database cannot be reached, or written unless `write` is False."""
    await check_database(url, write=write)
    db = Database(url)
    try:
        await require_current(db.write_engine)
    except SchemaOutOfDate as exc:
        await db.dispose()
        print(f"courtyard: {exc}", file=sys.stderr)
        return None
    return db
