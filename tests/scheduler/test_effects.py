"""What each kind of deadline does when it comes due, and that it does nothing once its
reason has passed. The clock is moved by hand and rows are fired with `fire_due(now)`."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import select, update

from bot.engine.replies import Delivered, Send
from bot.i18n import translate
from bot.scheduler import DeadlineScheduler
from handlers.cases import rules
from storage.models import (
    Case,
    CaseEvent,
    CaseStatus,
    ChatBinding,
    Compound,
    Deadline,
    DeadlineKind,
    Person,
)
from storage.repos.cases import load_case
from storage.repos.people import load_actor
from tests.harness import Harness, RecordingTransport
from tests.scheduler.support import (
    GLOBAL_MANAGER,
    MANAGER,
    PLUMBER,
    RESIDENT,
    STAFF_CHAT,
    Clock,
    card,
    deadline_rows,
    due_of,
    file_case,
    resolve,
    take,
    texts,
)


async def events(h: Harness, case_id: int, kind: str) -> list[CaseEvent]:
    async with h.services.db.read() as session:
        rows = await session.scalars(
            select(CaseEvent).where(CaseEvent.case_id == case_id, CaseEvent.kind == kind)
        )
        return list(rows)


async def test_response_reminder_asks_the_staff_chat_to_take_the_case(
    h: Harness, scheduler: DeadlineScheduler
) -> None:
    case = await file_case(h)
    at = due_of(await deadline_rows(h, case.id), DeadlineKind.RESPONSE_REMINDER)
    assert await scheduler.fire_due(at - timedelta(seconds=1)) == 0
    assert await scheduler.fire_due(at) == 1
    # Filed 09:00 Shanghai time on 2 March, a normal repair: respond within a day.
    expected = translate("zh", "case-reminder-response", number=case.number, due="03-03 09:00")
    assert texts(h, STAFF_CHAT)[-1] == expected
    assert await scheduler.fire_due(at) == 0


@dataclass
class ForumTransport(RecordingTransport):
    """A staff chat that is a forum: a card opens a topic, and we note each send's topic."""

    topics: list[int | None] = field(default_factory=list)

    async def send(self, message: Send) -> Delivered:
        delivered = await super().send(message)
        if message.open_topic:
            delivered.thread_id = 700 + len(self.topics)
        self.topics.append(delivered.thread_id or message.thread_id)
        return delivered


async def test_reminders_go_to_the_case_topic_in_a_forum_staff_chat(
    h: Harness, scheduler: DeadlineScheduler
) -> None:
    async with h.services.db.write() as session:
        await session.execute(
            update(ChatBinding).where(ChatBinding.chat_id == STAFF_CHAT).values(is_forum=True)
        )
    h.transport = h.engine.transport = ForumTransport()
    case = await file_case(h)
    topic = h.transport.topics[0]
    assert topic is not None
    await scheduler.fire_due(due_of(await deadline_rows(h, case.id), DeadlineKind.RESPONSE_BREACH))
    staff_sends = [
        (sent.text, h.transport.topics[i])
        for i, sent in enumerate(h.transport.sent)
        if sent.chat_id == STAFF_CHAT
    ]
    reminder, escalation = staff_sends[1:]
    assert reminder[0].startswith("⏳") and reminder[1] == topic
    assert escalation[0].startswith("⏫") and escalation[1] == topic


async def test_response_breach_escalates_to_managers_staff_chat_and_card(
    h: Harness, scheduler: DeadlineScheduler
) -> None:
    case = await file_case(h)
    at = due_of(await deadline_rows(h, case.id), DeadlineKind.RESPONSE_BREACH)
    assert await scheduler.fire_due(at) == 2  # the reminder, then the breach
    escalated = await events(h, case.id, "escalated")
    assert [e.data for e in escalated] == [{"breach": "response"}]
    told = translate("zh", "case-escalated-response", number=case.number)
    for manager in (MANAGER, GLOBAL_MANAGER):
        assert texts(h, manager) == [told]
    assert texts(h, STAFF_CHAT)[-1] == told
    assert translate("zh", "case-card-escalated") in card(h, case.number).text


async def test_taking_the_case_stops_the_response_reminder_and_breach(
    h: Harness, scheduler: DeadlineScheduler, clock: Clock
) -> None:
    case = await file_case(h)
    rows = await deadline_rows(h, case.id)
    clock.advance(hours=1)
    await take(h, case.number)
    before = texts(h, STAFF_CHAT)
    assert await scheduler.fire_due(due_of(rows, DeadlineKind.RESPONSE_BREACH)) == 0
    assert texts(h, STAFF_CHAT) == before
    assert await events(h, case.id, "escalated") == []


async def test_a_row_whose_reason_passed_fires_silently(
    h: Harness, scheduler: DeadlineScheduler
) -> None:
    """A row still pending although the case moved on (left by an older release, or changed
    by hand) is claimed and says nothing."""
    case = await file_case(h)
    rows = await deadline_rows(h, case.id)
    async with h.services.db.write() as session:
        await session.execute(
            update(Case)
            .where(Case.id == case.id)
            .values(acknowledged_at=case.created_at, status=CaseStatus.CLOSED)
        )
    before = len(h.transport.sent)
    assert await scheduler.fire_due(due_of(rows, DeadlineKind.RESOLVE_BREACH)) == 4
    assert len(h.transport.sent) == before and h.transport.edits == []
    assert await events(h, case.id, "escalated") == []


async def test_resolution_reminder_goes_to_the_assignee_in_private(
    h: Harness, scheduler: DeadlineScheduler, clock: Clock
) -> None:
    case = await file_case(h)
    rows = await deadline_rows(h, case.id)
    clock.advance(hours=1)
    await take(h, case.number)
    staff_before = texts(h, STAFF_CHAT)
    assert await scheduler.fire_due(due_of(rows, DeadlineKind.RESOLVE_REMINDER)) == 1
    # Resolve within three days: 09:00 on 5 March.
    expected = translate("zh", "case-reminder-resolve", number=case.number, due="03-05 09:00")
    assert texts(h, PLUMBER)[-1] == expected
    assert texts(h, STAFF_CHAT) == staff_before


async def test_resolution_reminder_without_an_assignee_goes_to_the_staff_chat(
    h: Harness, scheduler: DeadlineScheduler
) -> None:
    case = await file_case(h)
    rows = await deadline_rows(h, case.id)
    assert await scheduler.fire_due(due_of(rows, DeadlineKind.RESOLVE_REMINDER)) == 3
    expected = translate(
        "zh", "deadline-reminder-resolve-unassigned", number=case.number, due="03-05 09:00"
    )
    assert texts(h, STAFF_CHAT)[-1] == expected


async def test_resolution_breach_escalates_an_unresolved_case(
    h: Harness, scheduler: DeadlineScheduler, clock: Clock
) -> None:
    case = await file_case(h)
    rows = await deadline_rows(h, case.id)
    clock.advance(hours=1)
    await take(h, case.number)
    assert await scheduler.fire_due(due_of(rows, DeadlineKind.RESOLVE_BREACH)) == 2
    escalated = await events(h, case.id, "escalated")
    assert [e.data for e in escalated] == [{"breach": "resolve"}]
    told = translate("zh", "case-escalated-resolve", number=case.number)
    assert texts(h, MANAGER)[-1] == told and texts(h, STAFF_CHAT)[-1] == told


async def test_resolving_stops_the_resolution_reminder_and_breach(
    h: Harness, scheduler: DeadlineScheduler, clock: Clock
) -> None:
    case = await file_case(h)
    rows = await deadline_rows(h, case.id)
    clock.advance(hours=1)
    await take(h, case.number)
    await resolve(h, case.number)
    private_before = texts(h, PLUMBER)
    assert await scheduler.fire_due(due_of(rows, DeadlineKind.RESOLVE_BREACH)) == 0
    assert texts(h, PLUMBER) == private_before
    assert await events(h, case.id, "escalated") == []


async def test_an_unconfirmed_resolution_closes_after_the_compounds_days(
    h: Harness, scheduler: DeadlineScheduler, clock: Clock
) -> None:
    async with h.services.db.write() as session:
        compound = await session.scalar(select(Compound))
        assert compound is not None
        compound.settings = {**compound.settings, "auto_close_days": 2}
    case = await file_case(h)
    clock.advance(hours=1)
    await take(h, case.number)
    resolved_at = clock.advance(hours=2)
    await resolve(h, case.number)
    rows = await deadline_rows(h, case.id)
    assert due_of(rows, DeadlineKind.AUTO_CLOSE) == resolved_at + timedelta(days=2)

    assert await scheduler.fire_due(resolved_at + timedelta(days=2, minutes=-1)) == 0
    assert await scheduler.fire_due(resolved_at + timedelta(days=2)) == 1
    async with h.services.db.read() as session:
        closed = await session.get(Case, case.id)
        assert closed is not None
        assert closed.status is CaseStatus.CLOSED and closed.closed_at is not None
    assert texts(h, RESIDENT)[-1] == translate("zh", "case-told-auto-closed", number=case.number)
    assert card(h, case.number).buttons == []  # a closed case keeps no buttons
    assert len(await events(h, case.id, "auto_closed")) == 1


async def test_a_rated_case_is_not_auto_closed(
    h: Harness, scheduler: DeadlineScheduler, clock: Clock
) -> None:
    case = await file_case(h)
    await take(h, case.number)
    await resolve(h, case.number)
    async with h.services.db.write() as session:
        # The resident's rating (their /mycases flow), straight through the rules.
        rated = await load_case(session, case.id)
        resident = await session.scalar(select(Person).where(Person.telegram_id == RESIDENT))
        assert rated is not None and resident is not None
        actor = await load_actor(session, resident, manager_ids=frozenset())
        await rules.rate(session, rated, actor, 5, clock.now)
    async with h.services.db.read() as session:
        row = await session.scalar(
            select(Deadline).where(
                Deadline.case_id == case.id, Deadline.kind == DeadlineKind.AUTO_CLOSE
            )
        )
        assert row is not None and row.cancelled
    assert await scheduler.fire_due(clock.now + timedelta(days=30)) == 0
    assert await events(h, case.id, "auto_closed") == []
