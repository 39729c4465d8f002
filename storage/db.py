"""The database handle: engines, sessions and the SQLite settings that keep writes safe.

SQLite (the embedded default) runs in WAL mode with a busy timeout, and every write
transaction starts with `BEGIN IMMEDIATE`: the write lock is taken up front, so two writers
never both read, then both try to upgrade to a write and one fails with "database is locked".
Reads use a second engine with ordinary deferred transactions, so they never wait on a writer.
PostgreSQL (production) goes through asyncpg with one engine for both.

Within one process, SQLite writers also queue on an asyncio lock before they BEGIN: SQLite's
own busy handler waits by sleeping (1, 2, 5 … up to 100 ms at a time), which under load costs
far more than the write itself. The busy timeout is still there for other processes (an
import from the command line while the bot runs).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from storage.row_cache import CachingSession, RowCache
from storage.sqlite_driver import fast_connector

SQLITE_BUSY_TIMEOUT_MS = 10_000
# A failed statement's error names the statement but not its values: those are residents'
# names, units and descriptions, and errors end up in logs (and in the log of an apology).
ENGINE_OPTIONS: dict[str, Any] = {"hide_parameters": True}


def _sqlite_engine(url: str, *, begin: str) -> AsyncEngine:
    # The same connection arguments SQLAlchemy would use, on a connection that costs one
    # hand-off to its thread per statement instead of four (storage/sqlite_driver.py).
    parsed = make_url(url)
    args, kwargs = parsed.get_dialect()().create_connect_args(parsed)
    engine = create_async_engine(
        url, async_creator=fast_connector(*args, **kwargs), **ENGINE_OPTIONS
    )

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Take transaction control from the driver so that we can emit our own BEGIN.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(connection: Any) -> None:
        # Straight to the driver: exec_driver_sql builds an execution context and a result
        # for a statement that returns nothing, a tenth of a millisecond on every transaction.
        cursor = connection.connection.dbapi_connection.cursor()
        try:
            cursor.execute(begin)
        finally:
            cursor.close()

    return engine


def ensure_sqlite_directory(url: str) -> None:
    """Creates the folder of a SQLite file so that a fresh checkout works with no set-up."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        Path(parsed.database).expanduser().parent.mkdir(parents=True, exist_ok=True)


class Database:
    """Opens sessions: `write()` for a unit of work that changes data, `read()` for queries."""

    def __init__(self, url: str, *, connect_args: dict[str, Any] | None = None) -> None:
        self.url = url
        # Kept so that migrations reach the same place (a PostgreSQL search_path, say).
        self.connect_args = dict(connect_args or {})
        self.is_sqlite = make_url(url).get_backend_name() == "sqlite"
        if self.is_sqlite:
            ensure_sqlite_directory(url)
            self.write_engine = _sqlite_engine(url, begin="BEGIN IMMEDIATE")
            self.read_engine = _sqlite_engine(url, begin="BEGIN")
        else:
            self.write_engine = create_async_engine(
                url,
                pool_size=10,
                max_overflow=10,
                connect_args=self.connect_args,
                **ENGINE_OPTIONS,
            )
            self.read_engine = self.write_engine
        # Compounds and chat bindings, cached for every session of this handle (row_cache.py).
        self.rows = RowCache()
        self._writer = self._sessions(self.write_engine)
        self._reader = self._sessions(self.read_engine)
        # SQLite: this process's writers queue here, first come first served. Left to SQLite's
        # busy handler they poll, sleeping up to 100 ms between tries, and under a steady stream
        # of writes an unlucky one starves past the busy timeout ("database is locked"; seen
        # with 40 concurrent users in bench/cases.py). Other processes still meet the timeout.
        self._write_turn: asyncio.Lock | None = asyncio.Lock() if self.is_sqlite else None

    def _sessions(self, engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
        return async_sessionmaker(
            engine,
            expire_on_commit=False,
            sync_session_class=CachingSession,
            info={"row_cache": self.rows},
        )

    @property
    def dialect(self) -> str:
        return self.write_engine.dialect.name

    @asynccontextmanager
    async def write(self) -> AsyncIterator[AsyncSession]:
        """A transaction that commits on success and rolls back on any error."""
        if self._write_turn is None:
            async with self._writer() as session, session.begin():
                yield session
            return
        async with self._write_turn, self._writer() as session, session.begin():
            yield session

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncSession]:
        async with self._reader() as session, session.begin():
            yield session

    async def dispose(self) -> None:
        await self.write_engine.dispose()
        if self.read_engine is not self.write_engine:
            await self.read_engine.dispose()
