"""People blocking and unblocking the bot (Telegram's `my_chat_member`), through the fake Bot
API: recorded on the person as it happens, stored in the inbox like any update, and asked for
by polling."""

from __future__ import annotations

import asyncio
from datetime import datetime

from sqlalchemy import select

from storage.demo import RESIDENT_GROUP_ID
from storage.models import InboxUpdate, Person
from tests.telegram.conftest import Live
from tests.telegram.updates import Person as Sender
from tests.telegram.updates import group

WANG = Sender(1001, "芳", "zh")  # a demo resident
STRANGER = Sender(5009, "Li", "zh")  # nobody the bot knows


async def blocked_at(live: Live, telegram_id: int) -> datetime | None:
    async with live.services.db.read() as session:
        person = await session.scalar(select(Person).where(Person.telegram_id == telegram_id))
        assert person is not None
        return person.blocked_at


async def handled(live: Live, update: dict) -> bool:
    async with live.services.db.read() as session:
        row = await session.get(InboxUpdate, update["update_id"])
        return row is not None and row.handled_at is not None


async def until_handled(live: Live, update: dict) -> None:
    for _ in range(150):
        if await handled(live, update):
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"update {update['update_id']} never marked handled")


async def test_polling_asks_telegram_for_membership_changes(live: Live) -> None:
    allowed = live.api.of("getUpdates")[0].params["allowed_updates"]
    assert {"message", "callback_query", "my_chat_member"} <= set(allowed)


async def test_a_block_is_recorded_and_an_unblock_clears_it(live: Live) -> None:
    assert await blocked_at(live, WANG.id) is None
    block = live.updates.membership(WANG, "kicked")
    await live.api.push(block)
    await until_handled(live, block)
    assert await blocked_at(live, WANG.id) is not None

    unblock = live.updates.membership(WANG, "member")
    await live.api.push(unblock)
    await until_handled(live, unblock)
    assert await blocked_at(live, WANG.id) is None
    # Nobody is told anything: a blocked chat takes no message, an unblocked one waits for
    # the person to write.
    assert live.api.of("sendMessage", chat_id=WANG.id) == []


async def test_a_block_handled_once_even_when_telegram_sends_it_again(live: Live) -> None:
    block = live.updates.membership(WANG, "kicked")
    await live.api.push(block)
    await until_handled(live, block)
    first = await blocked_at(live, WANG.id)
    unblock = live.updates.membership(WANG, "member")
    await live.api.push(unblock)
    await until_handled(live, unblock)
    # The block again, as Telegram would resend an update it never saw confirmed: already
    # handled, so the later unblock stands.
    await live.api.push(block)
    await live.api.until(lambda: live.api.served[block["update_id"]] >= 2, what="served again")
    await asyncio.sleep(0.3)  # as long as handling it would take
    assert first is not None
    assert await blocked_at(live, WANG.id) is None


async def test_a_stranger_blocking_and_the_bot_leaving_a_group_change_nobody(live: Live) -> None:
    stranger = live.updates.membership(STRANGER, "kicked")
    removed = live.updates.membership(WANG, "left", chat=group(RESIDENT_GROUP_ID))
    await live.api.push(stranger, removed)
    await until_handled(live, stranger)
    await until_handled(live, removed)
    async with live.services.db.read() as session:
        assert await session.scalar(select(Person).where(Person.telegram_id == STRANGER.id)) is None
    assert await blocked_at(live, WANG.id) is None


async def test_a_resident_who_blocked_and_writes_again_is_unblocked(live: Live) -> None:
    block = live.updates.membership(WANG, "kicked")
    await live.api.push(block)
    await until_handled(live, block)
    await live.api.push(live.updates.text(WANG, "/menu"))
    await live.api.wait_sent(WANG.id)
    assert await blocked_at(live, WANG.id) is None
