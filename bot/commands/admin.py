"""Operator commands: `db upgrade`, `import`, `invite`."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from bot.settings import Settings
from storage.migrate import open_current, upgrade


async def db_upgrade(args: argparse.Namespace, settings: Settings) -> int:
    await upgrade(settings.database_url)
    print("schema is up to date")
    return 0


async def import_csv(args: argparse.Namespace, settings: Settings) -> int:
    """Imports a CSV file of `args.kind`, all rows or none. Prints the summary and exits 0;
    or prints each bad row as `line N: reason` and exits 1 having imported nothing."""
    from storage.importer import Defaults, ImportFailed, import_file

    db = await open_current(settings.database_url)
    if db is None:
        return 2
    path = Path(args.file)
    defaults = Defaults(locale=settings.default_locale, timezone=settings.timezone)
    try:
        summary = await import_file(db, args.kind, path, defaults=defaults)
    except ImportFailed as failed:
        for problem in failed.problems:
            print(problem, file=sys.stderr)
        bad_rows = sum(1 for problem in failed.problems if (problem.line or 0) > 1)
        detail = f" (bad rows: {bad_rows})" if bad_rows else ""
        print(f"courtyard: nothing imported from {path.name}{detail}", file=sys.stderr)
        return 1
    finally:
        await db.dispose()
    print(summary)
    return 0


async def invite(args: argparse.Namespace, settings: Settings) -> int:
    """Prints a one-time invite code for a unit as the last line of output."""
    from sqlalchemy import select

    from storage.models import Compound, ResidencyRole, utcnow
    from storage.repos.compounds import compound_by_code, unit_by_label
    from storage.repos.invites import create_invite

    db = await open_current(settings.database_url)
    if db is None:
        return 2
    try:
        async with db.write() as session:
            if args.compound:
                compound = await compound_by_code(session, args.compound)
                if compound is None:
                    print(f"courtyard: no compound with code {args.compound!r}", file=sys.stderr)
                    return 1
            else:
                compounds = (await session.scalars(select(Compound).limit(2))).all()
                if len(compounds) != 1:
                    print("courtyard: several compounds: name one with --compound", file=sys.stderr)
                    return 1
                compound = compounds[0]
            unit = await unit_by_label(session, compound.id, args.unit)
            if unit is None:
                print(f"courtyard: no unit {args.unit!r} in {compound.code}", file=sys.stderr)
                return 1
            code = await create_invite(
                session,
                compound_id=compound.id,
                unit_id=unit.id,
                role=ResidencyRole(args.role),
                now=utcnow(),
            )
            print(f"invite for {unit.label} ({args.role}) in {compound.code}, valid 30 days:")
            print(code.code)
        return 0
    finally:
        await db.dispose()


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


async def export(args: argparse.Namespace, settings: Settings) -> int:
    """`export event ID`: the event's sign-ups as CSV on standard output, confirmed households
    first, then the waitlist, each in arrival order; times in the compound's time zone."""
    import csv
    from zoneinfo import ZoneInfo

    from storage.models import Compound, SignupStatus
    from storage.repos.events import attendees, get_event

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
