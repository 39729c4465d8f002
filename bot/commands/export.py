"""`courtyard export rollcall ID [--out FILE]`: an emergency's roll-call as CSV, for the record;
`courtyard export event ID`: an event's sign-up list as CSV, for the door and the record."""

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
from storage.models import Compound, SignupStatus
from storage.repos import rollcalls
from storage.repos.events import attendees, get_event

COLUMNS = ("unit", "building", "person", "phone", "answer", "answered_at", "kind")
# The columns of `courtyard export event ID`, in order (docs/cli.md).
EVENT_COLUMNS = (
    "unit",
    "name",
    "phone",
    "people",
    "status",
    "waitlist",
    "code",
    "checked_in",
    "signed_up",
)


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


async def event(args: argparse.Namespace, settings: Settings) -> int:
    """`export event ID`: the event's sign-ups as CSV on standard output, confirmed households
    first, then the waitlist, each in arrival order; times in the compound's time zone."""
    db = await open_current(settings.database_url)
    if db is None:
        return 2
    try:
        async with db.read() as session:
            event = await get_event(session, args.id) if 0 < args.id < 2**31 else None
            if event is None:
                print(f"courtyard: no event {args.id}", file=sys.stderr)
                return 1
            compound = await session.get(Compound, event.compound_id)
            zone = ZoneInfo(compound.timezone if compound else settings.timezone)
            signups = await attendees(session, event.id)
    finally:
        await db.dispose()
    confirmed = [s for s in signups if s.status is SignupStatus.CONFIRMED]
    waiting = [s for s in signups if s.status is SignupStatus.WAITLISTED]
    writer = csv.writer(sys.stdout, lineterminator="\n")
    writer.writerow(EVENT_COLUMNS)
    for position, signup in [(0, s) for s in confirmed] + list(enumerate(waiting, 1)):
        checked = signup.checked_in_at
        writer.writerow(
            (
                signup.unit.label,
                signup.person.name,
                signup.person.phone or "",
                signup.people,
                signup.status.value,
                position or "",
                signup.code if position == 0 else "",
                checked.astimezone(zone).strftime("%Y-%m-%d %H:%M") if checked else "",
                signup.created_at.astimezone(zone).strftime("%Y-%m-%d %H:%M"),
            )
        )
    print(
        f"courtyard: {event.title}: {sum(s.people for s in confirmed)} of {event.capacity} "
        f"places, {len(confirmed)} households, {len(waiting)} waiting",
        file=sys.stderr,
    )
    return 0
