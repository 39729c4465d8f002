"""Broadcasts through the fake Bot API, sent by the bot's own bulk sender as `courtyard run`
starts it: a resident who blocked the bot is marked and skipped next time, a 429 pauses the
whole sender and loses nothing, and a resident's reply does not wait behind the queue."""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter

from sqlalchemy import select

from bot.engine import bulk
from bot.engine.replies import Send
from storage.models import BroadcastKind, Compound, OutboxMessage, OutboxStatus, Person, utcnow
from storage.repos import audience
from tests.telegram.conftest import Live
from tests.telegram.updates import Person as Sender

WANG = Sender(1001, "芳", "zh")  # a demo resident
DAVID = Sender(1002, "David", "en")


async def broadcast(live: Live, chats: list[int] | None = None) -> tuple[int, list[int]]:
    """Queues a notice to `chats` (default: every bound resident of the demo compound) and
    wakes the sender; returns the broadcast's id and the chats."""
    now = utcnow()
    async with live.services.db.write() as session:
        compound = await session.scalar(
            select(Compound).where(Compound.name == live.demo.compound_name)
        )
        assert compound is not None
        # Whenever the test runs, it is not in the compound's quiet hours.
        compound.settings = {**(compound.settings or {}), "quiet_hours": "off"}
        opened = await bulk.open_broadcast(
            session,
            compound=compound,
            kind=BroadcastKind.NOTICE,
            subject=f"test:{uuid.uuid4().hex}",
            title="停水通知",
            now=now,
        )
        assert opened is not None
        if chats is None:
            chats = [r.telegram_id for r in await audience.recipients(session, compound)]
        messages = [Send(chat_id=chat, text=f"停水通知 #{chat}") for chat in chats]
        await bulk.queue(session, opened, messages, now, compound=compound)
        broadcast_id = opened.id
    live.telegram.engine.bulk.wake()
    return broadcast_id, chats


async def until_done(live: Live, broadcast_id: int, *, within: float = 20.0) -> bulk.Progress:
    for _ in range(int(within / 0.05)):
        async with live.services.db.read() as session:
            state = await bulk.progress(session, broadcast_id)
        if state.done:
            return state
        await asyncio.sleep(0.05)
    raise AssertionError(f"broadcast {broadcast_id} not done after {within} s: {state}")


def received(live: Live, chats: list[int]) -> Counter[int]:
    """Messages each chat got (accepted by the server)."""
    wanted = set(chats)
    return Counter(a.chat_id for a in live.api.accepted if a.chat_id in wanted)


async def test_residents_who_blocked_the_bot_are_marked_and_skipped_next_time(
    live: Live,
) -> None:
    live.api.block(DAVID.id)
    first, chats = await broadcast(live)
    assert WANG.id in chats and DAVID.id in chats and len(chats) >= 3
    state = await until_done(live, first)
    assert (state.total, state.delivered, state.blocked) == (len(chats), len(chats) - 1, 1)
    assert received(live, chats) == Counter({chat: 1 for chat in chats if chat != DAVID.id})
    async with live.services.db.read() as session:
        david = await session.scalar(select(Person).where(Person.telegram_id == DAVID.id))
        assert david is not None and david.blocked_at is not None
    refused = len(live.api.of("sendMessage", chat_id=DAVID.id))
    assert refused == 1

    second, _ = await broadcast(live)
    state = await until_done(live, second)
    assert (state.delivered, state.blocked) == (len(chats) - 1, 1)
    # Recorded as blocked without asking Telegram again.
    assert len(live.api.of("sendMessage", chat_id=DAVID.id)) == refused
    assert received(live, chats) == Counter({chat: 2 for chat in chats if chat != DAVID.id})
    async with live.services.db.read() as session:
        row = await session.scalar(
            select(OutboxMessage).where(
                OutboxMessage.broadcast_id == second, OutboxMessage.chat_id == DAVID.id
            )
        )
        assert row is not None and row.status == OutboxStatus.BLOCKED


async def test_a_429_pauses_the_whole_sender_for_retry_after_and_loses_nothing(
    live: Live,
) -> None:
    chats = list(range(700_001, 700_041))
    live.api.flood("sendMessage", retry_after=1)  # the first message of the broadcast
    broadcast_id, _ = await broadcast(live, chats)
    state = await until_done(live, broadcast_id)
    assert (state.delivered, state.failed) == (len(chats), 0)
    assert received(live, chats) == Counter({chat: 1 for chat in chats})
    sends = [c for c in live.api.of("sendMessage") if c.chat_id in set(chats)]
    flooded = sends[0]
    assert flooded.status == 429 and flooded.answered_at is not None
    # Requests already on their way when the 429 came may arrive; after those, nothing for
    # the second Telegram asked for.
    window = live.telegram.engine.bulk.window
    later = sends[window + 1 :]
    assert later and all(c.received_at >= flooded.answered_at + 0.95 for c in later)
    assert live.api.too_many == {"injected": 1}


async def test_a_reply_to_a_resident_goes_out_before_a_long_bulk_queue(live: Live) -> None:
    chats = list(range(710_001, 710_151))  # six seconds at the default 25 a second
    broadcast_id, _ = await broadcast(live, chats)
    await live.api.until(lambda: bool(received(live, chats)), what="the broadcast begun")
    await live.api.push(live.updates.text(WANG, "/menu"))
    await live.api.wait_sent(WANG.id)
    # The reply went out while most of the broadcast was still waiting.
    assert sum(received(live, chats).values()) < len(chats) // 2
    state = await until_done(live, broadcast_id)
    assert state.delivered == len(chats)
