"""The transport against the fake Bot API: photos, long texts, edits, presses and refusals."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import pytest

from bot.adapters.telegram import create_bot
from bot.adapters.telegram.transport import MAX_ATTEMPTS, TelegramTransport
from bot.engine.replies import Button, Delivered, Edit, Send, Toast, keyboard
from bot.settings import Settings
from tests.telegram.conftest import TOKEN, close_bot_session
from tests.telegram.fake_api import FakeBotAPI
from tests.telegram.updates import buttons

CHAT = 1001
ROW = keyboard([Button("✅ Approve", data="od:1:1"), Button("Open", url="https://t.me/x")])


@dataclass
class Wired:
    transport: TelegramTransport
    api: FakeBotAPI
    waits: list[float] = field(default_factory=list)


@pytest.fixture
async def wired(api: FakeBotAPI, tg_settings: Settings) -> AsyncIterator[Wired]:
    waits: list[float] = []

    async def no_wait(seconds: float) -> None:
        waits.append(seconds)
        await asyncio.sleep(0)

    bot = create_bot(tg_settings)
    yield Wired(TelegramTransport(bot, sleep=no_wait), api, waits)
    await close_bot_session(bot)


async def test_text_with_buttons_returns_the_message_id(wired: Wired) -> None:
    delivered = await wired.transport.send(Send(chat_id=CHAT, text="请确认", buttons=ROW))
    message = wired.api.last_message(CHAT)
    assert delivered == Delivered(message_id=message["message_id"])
    assert buttons(message) == [("✅ Approve", "od:1:1")]
    assert message["reply_markup"]["inline_keyboard"][0][1]["url"] == "https://t.me/x"
    (call,) = wired.api.of("sendMessage")
    assert "parse_mode" not in call.params  # texts go out as written, never as markup


async def test_one_photo_then_the_text(wired: Wired) -> None:
    delivered = await wired.transport.send(
        Send(chat_id=CHAT, text="漏水照片", photos=("photo-a",), buttons=ROW)
    )
    assert [c.method for c in wired.api.calls] == ["sendPhoto", "sendMessage"]
    assert wired.api.of("sendPhoto")[0].params["photo"] == "photo-a"
    assert delivered.message_id == wired.api.last_message(CHAT)["message_id"]
    assert "text" in wired.api.last_message(CHAT)  # the id is the text's, so it can be edited


async def test_many_photos_go_as_albums_of_ten(wired: Wired) -> None:
    photos = tuple(f"p{i}" for i in range(11))
    delivered = await wired.transport.send(Send(chat_id=CHAT, text="", photos=photos))
    (album,) = wired.api.of("sendMediaGroup")
    assert [m["media"] for m in album.params["media"]] == list(photos[:10])
    assert {m["type"] for m in album.params["media"]} == {"photo"}
    (last,) = wired.api.of("sendPhoto")  # Telegram's albums hold two to ten
    assert last.params["photo"] == "p10"
    assert wired.api.of("sendMessage") == []  # no text, no text message
    assert delivered.message_id == wired.api.last_message(CHAT)["message_id"]


async def test_long_text_is_split_with_buttons_on_the_last_part(wired: Wired) -> None:
    line = "公告内容" * 30 + "\n"  # 121 characters
    await wired.transport.send(Send(chat_id=CHAT, text=line * 50, buttons=ROW))
    calls = wired.api.of("sendMessage")
    assert len(calls) == 2
    assert all(len(c.params["text"]) <= 4096 for c in calls)
    assert "".join(c.params["text"] + "\n" for c in calls) == line * 50
    assert ["reply_markup" in c.params for c in calls] == [False, True]


async def test_forum_topic_and_reply(wired: Wired) -> None:
    await wired.transport.send(Send(chat_id=-100777, text="收到", thread_id=42, reply_to=7))
    (call,) = wired.api.of("sendMessage")
    assert call.params["message_thread_id"] == "42"
    assert call.params["reply_parameters"] == {
        "message_id": 7,
        "allow_sending_without_reply": True,
    }


async def test_edit_replaces_text_and_buttons_and_tolerates_no_change(
    wired: Wired, caplog: pytest.LogCaptureFixture
) -> None:
    delivered = await wired.transport.send(Send(chat_id=CHAT, text="待处理", buttons=ROW))
    assert delivered.message_id is not None
    edit = Edit(text="已处理")
    for _ in range(2):  # the second edit changes nothing: Telegram says "not modified"
        await wired.transport.edit(edit, chat_id=CHAT, message_id=delivered.message_id)
    message = wired.api.last_message(CHAT)
    assert message["text"] == "已处理" and "reply_markup" not in message
    assert len(wired.api.of("editMessageText")) == 2
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]


async def test_edit_of_a_vanished_message_is_logged_not_raised(
    wired: Wired, caplog: pytest.LogCaptureFixture
) -> None:
    await wired.transport.edit(Edit(text="x"), chat_id=CHAT, message_id=999)
    assert "message to edit not found" in caplog.text
    assert TOKEN not in caplog.text


async def test_toast_answers_the_press(wired: Wired) -> None:
    await wired.transport.toast("press-1", Toast("已通过", alert=True))
    await wired.transport.toast("press-2", Toast(""))
    first, second = wired.api.of("answerCallbackQuery")
    assert first.params == {"callback_query_id": "press-1", "text": "已通过", "show_alert": "true"}
    assert second.params == {"callback_query_id": "press-2"}


async def test_blocked_chat_is_reported_blocked(wired: Wired) -> None:
    wired.api.block(CHAT)
    assert await wired.transport.send(Send(chat_id=CHAT, text="hi")) == Delivered(blocked=True)


async def test_flood_waits_are_bounded(wired: Wired, caplog: pytest.LogCaptureFixture) -> None:
    wired.api.flood("sendMessage", retry_after=2, times=MAX_ATTEMPTS)
    delivered = await wired.transport.send(Send(chat_id=CHAT, text="hi"))
    assert delivered.message_id is None and delivered.errors
    assert wired.waits == [2] * (MAX_ATTEMPTS - 1)
    assert len(wired.api.of("sendMessage")) == MAX_ATTEMPTS
    assert TOKEN not in caplog.text


async def test_a_long_flood_wait_is_not_waited(wired: Wired) -> None:
    wired.api.flood("sendMessage", retry_after=3600)
    delivered = await wired.transport.send(Send(chat_id=CHAT, text="hi"))
    assert delivered.errors and wired.waits == []


async def test_bad_photo_loses_the_photo_not_the_text(wired: Wired) -> None:
    wired.api.flood("sendPhoto", retry_after=3600)  # any refusal of the photo will do
    delivered = await wired.transport.send(Send(chat_id=CHAT, text="说明", photos=("gone",)))
    assert wired.api.texts(CHAT) == ["说明"]
    assert delivered.message_id is not None and len(delivered.errors) == 1
