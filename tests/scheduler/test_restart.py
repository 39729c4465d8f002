"""The store is the truth: a restarted scheduler re-arms every pending row, overdue rows fire
at once, and however many schedulers reach for a row it fires exactly once. On SQLite and on
PostgreSQL alike."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from bot.app import build_flows
from bot.engine.replies import Delivered, Send
from bot.scheduler import DeadlineScheduler
from bot.services import Services
from bot.settings import Settings
from storage.db import Database
from storage.models import CaseEvent, CaseKind, Deadline, Urgency
from tests.harness import Harness, RecordingTransport
from tests.scheduler.support import STAFF_CHAT, Clock, file_case

EMERGENCY = {"kind": CaseKind.EMERGENCY, "category": "emergency", "urgency": Urgency.EMERGENCY}


async def started(db: Database, settings: Settings, clock: Clock) -> Harness:
    h = await Harness.create(db, settings)
    h.services.clock = clock
    return h


async def pending_ids(h: Harness) -> set[int]:
    async with h.services.db.read() as session:
        return set(
            await session.scalars(
                select(Deadline.id).where(
                    Deadline.fired_at.is_(None), Deadline.cancelled.is_(False)
                )
            )
        )


async def escalations(h: Harness) -> Counter[tuple[int, str]]:
    """(case, breach) of every escalation recorded."""
    async with h.services.db.read() as session:
        rows = await session.scalars(select(CaseEvent).where(CaseEvent.kind == "escalated"))
        return Counter((e.case_id, e.data["breach"]) for e in rows)


def staff_lines(*transports: RecordingTransport) -> Counter[str]:
    return Counter(s.text for t in transports for s in t.sent if s.chat_id == STAFF_CHAT)


@dataclass
class SignallingTransport(RecordingTransport):
    """Records like the others, and wakes whoever waits for a message to arrive."""

    arrived: asyncio.Event = field(default_factory=asyncio.Event)

    async def send(self, message: Send) -> Delivered:
        delivered = await super().send(message)
        self.arrived.set()
        return delivered

    async def until(self, predicate: Callable[[], bool]) -> None:
        while not predicate():
            self.arrived.clear()
            await self.arrived.wait()


async def test_a_restart_loses_no_row_and_fires_none_twice(
    any_db: Database, settings: Settings
) -> None:
    clock = Clock(datetime.now(UTC))  # APScheduler keeps real time: nothing here is due yet
    h = await started(any_db, settings, clock)
    for _ in range(3):
        await file_case(h)
    await file_case(h, **EMERGENCY)
    first = DeadlineScheduler(h.engine)
    await first.start()
    assert first.armed() == await pending_ids(h)

    # Some rows fire before the restart (the emergency's re-alerts and reminders)...
    halfway = clock.now + timedelta(minutes=30)
    fired_first = await first.fire_due(halfway)
    assert fired_first > 0
    await first.stop()
    assert not first.running

    # ...the new process arms exactly what is left, including the re-alert planned above.
    restarted = h.restarted()
    restarted.services.clock = clock
    restarted.transport._ids = h.transport._ids  # the same chats: message ids go on
    second = DeadlineScheduler(restarted.engine)
    await second.start()
    try:
        left = await pending_ids(h)
        assert second.armed() == left
        end = clock.now + timedelta(days=30)
        async with h.services.db.read() as session:
            due = set(
                await session.scalars(
                    select(Deadline.id).where(Deadline.id.in_(left), Deadline.due_at <= end)
                )
            )
        assert await second.fire_due(end) == len(due)
        assert await second.fire_due(end) == 0
    finally:
        await second.stop()

    # Each case escalated once per deadline it missed, and the staff chat heard it once.
    counts = await escalations(h)
    assert set(counts.values()) == {1} and len(counts) == 8  # 4 cases x (response, resolve)
    for line, times in staff_lines(h.transport, restarted.transport).items():
        if line.startswith(("⏫", "⏳")):
            assert times == 1, line


async def test_overdue_rows_fire_as_soon_as_the_scheduler_starts(
    any_db: Database, settings: Settings
) -> None:
    clock = Clock(datetime.now(UTC) - timedelta(days=2))
    h = await started(any_db, settings, clock)
    h.transport = h.engine.transport = SignallingTransport()
    case = await file_case(h)  # filed two days ago: both response deadlines have passed
    clock.now = datetime.now(UTC)
    scheduler = DeadlineScheduler(h.engine)
    await scheduler.start()
    try:
        transport = h.transport
        assert isinstance(transport, SignallingTransport)
        await asyncio.wait_for(transport.until(lambda: len(staff_lines(transport)) >= 3), 10)
        # The resolution reminder and breach are days away: armed, waiting.
        still = await pending_ids(h)
        assert len(still) == 2 and scheduler.armed() == still
    finally:
        await scheduler.stop()
    assert (await escalations(h)) == Counter({(case.id, "response"): 1})
    assert len(staff_lines(h.transport)) == 3  # card, reminder, escalation


async def test_two_schedulers_racing_fire_each_row_once(
    any_db: Database, settings: Settings
) -> None:
    """Two processes, each with its own connection pool and transport, reach for every due row
    at the same moment."""
    clock = Clock()
    h = await started(any_db, settings, clock)
    cases = [await file_case(h) for _ in range(8)]
    cases += [await file_case(h, **EMERGENCY) for _ in range(2)]
    other_db = Database(any_db.url, connect_args=any_db.connect_args)
    other = Harness(
        Services(settings=settings, db=other_db, flows=build_flows(), clock=clock),
        # The same Telegram chats: message ids are numbered per chat across both processes.
        RecordingTransport(_ids=h.transport._ids),
    )
    try:
        one, two = DeadlineScheduler(h.engine), DeadlineScheduler(other.engine)
        at = clock.now + timedelta(hours=25)
        async with h.services.db.read() as session:
            due = list(
                await session.scalars(
                    select(Deadline.id).where(
                        Deadline.id.in_(await pending_ids(h)), Deadline.due_at <= at
                    )
                )
            )
        results = await asyncio.gather(
            *(scheduler.fire(row, at) for row in due for scheduler in (one, two))
        )
        assert sum(results) == len(due)
        assert [results[i] ^ results[i + 1] for i in range(0, len(results), 2)] == [True] * len(due)
        assert await asyncio.gather(one.fire_due(at), two.fire_due(at)) == [0, 0]
        # A message that had to wait for an older one to the same chat, claimed by the other
        # process, goes out at the next delivery round (`Outbox.run` does this every second).
        await asyncio.gather(h.engine.outbox.deliver_due(), other.engine.outbox.deliver_due())
    finally:
        await other_db.dispose()

    counts = await escalations(h)
    normal = {(c.id, "response") for c in cases[:8]}
    emergency = {(c.id, b) for c in cases[8:] for b in ("response", "resolve")}
    assert counts == Counter(normal | emergency)
    lines = staff_lines(h.transport, other.transport)
    for case in cases:
        mentions = [line for line in lines.elements() if line.startswith("⏫")]
        assert sum(case.number in line for line in mentions) == (2 if case in cases[8:] else 1)


async def test_the_sweep_fires_rows_this_process_never_armed(
    any_db: Database, settings: Settings
) -> None:
    """Rows another process wrote (or whose job was lost) fire at the next sweep."""
    clock = Clock(datetime.now(UTC))
    h = await started(any_db, settings, clock)
    h.transport = h.engine.transport = SignallingTransport()
    scheduler = DeadlineScheduler(h.engine, sweep_every=timedelta(milliseconds=50))
    await scheduler.start()
    try:
        clock.now -= timedelta(days=2)
        case = await file_case(h)  # as another process would: stored, never armed here
        clock.now = datetime.now(UTC)
        assert scheduler.armed() == set()
        transport = h.transport
        assert isinstance(transport, SignallingTransport)
        await asyncio.wait_for(transport.until(lambda: len(staff_lines(transport)) >= 3), 10)
    finally:
        await scheduler.stop()
    assert (await escalations(h)) == Counter({(case.id, "response"): 1})
