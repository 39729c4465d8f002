"""Whether the configured database can be used, checked once at start, in one line.

Without this a wrong port, a missing database, a host that does not exist or an unparseable
DATABASE_URL surfaced as a 120-180 line traceback from whichever command met it first, and a
read-only SQLite file was discovered by every write. `check_database` is called by every
command before it opens the store; it raises `DatabaseUnavailable`, whose message is one line
saying what is wrong and how to fix it, with the password of the URL masked.
"""

from __future__ import annotations

import asyncio
import os
import socket
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

# How long a PostgreSQL server may take to accept a connection before we give up: an
# unroutable address would otherwise hang for the driver's own minute.
CONNECT_TIMEOUT = 10.0
EXAMPLE_URL = "postgresql+asyncpg://USER:PASSWORD@HOST:5432/DATABASE"


class DatabaseUnavailable(RuntimeError):
    """The database cannot be used; the message says why and what to do, in one line."""


def shown(url: str | URL) -> str:
    """The URL as it may be printed: the password masked."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "(unparseable)"


def url_problem(url: str) -> str | None:
    """Why DATABASE_URL cannot name a database this bot can use, in one line; None if it can."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        return f"DATABASE_URL is not a database URL; it should look like {EXAMPLE_URL}"
    try:
        dialect = parsed.get_dialect()
    except NoSuchModuleError:
        return (
            f"DATABASE_URL names {parsed.drivername!r}, which this installation cannot use: "
            f"use sqlite+aiosqlite:///PATH or {EXAMPLE_URL}"
        )
    if not getattr(dialect, "is_async", False):
        return (
            f"DATABASE_URL needs an asyncio driver, not {parsed.drivername!r}: "
            f"write {parsed.get_backend_name()}+"
            f"{'aiosqlite' if parsed.get_backend_name() == 'sqlite' else 'asyncpg'}://..."
        )
    return None


async def check_database(
    url: str, *, connect_args: dict[str, Any] | None = None, write: bool = True
) -> None:
    """Raises `DatabaseUnavailable` unless the bot can read and write the database at `url`
    (only read, with `write=False`, for a command that only reports).

    SQLite: the folder can be created and written (the journal lives beside the file) and
    the file, if there is one, can be written. Other backends: a connection is opened.
    """
    problem = url_problem(url)
    if problem is None:
        parsed = make_url(url)
        if parsed.get_backend_name() == "sqlite":
            problem = sqlite_problem(parsed) if write else None
        else:
            problem = await _server_problem(parsed, connect_args or {})
    if problem is not None:
        raise DatabaseUnavailable(problem)


def sqlite_problem(url: URL) -> str | None:
    """Why the SQLite file of `url` cannot be written, in one line; None if it can. Creates
    the folder when it is missing, so that a fresh checkout works with no set-up."""
    if url.database in (None, "", ":memory:") or url.query.get("uri"):
        return None
    path = Path(url.database).expanduser()
    folder = path.parent
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        return (
            f"cannot create the folder {folder} for the SQLite database ({_reason(exc)}): "
            "create it, or point DATABASE_URL elsewhere"
        )
    try:
        # SQLite writes its -wal and -shm files next to the database.
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as exc:
        return (
            f"the folder {folder} of the SQLite database cannot be written ({_reason(exc)}): "
            "give the bot's user write access to it, or point DATABASE_URL elsewhere"
        )
    if path.is_dir():
        return f"the SQLite database {path} is a folder, not a file: fix DATABASE_URL"
    if path.exists():
        try:
            os.close(os.open(path, os.O_RDWR))
        except OSError as exc:
            return (
                f"the SQLite database {path} is read-only ({_reason(exc)}): "
                "give the bot's user write access to it"
            )
    return None


async def _server_problem(url: URL, connect_args: dict[str, Any]) -> str | None:
    engine = create_async_engine(
        url, connect_args=connect_args, poolclass=NullPool, hide_parameters=True
    )
    try:
        async with asyncio.timeout(CONNECT_TIMEOUT):
            async with engine.connect() as connection:
                await connection.execute(text("SELECT 1"))
    except Exception as exc:
        return explain(url, exc)
    finally:
        await engine.dispose()
    return None


def explain(url: URL, exc: BaseException) -> str:
    """What a failed connection to the server of `url` means, and what to do, in one line."""
    host, port = url.host or "localhost", url.port or 5432
    where = f"{host}:{port}"
    tail = f" (DATABASE_URL={shown(url)})"
    for cause in _causes(exc):
        name = type(cause).__name__
        if name == "InvalidCatalogNameError":
            return (
                f'database "{url.database}" does not exist on {where}: create it '
                f"(createdb -h {host} -p {port} {url.database}) or fix DATABASE_URL{tail}"
            )
        if name in ("InvalidPasswordError", "InvalidAuthorizationSpecificationError"):
            return (
                f'the server at {where} refused user "{url.username}": check the user and '
                f"password in DATABASE_URL{tail}"
            )
        if isinstance(cause, socket.gaierror):
            return f'cannot find the database host "{host}": check the host in DATABASE_URL{tail}'
        if isinstance(cause, ConnectionRefusedError):
            return (
                f"nothing accepts connections at {where}: is the database server running, "
                f"and is the port in DATABASE_URL right?{tail}"
            )
        if isinstance(cause, TimeoutError):
            return (
                f"no answer from {where} within {CONNECT_TIMEOUT:.0f} s: check the host and "
                f"port in DATABASE_URL and any firewall between{tail}"
            )
        if isinstance(cause, OSError):
            return f"cannot reach {where} ({_reason(cause)}): check DATABASE_URL{tail}"
    message = _first_line(exc, url.password)
    return f"cannot use the database at {where}: {message}{tail}"


def _causes(exc: BaseException) -> Iterator[BaseException]:
    """The exception and what it wraps: SQLAlchemy keeps the driver's error in `orig`."""
    seen: set[int] = set()
    pending: list[BaseException | None] = [exc]
    while pending:
        current = pending.pop(0)
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        pending.extend([getattr(current, "orig", None), current.__cause__, current.__context__])


def _first_line(exc: BaseException, password: str | None) -> str:
    line = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
    return line.replace(password, "***") if password else line


def _reason(exc: OSError) -> str:
    return exc.strerror or str(exc) or type(exc).__name__
