"""Mass delivery on SQLite and PostgreSQL: one row per chat, quiet hours, blocked people
skipped, outcomes recorded, progress edited in place, cancel, urgent first, replies never
behind a broadcast, and no row sent by two senders."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from bot.engine.bulk import (
    BulkSender,
    Priority,
    cancel,
    open_broadcast,
    progress,
    queue,
)
from bot.engine.outbox import LEASE, Outbox, enqueue
from bot.engine.replies import Delivered, RetryLater, Send, Undeliverable
from storage.db import Database
from storage.models import (
    Broadcast,
    BroadcastKind,
    Building,
    Compound,
    OutboxMessage,
    OutboxStatus,
    Person,
    Residency,
    ResidencyRole,
    ResidencyStatus,
    Unit,
)
from storage.repos.audience import AudienceSpec, Topic, household_count, recipients
from tests.harness import RecordingTransport

# Monday 2026-03-02 10:00 in Shanghai: not quiet.
DAY = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)
# The same day at 23:00 in Shanghai: quiet until 07:00 the next morning.
NIGHT = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)
MORNING = datetime(2026, 3, 2, 23, 0, tzinfo=UTC)
MANAGER_CHAT, GROUP = 9001, -100500


@dataclass
class Clock:
    now: datetime = DAY

    def __call__(self) -> datetime:
        return self.now


@dataclass
class ScriptedTransport(RecordingTransport):
    """Records like a chat client; chats in `failing` raise their errors first."""

    failing: dict[int, list[Exception]] = field(default_factory=dict)

    async def send(self, message: Send) -> Delivered:
        errors = self.failing.get(message.chat_id)
        if errors:
            raise errors.pop(0)
        return await super().send(message)


async def compound_with_residents(
    db: Database, per_building: int = 4, buildings: int = 3
) -> Compound:
    """A compound whose buildings 1..n each have `per_building` homes with one bound
    resident (Telegram id 10000 + building*100 + home; the first home's resident is its
    owner, the others tenants), plus one resident with no Telegram id."""
    async with db.write() as session:
        compound = Compound(code="maple", name="Maple", locale="zh", timezone="Asia/Shanghai")
        session.add(compound)
        await session.flush()
        for b in range(1, buildings + 1):
            building = Building(compound_id=compound.id, name=str(b))
            session.add(building)
            await session.flush()
            for home in range(1, per_building + 1):
                unit = Unit(compound_id=compound.id, building_id=building.id, label=f"{b}-{home}01")
                person = Person(telegram_id=10000 + b * 100 + home, name=f"r{b}{home}")
                session.add_all([unit, person])
                await session.flush()
                session.add(
                    Residency(
                        compound_id=compound.id,
                        unit_id=unit.id,
                        person_id=person.id,
                        role=ResidencyRole.OWNER if home == 1 else ResidencyRole.TENANT,
                        status=ResidencyStatus.APPROVED,
                        source="import",
                    )
                )
        offline = Person(telegram_id=None, name="no telegram")
        session.add(offline)
        await session.flush()
        session.add(
            Residency(
                compound_id=compound.id,
                unit_id=unit.id,
                person_id=offline.id,
                role=ResidencyRole.FAMILY,
                status=ResidencyStatus.APPROVED,
                source="import",
            )
        )
        return compound


async def start(
    db: Database,
    compound: Compound,
    chats: list[int],
    now: datetime,
    *,
    urgent: bool = False,
    subject: str = "notice:1",
    progress_chat: int | None = MANAGER_CHAT,
) -> int:
    async with db.write() as session:
        broadcast = await open_broadcast(
            session,
            compound=compound,
            kind=BroadcastKind.EMERGENCY if urgent else BroadcastKind.NOTICE,
            subject=subject,
            title="停水通知",
            now=now,
            urgent=urgent,
            progress_chat_id=progress_chat,
        )
        assert broadcast is not None
        await queue(
            session,
            broadcast,
            [Send(chat_id=chat, text=f"通知 {chat}") for chat in chats],
            now,
            compound=compound,
        )
        return broadcast.id


def sender(db: Database, transport: RecordingTransport, clock: Clock) -> BulkSender:
    return BulkSender(db, Outbox(db, transport, clock), clock, rate=1000, window=4)


async def drain(bulk: BulkSender) -> None:
    while await bulk.send_due():
        pass


async def test_the_audience_is_each_bound_resident_once(any_db: Database) -> None:
    compound = await compound_with_residents(any_db)
    async with any_db.write() as session:
        everyone = await recipients(session, compound)
        building_2 = await recipients(session, compound, AudienceSpec(buildings=("2",)))
        owners = await recipients(session, compound, AudienceSpec(owners_only=True))
        units = await recipients(session, compound, AudienceSpec(units=("1-201", "3-401")))
        homes = await household_count(session, compound, AudienceSpec(buildings=("1", "3")))
        muted = await session.scalar(select(Person).where(Person.telegram_id == 10101))
        assert muted is not None
        muted.muted = [str(Topic.COMMUNITY)]
        await session.flush()
        community = await recipients(session, compound, topic=Topic.COMMUNITY)
        outage = await recipients(session, compound, topic=Topic.OUTAGE)
    # 12 residents with Telegram; the one without cannot be messaged.
    assert len(everyone) == 12
    assert {r.building for r in building_2} == {"2"} and len(building_2) == 4
    assert {r.role for r in owners} == {ResidencyRole.OWNER} and len(owners) == 3
    assert sorted(r.unit_label for r in units) == ["1-201", "3-401"]
    assert homes == 8
    # A muted topic leaves the person out; outages reach everyone they are for.
    assert 10101 not in {r.telegram_id for r in community} and len(community) == 11
    assert len(outage) == 12


async def test_a_broadcast_goes_to_every_chat_once_and_reports_progress(
    any_db: Database,
) -> None:
    compound = await compound_with_residents(any_db)
    clock, transport = Clock(), ScriptedTransport()
    chats = [10101, 10102, 10201, 10202, 10101]  # one chat named twice
    broadcast_id = await start(any_db, compound, chats, clock.now)
    bulk = sender(any_db, transport, clock)
    await drain(bulk)
    await bulk.outbox.deliver_due()  # the progress message and its edits
    assert sorted(s.chat_id for s in transport.sent if s.chat_id != MANAGER_CHAT) == [
        10101,
        10102,
        10201,
        10202,
    ]
    async with any_db.read() as session:
        state = await progress(session, broadcast_id)
        broadcast = await session.get(Broadcast, broadcast_id)
    assert (state.total, state.delivered, state.waiting) == (4, 4, 0)
    assert broadcast is not None and broadcast.finished_at is not None
    # One progress message, edited in place to its final state.
    shown = transport.to(MANAGER_CHAT)
    assert len(shown) == 1
    assert "4 / 4" in shown[0].text and "已发送完毕" in shown[0].text


async def test_opening_the_same_subject_twice_sends_once(any_db: Database) -> None:
    compound = await compound_with_residents(any_db)
    await start(any_db, compound, [10101], DAY)
    async with any_db.write() as session:
        again = await open_broadcast(
            session,
            compound=compound,
            kind=BroadcastKind.NOTICE,
            subject="notice:1",
            title="x",
            now=DAY,
        )
    assert again is None


async def test_quiet_hours_hold_private_messages_until_morning_not_group_posts(
    any_db: Database,
) -> None:
    compound = await compound_with_residents(any_db)
    clock, transport = Clock(NIGHT), ScriptedTransport()
    await start(any_db, compound, [10101, GROUP], NIGHT, progress_chat=None)
    bulk = sender(any_db, transport, clock)
    await drain(bulk)
    assert [s.chat_id for s in transport.sent] == [GROUP]
    clock.now = MORNING - timedelta(minutes=1)
    await drain(bulk)
    assert [s.chat_id for s in transport.sent] == [GROUP]
    clock.now = MORNING
    await drain(bulk)
    assert [s.chat_id for s in transport.sent] == [GROUP, 10101]


async def test_an_urgent_broadcast_ignores_quiet_hours_and_goes_first(any_db: Database) -> None:
    compound = await compound_with_residents(any_db)
    clock, transport = Clock(DAY), ScriptedTransport()
    await start(any_db, compound, [10101, 10102, 10201], DAY, subject="notice:1")
    clock.now = NIGHT
    await start(any_db, compound, [10301, 10302], NIGHT, urgent=True, subject="emergency:1")
    async with any_db.read() as session:
        priorities = set(
            await session.scalars(
                select(OutboxMessage.priority).where(OutboxMessage.chat_id.in_([10301, 10302]))
            )
        )
    assert priorities == {Priority.URGENT}
    bulk = BulkSender(any_db, Outbox(any_db, transport, clock), clock, rate=1000, window=1)
    bulk.batch = 2
    await bulk.send_due()
    assert [s.chat_id for s in transport.sent if s.chat_id != MANAGER_CHAT] == [10301, 10302]


async def test_blocked_failed_and_flooded_rows_are_recorded_and_people_marked(
    any_db: Database,
) -> None:
    compound = await compound_with_residents(any_db)
    async with any_db.write() as session:
        known_blocked = await session.scalar(select(Person).where(Person.telegram_id == 10104))
        assert known_blocked is not None
        known_blocked.blocked_at = DAY
    clock = Clock()
    transport = ScriptedTransport(
        failing={
            10101: [Undeliverable("Forbidden: bot was blocked by the user", blocked=True)],
            10102: [Undeliverable("Bad Request: chat not found")],
            10103: [RetryLater("flood wait (429)", delay=30)],
        }
    )
    broadcast_id = await start(
        any_db, compound, [10101, 10102, 10103, 10104], DAY, progress_chat=None
    )
    bulk = sender(any_db, transport, clock)
    await drain(bulk)
    async with any_db.read() as session:
        state = await progress(session, broadcast_id)
        marked = await session.scalar(select(Person.blocked_at).where(Person.telegram_id == 10101))
    # 10104 was known to have blocked the bot: recorded, never tried.
    assert (state.blocked, state.failed, state.waiting, state.delivered) == (2, 1, 1, 0)
    assert marked is not None
    assert [s.chat_id for s in transport.sent] == []
    clock.now += timedelta(seconds=31)
    await drain(bulk)
    assert [s.chat_id for s in transport.sent] == [10103]


async def test_cancel_stops_what_has_not_gone(any_db: Database) -> None:
    compound = await compound_with_residents(any_db)
    clock, transport = Clock(NIGHT), ScriptedTransport()
    broadcast_id = await start(any_db, compound, [10101, 10102, GROUP], NIGHT)
    bulk = sender(any_db, transport, clock)
    await drain(bulk)  # the group post goes; the homes wait for the morning
    async with any_db.write() as session:
        stopped = await cancel(session, broadcast_id, NIGHT)
    clock.now = MORNING
    await drain(bulk)
    await bulk.outbox.deliver_due()
    assert stopped == 2
    assert [s.chat_id for s in transport.sent if s.chat_id != MANAGER_CHAT] == [GROUP]
    assert "已取消" in transport.last(MANAGER_CHAT).text


async def test_replies_neither_wait_for_nor_hold_up_a_broadcast(any_db: Database) -> None:
    compound = await compound_with_residents(any_db)
    clock, transport = Clock(NIGHT), ScriptedTransport()
    await start(any_db, compound, [10101], NIGHT, progress_chat=None)
    outbox = Outbox(any_db, transport, clock)
    async with any_db.write() as session:
        rows = enqueue(session, [Send(10101, "您的报修已受理")], NIGHT)
        await session.flush()
        reply = [row.id for row in rows]
    await outbox.deliver(reply)
    # The notice waits for the morning; the reply to the same person does not wait for it.
    assert [s.text for s in transport.to(10101)] == ["您的报修已受理"]
    await outbox.deliver_due()
    assert [s.text for s in transport.to(10101)] == ["您的报修已受理"]


async def test_two_senders_never_send_the_same_row(any_db: Database) -> None:
    compound = await compound_with_residents(any_db, per_building=10, buildings=3)
    clock, transport = Clock(), ScriptedTransport()
    chats = [10000 + b * 100 + h for b in (1, 2, 3) for h in range(1, 11)]
    await start(any_db, compound, chats, DAY, progress_chat=None)
    first, second = sender(any_db, transport, clock), sender(any_db, transport, clock)
    first.batch = second.batch = 5

    async def run(bulk: BulkSender) -> None:
        await drain(bulk)

    await asyncio.gather(run(first), run(second))
    sent = [s.chat_id for s in transport.sent]
    assert sorted(sent) == sorted(chats)


async def test_rows_of_a_killed_sender_go_again_after_the_lease(any_db: Database) -> None:
    compound = await compound_with_residents(any_db)
    clock, transport = Clock(), ScriptedTransport()
    await start(any_db, compound, [10101, 10102], DAY, progress_chat=None)
    killed = sender(any_db, transport, clock)
    claimed = await killed._claim(10)  # taken, then the process died before sending
    assert len(claimed) == 2
    restarted = sender(any_db, transport, clock)
    await drain(restarted)
    assert transport.sent == []
    clock.now += LEASE + timedelta(seconds=1)
    await drain(restarted)
    assert sorted(s.chat_id for s in transport.sent) == [10101, 10102]
    async with any_db.read() as session:
        statuses = set(
            await session.scalars(
                select(OutboxMessage.status).where(OutboxMessage.broadcast_id.is_not(None))
            )
        )
    assert statuses == {OutboxStatus.SENT}
