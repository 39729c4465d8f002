"""An aiosqlite connection that only leaves the event loop for what may wait.

aiosqlite keeps one thread per connection and runs every call there, and SQLAlchemy's adapter
makes four calls per statement (open a cursor, execute, fetch, close). Each call is a hand-off
to the thread and back through the event loop, 0.06-0.1 ms on a small machine, against
~0.01 ms for SQLite to answer a query by primary key. An event of five queries spent ~3 ms in
hand-offs, inside the write transaction every other writer queues behind (bench/engine.py).

What can make SQLite wait is known, and only that goes to the thread:
- `BEGIN IMMEDIATE` when another process (an import from the command line) holds the write
  lock: it waits up to the busy timeout. It is first tried on the loop with no timeout, and
  only sent to the thread when the lock is taken;
- a commit that wrote appends to the WAL and may run a checkpoint, which syncs to disk;
- opening and closing the connection.
Everything else runs on the loop: a statement inside a transaction we hold never waits for
another connection in WAL mode (readers see their snapshot; our writes are under our own write
lock), so it costs what SQLite's work costs. Calls on one connection never overlap (SQLAlchemy
serialises them), which is what `check_same_thread=False` requires.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Awaitable, Callable, Iterable, Sequence
from typing import Any

import aiosqlite

Row = tuple[Any, ...]
# Statements that take a lock and may wait for another process: sent to the thread.
_WAITING_BEGINS = ("BEGIN IMMEDIATE", "BEGIN EXCLUSIVE")


class _Outcome:
    """What one statement produced."""

    __slots__ = ("description", "lastrowid", "rowcount", "rows")

    def __init__(self, cursor: sqlite3.Cursor) -> None:
        self.description = cursor.description
        self.rows: list[Row] = cursor.fetchall() if cursor.description else []
        self.rowcount = cursor.rowcount
        self.lastrowid = cursor.lastrowid


def _run(conn: sqlite3.Connection, sql: str, parameters: Any, *, many: bool = False) -> _Outcome:
    cursor = conn.cursor()
    try:
        if many:
            cursor.executemany(sql, parameters)
        elif parameters is None:
            cursor.execute(sql)
        else:
            cursor.execute(sql, parameters)
        return _Outcome(cursor)
    finally:
        cursor.close()


def _begin_unless_busy(conn: sqlite3.Connection, sql: str) -> _Outcome | None:
    """Takes the write lock at once if it is free; None if someone else holds it.

    Within this process writers already queue on `Database`'s lock, so the lock is nearly
    always free and taking it is a few microseconds, far less than a trip to the thread.
    """
    (timeout,) = conn.execute("PRAGMA busy_timeout").fetchone()
    conn.execute("PRAGMA busy_timeout=0")
    try:
        return _run(conn, sql, None)
    except sqlite3.OperationalError as exc:
        if exc.sqlite_errorcode in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED):
            return None
        raise
    finally:
        conn.execute(f"PRAGMA busy_timeout={int(timeout)}")


class FastCursor:
    """The part of aiosqlite's cursor that SQLAlchemy's adapter uses; rows come back with the
    statement, so fetching needs no further call."""

    def __init__(self, connection: FastConnection) -> None:
        self._connection = connection
        self._rows: list[Row] = []
        self._at = 0
        self.description: Any = None
        self.rowcount = -1
        self.lastrowid: int | None = None
        self.arraysize = 1

    async def __aenter__(self) -> FastCursor:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def execute(self, sql: str, parameters: Any = None) -> FastCursor:
        connection = self._connection
        conn = connection._conn
        head = sql.lstrip()[:16].upper()
        if head.startswith(_WAITING_BEGINS):
            outcome = _begin_unless_busy(conn, sql)
            if outcome is None:
                # Another process holds the write lock: wait for it (busy timeout) off the loop.
                # aiosqlite's own hand-off to its thread; it carries no type hints.
                outcome = await connection._execute(_run, conn, sql, parameters)  # type: ignore[no-untyped-call]
            self._take(outcome)
        else:
            self._take(_run(conn, sql, parameters))
        if head.startswith("BEGIN"):
            connection._changes_at_begin = conn.total_changes
        return self

    async def executemany(self, sql: str, parameters: Iterable[Any]) -> FastCursor:
        self._take(_run(self._connection._conn, sql, list(parameters), many=True))
        return self

    def _take(self, outcome: _Outcome) -> None:
        self.description, self.rowcount = outcome.description, outcome.rowcount
        self.lastrowid, self._rows, self._at = outcome.lastrowid, outcome.rows, 0

    async def fetchone(self) -> Row | None:
        if self._at >= len(self._rows):
            return None
        self._at += 1
        return self._rows[self._at - 1]

    async def fetchmany(self, size: int | None = None) -> Sequence[Row]:
        end = self._at + (size or self.arraysize)
        chunk, self._at = self._rows[self._at : end], min(end, len(self._rows))
        return chunk

    async def fetchall(self) -> Sequence[Row]:
        rest, self._at = self._rows[self._at :], len(self._rows)
        return rest

    async def close(self) -> None:
        self._rows = []


class FastConnection(aiosqlite.Connection):
    """aiosqlite's connection with statements on the loop (see the module docstring)."""

    # total_changes when the transaction began: a commit with nothing written has no WAL to
    # append and no checkpoint to run, so it cannot wait and need not go to the thread.
    _changes_at_begin = -1

    def cursor(self) -> FastCursor:  # type: ignore[override]
        return FastCursor(self)

    async def commit(self) -> None:
        conn = self._conn
        if conn.total_changes == self._changes_at_begin or not conn.in_transaction:
            conn.commit()
        else:
            await super().commit()

    async def rollback(self) -> None:
        # Rolling back releases locks and discards the WAL frames not yet written: no waiting.
        # The pool rolls back every connection it takes back, mostly with nothing to undo.
        self._conn.rollback()


def fast_connector(*args: Any, **kwargs: Any) -> Callable[[], Awaitable[FastConnection]]:
    """An `async_creator` for SQLAlchemy: `sqlite3.connect(*args, **kwargs)` in the
    connection's own thread, as `aiosqlite.connect` does."""
    kwargs["check_same_thread"] = False

    async def create() -> FastConnection:
        connection = FastConnection(lambda: sqlite3.connect(*args, **kwargs), iter_chunk_size=64)
        # As SQLAlchemy does for aiosqlite: a forgotten connection must not keep Python alive.
        connection._thread.daemon = True
        await connection  # starts the connection's thread and opens the database
        return connection

    return create
