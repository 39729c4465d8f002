"""`courtyard export rollcall ID [--out FILE]`: an emergency's roll-call as CSV, for the record."""

from __future__ import annotations

import argparse
import asyncio
import csv
import io
import sys
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.settings import Settings
from storage.migrate import open_current

COLUMNS = ("unit", "building", "person", "phone", "answer", "answered_at", "kind")


async def rollcall(args: argparse.Namespace, settings: Settings) -> int:
    """Writes one line per person the roll-call went to, by unit: their phone, their latest
    answer (`safe`, `help`, `away`, empty when none) and when, in the compound's time zone;
    `kind` is `drill` for a drill, else `emergency`. To standard output, or `--out FILE`."""
    from storage.models import Compound
    from storage.repos import rollcalls

    db = await open_current(settings.database_url)
    if db is None:
        return 2
    try:
        async with db.read() as session:
            roll = await rollcalls.get(session, args.id)
            if roll is None:
                print(f"courtyard: no roll-call {args.id}", file=sys.stderr)
                return 1
            compound = await session.get(Compound, roll.compound_id)
            zone = ZoneInfo(compound.timezone if compound else settings.timezone)
            rows = await rollcalls.export_rows(session, roll.id)
    finally:
        await db.dispose()
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(COLUMNS)
    kind = "drill" if roll.drill else "emergency"
    for row in rows:
        when = ""
        if row.answered_at is not None:
            when = row.answered_at.astimezone(zone).isoformat(timespec="seconds")
        answer = row.answer.value if row.answer else ""
        writer.writerow((row.unit, row.building, row.person, row.phone, answer, when, kind))
    if args.out:
        await asyncio.to_thread(Path(args.out).write_text, buffer.getvalue(), encoding="utf-8")
        print(f"roll-call {roll.id}: {len(rows)} people written to {args.out}")
    else:
        sys.stdout.write(buffer.getvalue())
    return 0
