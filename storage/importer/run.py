"""Running an import: check every row, then write them all in one transaction, or nothing."""

from __future__ import annotations

from collections import Counter
from collections.abc import Hashable
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from storage.db import Database
from storage.importer.base import (
    Defaults,
    ImportContext,
    Importer,
    ImportFailed,
    ItemT,
    Outcome,
    Problem,
    Summary,
)
from storage.importer.cells import Cells
from storage.importer.compounds import CompoundImporter
from storage.importer.fees import BillImporter, LedgerImporter, PaymentImporter
from storage.importer.residents import ResidentImporter
from storage.importer.settings import SettingImporter
from storage.importer.staff import StaffImporter
from storage.importer.table import Table, read_table
from storage.importer.units import UnitImporter
from storage.models import utcnow
from storage.repos import audit

IMPORTERS: dict[str, type[Importer[Any]]] = {
    importer.kind: importer
    for importer in (
        CompoundImporter,
        UnitImporter,
        ResidentImporter,
        StaffImporter,
        SettingImporter,
        BillImporter,
        PaymentImporter,
        LedgerImporter,
    )
}
KINDS = tuple(IMPORTERS)


async def import_file(
    db: Database,
    kind: str,
    path: Path,
    *,
    defaults: Defaults | None = None,
    now: datetime | None = None,
) -> Summary:
    """Imports one CSV file of `kind` (compounds, units, residents, staff, settings,
    bills, payments, ledger): every
    row or none.

    Raises ImportFailed naming each bad row (`line N: reason`) when any row is bad; the
    transaction is then rolled back and the database is as it was.
    """
    table = read_table(path)
    defaults, now = defaults or Defaults(), now or utcnow()
    async with db.write() as session:
        return await import_table(
            session, kind, table, defaults=defaults, now=now, source=path.name
        )


async def import_table(
    session: AsyncSession,
    kind: str,
    table: Table,
    *,
    defaults: Defaults,
    now: datetime,
    source: str,
) -> Summary:
    """Checks and writes the rows of a table inside the caller's transaction; raises
    ImportFailed before writing anything when a column is missing or a row is bad."""
    importer = IMPORTERS[kind](ImportContext(session, defaults, now, source))
    missing = [column for column in importer.required if column not in table.columns]
    if missing:
        reason = (
            f"missing column {', '.join(missing)} (a {kind} file needs "
            f"{', '.join(importer.required)}; it may also have {', '.join(importer.optional)})"
        )
        raise ImportFailed([Problem(1, reason)])
    await importer.prepare(table.rows)
    items = _checked(importer, table)
    summary = Summary(kind=kind, source=source)
    per_compound: dict[int, Counter[Outcome]] = {}
    for item in items:
        outcome, compound_id = await importer.apply(item)
        summary.counts[outcome] += 1
        per_compound.setdefault(compound_id, Counter())[outcome] += 1
    summary.notes.extend(await importer.finish())
    for compound_id, counts in per_compound.items():
        # An import that changed nothing leaves no trace, so a re-import is a true no-op.
        if counts[Outcome.CREATED] or counts[Outcome.UPDATED]:
            audit.record(
                session,
                action=f"import.{kind}",
                actor_id=None,
                compound_id=compound_id,
                target=f"file:{source}"[:64],
                **{outcome.value: counts[outcome] for outcome in Outcome},
            )
    await session.flush()
    return summary


def _checked(importer: Importer[ItemT], table: Table) -> list[ItemT]:
    """Every row checked; the rows' items, or ImportFailed with every bad row."""
    items: list[ItemT] = []
    problems: list[Problem] = []
    first_line: dict[Hashable, int] = {}
    for row in table.rows:
        cells = Cells(row)
        item = importer.parse(cells)
        if item is not None:
            first = first_line.setdefault(item.key, row.line)
            if first == row.line:
                items.append(item)
            else:
                cells.fail(f"the same {importer.noun} as line {first}")
        if cells.reasons:
            problems.append(Problem(row.line, "; ".join(cells.reasons)))
    if problems:
        raise ImportFailed(problems)
    return items
