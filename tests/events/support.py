"""What the events tests share: households added to the demo compound, an event made as
`/event` would make it, and reading sign-ups back."""

from __future__ import annotations

import asyncio
import io
from contextlib import redirect_stderr, redirect_stdout
from datetime import datetime, timedelta

from sqlalchemy import select

from bot.cli import main
from handlers.events.common import EventAction, EventPress
from storage import demo
from storage.db import Database
from storage.models import (
    Building,
    Compound,
    Event,
    EventSignup,
    Person,
    Residency,
    ResidencyRole,
    ResidencyStatus,
    SignupStatus,
    Unit,
)
from tests.docs.test_examples import saved_logging

# Households added for these tests live in building 9 (the demo has buildings 1-3).
EXTRA_BUILDING = "9"


async def demo_compound_id(db: Database) -> int:
    async with db.read() as session:
        compound_id = await session.scalar(select(Compound.id).where(Compound.code == demo.CODE))
    assert compound_id is not None
    return compound_id


async def add_households(
    db: Database, first_telegram_id: int, count: int, *, locale: str = "zh"
) -> list[int]:
    """`count` approved residents of the demo compound, one home each in building 9;
    returns their Telegram ids."""
    compound_id = await demo_compound_id(db)
    ids = list(range(first_telegram_id, first_telegram_id + count))
    async with db.write() as session:
        building = await session.scalar(
            select(Building).where(
                Building.compound_id == compound_id, Building.name == EXTRA_BUILDING
            )
        )
        if building is None:
            building = Building(compound_id=compound_id, name=EXTRA_BUILDING)
            session.add(building)
            await session.flush()
        for telegram_id in ids:
            unit = Unit(
                compound_id=compound_id,
                building_id=building.id,
                label=f"9-1-{telegram_id % 100_000:05d}",
            )
            person = Person(telegram_id=telegram_id, name=f"住户{telegram_id}", locale=locale)
            session.add_all([unit, person])
            await session.flush()
            session.add(
                Residency(
                    compound_id=compound_id,
                    unit_id=unit.id,
                    person_id=person.id,
                    role=ResidencyRole.OWNER,
                    status=ResidencyStatus.APPROVED,
                    source="import",
                )
            )
    return ids


async def make_event(
    db: Database,
    now: datetime,
    *,
    compound_id: int | None = None,
    title: str = "中秋游园会",
    capacity: int = 50,
    per_household: int = 3,
    days: int = 3,
    buildings: list[str] | None = None,
) -> int:
    """A published event `days` from `now`, 2 hours long, sign-up open until it starts."""
    compound_id = compound_id if compound_id is not None else await demo_compound_id(db)
    starts = now + timedelta(days=days)
    async with db.write() as session:
        event = Event(
            compound_id=compound_id,
            title=title,
            description="赏月、猜灯谜",
            place="会所草坪",
            starts_at=starts,
            ends_at=starts + timedelta(hours=2),
            signup_deadline=starts,
            capacity=capacity,
            per_household=per_household,
            buildings=buildings or [],
        )
        session.add(event)
        await session.flush()
        return event.id


async def signups(db: Database, event_id: int) -> list[EventSignup]:
    """The event's sign-ups in arrival order, with their person."""
    async with db.read() as session:
        rows = await session.scalars(
            select(EventSignup).where(EventSignup.event_id == event_id).order_by(EventSignup.seq)
        )
        found = list(rows)
        people = {
            p.id: p
            for p in await session.scalars(
                select(Person).where(Person.id.in_([s.person_id for s in found]))
            )
        }
    for signup in found:
        signup.person = people[signup.person_id]
    return found


def by_status(rows: list[EventSignup], status: SignupStatus) -> list[EventSignup]:
    return [s for s in rows if s.status is status]


def signup_press(event_id: int, people: int) -> str:
    return EventPress(EventAction.SIGNUP, event_id, people).pack()


async def run_cli(*argv: str) -> tuple[int, str, str]:
    """`courtyard ARGV` in this process (DATABASE_URL from the environment): its exit status,
    standard output and standard error. The logging it configures is put back after."""
    out, err = io.StringIO(), io.StringIO()
    with saved_logging(), redirect_stdout(out), redirect_stderr(err):
        code = await asyncio.to_thread(main, list(argv))
    return code, out.getvalue(), err.getvalue()
