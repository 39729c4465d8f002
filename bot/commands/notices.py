"""`courtyard notice send FILE.yaml`, `notice list`, `notice cancel ID` (docs/notices.md)."""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.settings import Settings
from handlers.notices import files
from handlers.notices.sending import JOB, cancel_notice, cancellable, figures, go_out
from handlers.notices.timing import first_time, local
from storage import migrate
from storage.models import Compound, NoticeStatus, utcnow
from storage.repos import jobs
from storage.repos.compounds import compound_by_code
from storage.repos.notices import all_notices, load_notice


def _say(problem: str) -> None:
    print(f"courtyard: {problem}", file=sys.stderr)


async def _compound(session: AsyncSession, code: str | None) -> Compound | None:
    """The compound named by --compound, or the only one; None after saying why not."""
    if code:
        compound = await compound_by_code(session, code)
        if compound is None:
            _say(f"no compound with code {code!r}")
        return compound
    compounds = (await session.scalars(select(Compound).limit(2))).all()
    if len(compounds) != 1:
        _say("several compounds: name one with --compound" if compounds else "no compound yet")
        return None
    return compounds[0]


async def send(args: argparse.Namespace, settings: Settings) -> int:
    """Checks the file and queues the notice now, or schedules it. Every problem is printed
    as `FILE: field: reason` and nothing is stored (exit 1)."""
    path = Path(args.file)
    try:
        # A small file read once before anything else happens: nothing else waits on the loop.
        text = await asyncio.to_thread(path.read_text, encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        _say(f"cannot read {path}: {getattr(exc, 'strerror', None) or exc}")
        return 2
    try:
        spec = files.read(text)
    except files.NoticeFileInvalid as invalid:
        return _refused(path, invalid)
    db = await migrate.open_current(settings.database_url)
    if db is None:
        return 2
    try:
        async with db.write() as session:
            compound = await _compound(session, args.compound)
            if compound is None:
                return 1
            now = utcnow()
            try:
                notice, schedule = await files.build(session, spec, compound, now)
            except files.NoticeFileInvalid as invalid:
                return _refused(path, invalid)
            session.add(notice)
            await session.flush()
            first = first_time(schedule, compound.timezone, now)
            assert first is not None
            if not schedule.recurring and first <= now:
                queued = await go_out(
                    session, notice, compound, now, now, default_locale=settings.default_locale
                )
                notice.status = NoticeStatus.SENT
                print(f"notice {notice.id} queued: {queued or 0} messages; the bot sends them")
                return 0
            await jobs.schedule(session, JOB, str(notice.id), first)
            notice.next_run_at = first
            when = local(first, compound.timezone).strftime("%Y-%m-%d %H:%M")
            print(f"notice {notice.id} scheduled in {compound.code}: next {when}")
            return 0
    finally:
        await db.dispose()


def _refused(path: Path, invalid: files.NoticeFileInvalid) -> int:
    for problem in invalid.problems:
        print(f"{path.name}: {problem}", file=sys.stderr)
    _say(f"nothing sent from {path.name} ({len(invalid.problems)} problems)")
    return 1


async def list_notices(args: argparse.Namespace, settings: Settings) -> int:
    """One line per notice: id, category, status, next run, sent/delivered/blocked/failed."""
    db = await migrate.open_current(settings.database_url)
    if db is None:
        return 2
    try:
        async with db.read() as session:
            compound = await _compound(session, args.compound)
            if compound is None:
                return 1
            notices = await all_notices(session, compound.id)
            print("id\tcategory\tstatus\tnext run\tsent/delivered/blocked/failed")
            for notice in notices:
                n = await figures(session, notice.id)
                upcoming = (
                    local(notice.next_run_at, compound.timezone).strftime("%Y-%m-%d %H:%M")
                    if notice.next_run_at
                    else "-"
                )
                print(
                    f"{notice.id}\t{notice.category.value}\t{notice.status.value}\t{upcoming}\t"
                    f"{n.sent}/{n.delivered}/{n.blocked}/{n.failed}"
                )
            return 0
    finally:
        await db.dispose()


async def cancel(args: argparse.Namespace, settings: Settings) -> int:
    """Cancels a notice still scheduled or going out."""
    db = await migrate.open_current(settings.database_url)
    if db is None:
        return 2
    try:
        async with db.write() as session:
            notice = await load_notice(session, args.id, lock=True)
            if notice is None:
                _say(f"no notice {args.id}")
                return 1
            if not cancellable(notice, await figures(session, notice.id)):
                _say(f"notice {notice.id} is {notice.status.value}: nothing left to cancel")
                return 1
            stopped = await cancel_notice(session, notice, utcnow())
            print(f"notice {notice.id} cancelled: {stopped} unsent messages stopped")
            return 0
    finally:
        await db.dispose()
