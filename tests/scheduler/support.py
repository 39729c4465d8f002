"""What the deadline tests share: the demo's people, a clock moved by hand, filing a case as a
resident would, and pressing the staff card's buttons."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from handlers.cases import rules
from handlers.cases.announce import Announcer
from storage import demo, working_hours
from storage.models import Case, CaseKind, Compound, Deadline, DeadlineKind, Person, Urgency
from tests.harness import Harness, Sent

# 王芳 (zh, home 1-1-0301), 李师傅 (plumber), 张经理 (manager), MANAGER_IDS in the settings.
RESIDENT, PLUMBER, MANAGER, GLOBAL_MANAGER = 1001, 2001, 3001, 9001
STAFF_CHAT = demo.STAFF_CHAT_ID
# A Monday morning in Shanghai, so that no deadline falls on a day boundary by accident.
START = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)


@dataclass
class Clock:
    """The time the application reads; tests move it with `advance`."""

    now: datetime = START

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now


async def file_case(
    h: Harness,
    telegram_id: int = RESIDENT,
    *,
    kind: CaseKind = CaseKind.REPAIR,
    category: str = "plumbing",
    urgency: Urgency = Urgency.NORMAL,
    round_the_clock: bool = True,
) -> Case:
    """Files a case as the resident's intake would, and delivers its staff card."""
    async with h.services.db.write() as session:
        person = await session.scalar(select(Person).where(Person.telegram_id == telegram_id))
        compound = await session.scalar(select(Compound).where(Compound.code == demo.CODE))
        assert person is not None and compound is not None
        if round_the_clock:
            # These tests time deadlines in elapsed hours; office hours have their own tests
            # (tests/scheduler/test_working_hours.py).
            compound.settings = {**compound.settings, working_hours.SETTING: "always"}
        change = await rules.open_case(
            session,
            compound=compound,
            resident=person,
            draft=rules.Draft(kind, category, "厨房水管漏水", urgency=urgency),
            now=h.services.clock(),
        )
        announcer = Announcer(session, h.services.settings)
        await announcer.created(change)
    await h.engine.deliver(announcer.out)
    return change.case


async def deadline_rows(h: Harness, case_id: int) -> dict[DeadlineKind, list[Deadline]]:
    async with h.services.db.read() as session:
        rows = await session.scalars(
            select(Deadline).where(Deadline.case_id == case_id).order_by(Deadline.id)
        )
        found: dict[DeadlineKind, list[Deadline]] = {}
        for row in rows:
            found.setdefault(row.kind, []).append(row)
        return found


def due_of(rows: dict[DeadlineKind, list[Deadline]], kind: DeadlineKind) -> datetime:
    (row,) = [r for r in rows[kind] if not r.cancelled]
    return row.due_at


def card(h: Harness, number: str) -> Sent:
    """The staff card of case `number` as the staff chat shows it now."""
    return next(s for s in h.transport.to(STAFF_CHAT) if f" {number} · " in s.text.split("\n")[0])


def texts(h: Harness, chat_id: int) -> list[str]:
    return [s.text for s in h.transport.to(chat_id)]


async def take(h: Harness, number: str, staff: int = PLUMBER) -> None:
    """A staff member presses Take on the case's card."""
    await h.press(staff, card(h, number).data("接单"), chat=STAFF_CHAT)


async def resolve(
    h: Harness, number: str, note: str = "已更换水管接头", staff: int = PLUMBER
) -> None:
    """The assignee presses Resolve on the card and types the note."""
    await h.press(staff, card(h, number).data("解决"), chat=STAFF_CHAT)
    await h.say(staff, note, chat=STAFF_CHAT)
