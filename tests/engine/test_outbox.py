"""The outbox on SQLite and PostgreSQL: rows written with the change, delivered after it, kept
until sent, retried as Telegram asks, in order per chat, and never sent by two senders."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from bot.engine.outbox import Outbox, enqueue
from bot.engine.replies import Delivered, Edit, RetryLater, Send, Toast, Undeliverable
from storage import demo
from storage.db import Database
from storage.models import Conversation, OutboxMessage, OutboxStatus, Person, SentMessage
from tests.harness import Harness, RecordingTransport

CHAT, OTHER = 1001, 1002


@dataclass
class Clock:
    now: datetime = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


@dataclass
class FlakyTransport(RecordingTransport):
    """Records like a chat client; the chats in `failing` fail with the given error."""

    failing: dict[int, list[Exception]] = field(default_factory=dict)

    async def send(self, message: Send) -> Delivered:
        errors = self.failing.get(message.chat_id)
        if errors:
            raise errors.pop(0)
        return await super().send(message)


async def store(db: Database, *items: Send | Edit) -> list[int]:
    async with db.write() as session:
        rows = enqueue(session, items, Clock().now)
        await session.flush()
        return [row.id for row in rows]


async def rows(db: Database) -> dict[int, OutboxMessage]:
    async with db.read() as session:
        return {r.id: r for r in await session.scalars(select(OutboxMessage))}


async def test_rows_are_sent_once_and_remember_their_message(any_db: Database) -> None:
    transport = FlakyTransport()
    outbox = Outbox(any_db, transport, Clock())
    ids = await store(any_db, Send(CHAT, "卡片", ref="case:1"), Send(OTHER, "hello"))
    await outbox.deliver(ids)
    await outbox.deliver(ids)  # a second round finds nothing owed
    await outbox.deliver_due()
    assert [s.text for s in transport.sent] == ["卡片", "hello"]
    stored = await rows(any_db)
    assert {r.status for r in stored.values()} == {OutboxStatus.SENT}
    assert stored[ids[0]].message_id == 1
    async with any_db.read() as session:
        (remembered,) = await session.scalars(select(SentMessage))
    assert (remembered.ref, remembered.chat_id, remembered.message_id) == ("case:1", CHAT, 1)


async def test_toasts_are_never_rows(any_db: Database) -> None:
    async with any_db.write() as session:
        assert enqueue(session, [Toast("ok")], Clock().now) == []


async def test_a_flood_wait_is_honoured_however_long_and_keeps_the_chat_in_order(
    any_db: Database,
) -> None:
    clock = Clock()
    transport = FlakyTransport(failing={CHAT: [RetryLater("429", delay=3600)]})
    outbox = Outbox(any_db, transport, clock)
    first, second, elsewhere = await store(
        any_db, Send(CHAT, "one"), Send(CHAT, "two"), Send(OTHER, "other chat")
    )
    await outbox.deliver([first, second, elsewhere])
    # The chat waits, in order; another chat is not held up.
    assert [s.text for s in transport.sent] == ["other chat"]
    await outbox.deliver_due()
    assert [s.text for s in transport.sent] == ["other chat"]

    clock.now += timedelta(seconds=3600)
    await outbox.deliver_due()
    assert [s.text for s in transport.to(CHAT)] == ["one", "two"]


async def test_server_errors_back_off_and_end_in_delivery(any_db: Database) -> None:
    clock = Clock()
    errors: list[Exception] = [RetryLater("502"), RetryLater("502"), RetryLater("timeout")]
    transport = FlakyTransport(failing={CHAT: errors})
    outbox = Outbox(any_db, transport, clock)
    (row_id,) = await store(any_db, Send(CHAT, "您的工单已受理"))
    await outbox.deliver([row_id])
    for _ in range(3):
        clock.now += timedelta(minutes=1)
        await outbox.deliver_due()
    assert [s.text for s in transport.sent] == ["您的工单已受理"]
    assert (await rows(any_db))[row_id].attempts == 4


async def test_a_blocked_chat_ends_blocked_with_the_reason_and_the_person_marked(
    any_db: Database,
) -> None:
    async with any_db.write() as session:
        session.add(Person(telegram_id=CHAT, name="王芳"))
    transport = FlakyTransport(failing={CHAT: [Undeliverable("Forbidden: blocked", blocked=True)]})
    outbox = Outbox(any_db, transport, Clock())
    failed, after = await store(any_db, Send(CHAT, "one"), Send(CHAT, "two"))
    await outbox.deliver([failed, after])
    stored = await rows(any_db)
    assert stored[failed].status is OutboxStatus.BLOCKED
    assert "blocked" in stored[failed].error
    # A failed row does not hold the chat's later rows back.
    assert stored[after].status is OutboxStatus.SENT
    async with any_db.read() as session:
        person = await session.scalar(select(Person).where(Person.telegram_id == CHAT))
    assert person is not None and person.blocked_at is not None


async def test_an_edit_by_ref_waits_for_the_message_it_edits(any_db: Database) -> None:
    clock = Clock()
    transport = FlakyTransport(failing={CHAT: [RetryLater("502")]})
    outbox = Outbox(any_db, transport, clock)
    card, edit = await store(
        any_db, Send(CHAT, "新工单", ref="case:7"), Edit("已接单", ref="case:7")
    )
    await outbox.deliver([card, edit])
    assert transport.edits == []
    clock.now += timedelta(minutes=1)
    await outbox.deliver_due()
    assert [e.text for _, _, e in transport.edits] == ["已接单"]
    assert transport.sent[0].text == "已接单"  # the chat shows the card's new state


async def test_two_senders_never_send_a_row_twice(any_db: Database) -> None:
    transport = FlakyTransport()
    other_db = Database(any_db.url, connect_args=any_db.connect_args)
    try:
        one = Outbox(any_db, transport, Clock())
        two = Outbox(other_db, transport, Clock())
        ids = await store(any_db, *(Send(1000 + n, f"message {n}") for n in range(20)))
        await asyncio.gather(one.deliver(ids), two.deliver(ids), one.deliver_due())
    finally:
        await other_db.dispose()
    assert sorted(s.text for s in transport.sent) == sorted(f"message {n}" for n in range(20))


async def test_a_killed_senders_claims_are_released_at_the_next_start(any_db: Database) -> None:
    clock = Clock()
    (row_id,) = await store(any_db, Send(CHAT, "卡片"))
    async with any_db.write() as session:
        row = await session.get(OutboxMessage, row_id)
        assert row is not None
        row.claimed_until = clock.now + timedelta(minutes=1)  # claimed, then SIGKILL
    transport = FlakyTransport()
    outbox = Outbox(any_db, transport, clock)
    await outbox.deliver_due()
    assert transport.sent == []  # someone else's claim is respected...
    await outbox.release_claims()  # ...until a single process starts again
    await outbox.deliver_due()
    assert [s.text for s in transport.sent] == ["卡片"]


@pytest.mark.parametrize("error", [RuntimeError("bug"), ValueError("odd")])
async def test_an_unexpected_error_is_retried_then_given_up(
    any_db: Database, error: Exception
) -> None:
    clock = Clock()
    transport = FlakyTransport(failing={CHAT: [error] * 20})
    outbox = Outbox(any_db, transport, clock)
    (row_id,) = await store(any_db, Send(CHAT, "x"))
    for _ in range(12):
        await outbox.deliver_due()
        clock.now += timedelta(minutes=2)
    assert (await rows(any_db))[row_id].status is OutboxStatus.FAILED


async def test_replies_committed_before_a_crash_go_out_after_the_restart(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The event's changes and its replies are one transaction: a process that dies between
    the commit and the delivery owes the replies, and the next one delivers them."""

    async def killed(ids: object) -> None:  # the process died right after the commit
        return None

    monkeypatch.setattr(harness.engine.outbox, "deliver_claimed", killed)
    await harness.say(1001, "/askstaff 请问快递柜在哪里")
    await harness.press(1001, "qs:" + (await pending_nonce(harness)))
    assert harness.transport.sent == []

    restarted = harness.restarted()
    await restarted.engine.outbox.release_claims()
    await restarted.engine.outbox.deliver_due()
    to_resident = [s.text for s in restarted.transport.to(1001)]
    assert any("快递柜" in text for text in to_resident)  # the prompt
    assert any("Q-" in text for text in to_resident)  # the confirmation with its number
    assert any("快递柜" in s.text for s in restarted.transport.to(demo.STAFF_CHAT_ID))


async def pending_nonce(harness: Harness) -> str:
    """The nonce of the step the resident is on (the prompt with its button was not sent)."""
    async with harness.services.db.read() as session:
        row = await session.scalar(select(Conversation).where(Conversation.user_id == 1001))
        assert row is not None
        return row.nonce


async def test_staff_hear_whom_a_message_could_not_reach(harness: Harness) -> None:
    harness.transport.blocked.add(1001)
    await harness.say(1001, "/askstaff 请问物业电话是多少")
    staff = [s.text for s in harness.transport.to(demo.STAFF_CHAT_ID)]
    assert any("王芳" in text and "屏蔽" in text for text in staff)
    async with harness.services.db.read() as session:
        person = await session.scalar(select(Person).where(Person.telegram_id == 1001))
        blocked = list(
            await session.scalars(
                select(OutboxMessage).where(OutboxMessage.status == OutboxStatus.BLOCKED)
            )
        )
    assert person is not None and person.blocked_at is not None
    assert [row.chat_id for row in blocked] == [1001]
