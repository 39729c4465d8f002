"""Counters that concurrent writers can bump without losing counts.

Reading a row, adding one in Python and writing it back loses updates on PostgreSQL: under
READ COMMITTED two transactions both read 7 and both write 8. (SQLite is spared only because
`Database.write()` takes the whole database's write lock up front.) These helpers let the
database do the addition in the statement itself, `SET n = n + 1`, which every backend applies
to the latest committed value under the row lock.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import ColumnElement, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

# Both dialects spell "INSERT ... ON CONFLICT DO UPDATE" alike, each with its own construct.
# Both dialects' INSERT builders offer ON CONFLICT; the generic one does not.
_INSERTS: dict[str, Callable[..., Any]] = {"postgresql": postgresql_insert, "sqlite": sqlite_insert}


async def increment(
    session: AsyncSession,
    column: InstrumentedAttribute[int],
    *where: ColumnElement[bool],
    by: int = 1,
) -> int | None:
    """Adds `by` to `column` in the one row `where` selects; returns the new value, or None
    when no row matched."""
    model = column.class_
    result = await session.execute(
        update(model)
        .where(*where)
        .values({column.key: column + by})
        .returning(column)
        # The new value comes back from RETURNING; objects already loaded are refreshed.
        .execution_options(synchronize_session="fetch")
    )
    return result.scalar_one_or_none()


async def upsert_increment(
    session: AsyncSession,
    column: InstrumentedAttribute[int],
    *,
    key: dict[str, Any],
    by: int = 1,
) -> int:
    """Adds `by` to `column` in the row identified by `key` (the columns of a unique
    constraint), creating the row with the value `by` when there is none yet. Returns the new
    value. Two writers creating the same row at once are safe too: the loser's INSERT turns
    into the UPDATE."""
    model = column.class_
    dialect = (await session.connection()).dialect.name
    insert = _INSERTS.get(dialect)
    if insert is None:
        raise NotImplementedError(f"upsert_increment does not know the {dialect} dialect")
    statement = insert(model).values({**key, column.key: by})
    statement = statement.on_conflict_do_update(
        index_elements=list(key), set_={column.key: column + by}
    ).returning(column)
    value: int = (await session.execute(statement)).scalar_one()
    return value
