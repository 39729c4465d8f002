"""`courtyard export rollcall ID [--out FILE]`: an emergency's roll-call as CSV, for the record."""

from __future__ import annotations

import argparse
import asyncio
import csv
import io
import sys
from pathlib import Path
from typing import TextIO
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from bot.settings import Settings
from storage.migrate import open_current
from storage.models import Compound
from storage.repos import rollcalls

COLUMNS = ("unit", "building", "person", "phone", "answer", "answered_at", "kind")


async def write_csv(session: AsyncSession, roll_call_id: int, out: TextIO) -> int | None:
    """Writes one line per person the roll-call went to, by unit: their phone, their latest
    answer (`safe`, `help`, `away`, empty when none) and when, in the compound's time zone;
    `kind` is `drill` for a drill, else `emergency`. Returns how many people; None when
    there is no such roll-call."""
    roll = await rollcalls.get(session, roll_call_id)
    if roll is None:
        return None
    compound = await session.get(Compound, roll.compound_id)
    zone = ZoneInfo(compound.timezone if compound else "UTC")
    rows = await rollcalls.export_rows(session, roll.id)
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    kind = "drill" if roll.drill else "emergency"
    for row in rows:
        when = ""
        if row.answered_at is not None:
            when = row.answered_at.astimezone(zone).isoformat(timespec="seconds")
        answer = row.answer.value if row.answer else ""
        writer.writerow((row.unit, row.building, row.person, row.phone, answer, when, kind))
    return len(rows)


async def rollcall(args: argparse.Namespace, settings: Settings) -> int:
    """The CSV on standard output, or in `--out FILE` with one line saying so; exit 1 when
    there is no such roll-call."""
    db = await open_current(settings.database_url)
    if db is None:
        return 2
    buffer = io.StringIO()
    try:
        async with db.read() as session:
            count = await write_csv(session, args.id, buffer)
    finally:
        await db.dispose()
    if count is None:
        print(f"courtyard: no roll-call {args.id}", file=sys.stderr)
        return 1
    if args.out:
        await asyncio.to_thread(Path(args.out).write_text, buffer.getvalue(), encoding="utf-8")
        print(f"roll-call {args.id}: {count} people written to {args.out}")
    else:
        sys.stdout.write(buffer.getvalue())
    return 0
