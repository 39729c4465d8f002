"""Operator commands: `db upgrade`, `import`, `invite`, `export arrears`."""

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


async def export_arrears(args: argparse.Namespace, settings: Settings) -> int:
    """Prints every overdue bill with what is still owed, as CSV (amounts in currency units
    with two decimals, from whole cents), oldest first per compound."""
    import csv

    from sqlalchemy import select

    from handlers.fees.rules import arrears
    from storage.models import Compound, utcnow
    from storage.repos.compounds import compound_by_code

    db = await open_current(settings.database_url)
    if db is None:
        return 2
    try:
        async with db.read() as session:
            if args.compound:
                found = await compound_by_code(session, args.compound)
                if found is None:
                    print(f"courtyard: no compound with code {args.compound!r}", file=sys.stderr)
                    return 1
                compounds = [found]
            else:
                compounds = list(await session.scalars(select(Compound).order_by(Compound.code)))
            writer = csv.writer(sys.stdout, lineterminator="\n")
            writer.writerow(
                ["compound", "unit", "building", "period", "item", "owed", "due", "days_overdue"]
            )
            for compound in compounds:
                owed = await arrears(session, compound, utcnow())
                for line, days in sorted(owed.lines, key=lambda x: (x[0].unit, x[0].due_on)):
                    whole, cents = divmod(line.owed, 100)
                    writer.writerow(
                        [
                            compound.code,
                            line.unit,
                            line.building,
                            line.period,
                            line.item.value,
                            f"{whole}.{cents:02d}",
                            line.due_on.isoformat(),
                            days,
                        ]
                    )
        return 0
    finally:
        await db.dispose()
