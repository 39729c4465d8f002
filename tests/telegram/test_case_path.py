"""The whole life of a repair through Telegram: a resident reports it with a photo, staff
take and resolve it from the card in the staff chat, the resident rates it."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from storage.demo import STAFF_CHAT_ID
from storage.models import Case, CaseStatus
from tests.telegram.conftest import Live
from tests.telegram.updates import Person as Sender
from tests.telegram.updates import button_data, group

WANG = Sender(1001, "芳", "zh-hans")
PLUMBER = Sender(2001, "师傅", "zh")
STAFF_GROUP = group(STAFF_CHAT_ID, "阳光花园物业工作群")


class Chat:
    """Pushes one update at a time and waits for the bot's answer to arrive."""

    def __init__(self, live: Live) -> None:
        self.live = live

    async def send(self, update: dict[str, Any], *, expect_in: int, count: int = 1) -> None:
        before = len(self.live.api.texts(expect_in))
        await self.live.api.push(update)
        # A group gets a burst of three, then one message every three seconds (pacing.py):
        # the staff chat's card, edits and notes in quick succession can wait their turn.
        await self.live.api.wait_sent(expect_in, count=before + count, within=8)

    async def press(self, sender: Sender, chat_id: int, label: str, *, expect_in: int) -> None:
        message = self.live.api.last_message(chat_id)
        update = self.live.updates.press(sender, button_data(message, label), on=message)
        await self.send(update, expect_in=expect_in)


async def case_now(live: Live) -> Case:
    async with live.services.db.read() as session:
        case = await session.scalar(select(Case))
    assert case is not None
    return case


async def test_report_with_photo_take_resolve_rate(live: Live) -> None:
    chat, updates, api = Chat(live), live.updates, live.api
    await chat.send(updates.text(WANG, "/repair"), expect_in=WANG.id)
    await chat.press(WANG, WANG.id, "水管", expect_in=WANG.id)
    await chat.press(WANG, WANG.id, "1-1-0301", expect_in=WANG.id)
    await chat.send(updates.text(WANG, "卫生间地漏堵了，水排不下去"), expect_in=WANG.id)
    await chat.send(updates.photo(WANG, "leak-photo-1"), expect_in=WANG.id)
    await chat.press(WANG, WANG.id, "照片发完了", expect_in=WANG.id)
    await chat.press(WANG, WANG.id, "较急", expect_in=WANG.id)
    await chat.press(WANG, WANG.id, "上午", expect_in=WANG.id)
    await chat.press(WANG, WANG.id, "提交", expect_in=STAFF_CHAT_ID)

    case = await case_now(live)
    assert case.photos == ["leak-photo-1"]
    # The resident is told the number (after the card went out).
    await api.until(
        lambda: any(case.number in text for text in api.texts(WANG.id)), what="the number"
    )
    # The card reaches the staff chat with the resident's photo in front of it.
    photos = api.of("sendPhoto", chat_id=STAFF_CHAT_ID)
    assert [p.params["photo"] for p in photos] == ["leak-photo-1"]
    card = api.last_message(STAFF_CHAT_ID)
    assert case.number in card["text"] and "芳 · 1-1-0301" in card["text"]

    await chat.press(PLUMBER, STAFF_CHAT_ID, "接单", expect_in=WANG.id)
    await api.wait_for("editMessageText")
    card = api.messages[(STAFF_CHAT_ID, card["message_id"])]
    assert "已派单" in card["text"] and "负责人：李师傅" in card["text"]

    message = card
    await chat.send(
        updates.press(PLUMBER, button_data(message, "解决"), on=message), expect_in=STAFF_CHAT_ID
    )
    await chat.send(
        updates.text(PLUMBER, "已疏通地漏，排水正常", chat=STAFF_GROUP), expect_in=WANG.id
    )
    assert (await case_now(live)).status is CaseStatus.RESOLVED
    resolved = api.last_message(WANG.id)
    assert "已疏通地漏" in resolved["text"]

    await chat.send(
        updates.press(WANG, button_data(resolved, "★★★★★"), on=resolved),
        expect_in=STAFF_CHAT_ID,
    )
    await api.until(
        lambda: any("★★★★★" in text for text in api.texts(STAFF_CHAT_ID)),
        within=8,
        what="the rating",
    )
    closed = await case_now(live)
    assert closed.status is CaseStatus.CLOSED and closed.rating == 5
