"""The transport against the fake Bot API, for each Telegram library: photos, long texts,
edits, presses and refusals."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest

from bot.adapters import telegram_ptb
from bot.adapters.botapi.transport import BotApiTransport
from bot.adapters.telegram import create_bot
from bot.adapters.telegram.transport import TelegramTransport
from bot.adapters.telegram_ptb.transport import PtbTransport
from bot.engine.replies import (
    Button,
    Delivered,
    Edit,
    RetryLater,
    Send,
    Toast,
    Undeliverable,
    keyboard,
)
from bot.settings import Settings
from tests.telegram.conftest import TOKEN, close_bot_session
from tests.telegram.fake_api import FakeBotAPI
from tests.telegram.updates import buttons

CHAT = 1001
ROW = keyboard([Button("✅ Approve", data="od:1:1"), Button("Open", url="https://t.me/x")])


@dataclass
class Wired:
    transport: BotApiTransport
    api: FakeBotAPI


@pytest.fixture
async def wired(api: FakeBotAPI, tg_settings: Settings, library: str) -> AsyncIterator[Wired]:
    if library == "aiogram":
        bot = create_bot(tg_settings)
        yield Wired(TelegramTransport(bot), api)
        await close_bot_session(bot)
    else:
        ptb_bot = telegram_ptb.create_bot(tg_settings)
        await ptb_bot.open()
        yield Wired(PtbTransport(ptb_bot), api)
        await ptb_bot.close_session()


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


async def test_edit_of_a_vanished_message_is_refused_for_good(
    wired: Wired, caplog: pytest.LogCaptureFixture
) -> None:
    with pytest.raises(Undeliverable) as refused:
        await wired.transport.edit(Edit(text="x"), chat_id=CHAT, message_id=999)
    assert "message to edit not found" in refused.value.reason.lower()
    assert TOKEN not in caplog.text


async def test_toast_answers_the_press(wired: Wired) -> None:
    await wired.transport.toast("press-1", Toast("已通过", alert=True))
    await wired.transport.toast("press-2", Toast(""))
    first, second = wired.api.of("answerCallbackQuery")
    assert first.params == {"callback_query_id": "press-1", "text": "已通过", "show_alert": "true"}
    assert second.params == {"callback_query_id": "press-2"}


async def test_blocked_chat_is_undeliverable_and_marked_blocked(wired: Wired) -> None:
    wired.api.block(CHAT)
    with pytest.raises(Undeliverable) as refused:
        await wired.transport.send(Send(chat_id=CHAT, text="hi"))
    assert refused.value.blocked


async def test_a_flood_wait_is_handed_to_the_outbox_however_long(
    wired: Wired, caplog: pytest.LogCaptureFixture
) -> None:
    """The transport does not sleep on a 429: the outbox keeps the message and tries again
    after `retry_after`, so the chat (and every other chat) is not held meanwhile."""
    wired.api.flood("sendMessage", retry_after=3600)
    with pytest.raises(RetryLater) as later:
        await wired.transport.send(Send(chat_id=CHAT, text="hi"))
    assert later.value.delay == 3600
    assert TOKEN not in caplog.text


@pytest.mark.parametrize("code", [500, 502, 503])
async def test_a_server_error_is_retried_later(wired: Wired, code: int) -> None:
    wired.api.fail("sendMessage", code, "Bad Gateway")
    with pytest.raises(RetryLater) as later:
        await wired.transport.send(Send(chat_id=CHAT, text="hi"))
    assert later.value.delay is None  # the outbox backs off by attempt


async def test_a_message_telegram_refuses_is_undeliverable(wired: Wired) -> None:
    wired.api.fail("sendMessage", 400, "Bad Request: chat not found")
    with pytest.raises(Undeliverable) as refused:
        await wired.transport.send(Send(chat_id=CHAT, text="hi"))
    assert "chat not found" in refused.value.reason.lower() and not refused.value.blocked


async def test_bad_photo_loses_the_photo_not_the_text(wired: Wired) -> None:
    wired.api.fail("sendPhoto", 400, "Bad Request: wrong file identifier")
    delivered = await wired.transport.send(Send(chat_id=CHAT, text="说明", photos=("gone",)))
    assert wired.api.texts(CHAT) == ["说明"]
    assert delivered.message_id is not None and len(delivered.errors) == 1
