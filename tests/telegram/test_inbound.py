"""Telegram's messages and presses as the engine sees them."""

from __future__ import annotations

from typing import Any

import pytest
from aiogram.types import CallbackQuery, Message

from bot.adapters.telegram.inbound import from_message, from_press
from bot.engine.events import ChatKind, Incoming, Photo, Unsupported
from tests.telegram.conftest import BOT_ID, BOT_USERNAME
from tests.telegram.updates import Person, Updates, group

WANG = Person(1001, "芳", "zh-hans")
GROUP = group(-100500002)
BOT_MESSAGE = {
    "message_id": 50,
    "date": 1,
    "chat": GROUP,
    "from": {"id": BOT_ID, "is_bot": True, "first_name": "Courtyard", "username": BOT_USERNAME},
    "text": "停水通知",
}


def _incoming(update: dict[str, Any]) -> Incoming | None:
    message = Message.model_validate(update["message"])
    return from_message(message, bot_id=BOT_ID, bot_username=BOT_USERNAME)


def _event(update: dict[str, Any]) -> Incoming:
    event = _incoming(update)
    assert event is not None
    return event


def test_private_text_carries_the_person() -> None:
    event = _event(Updates().text(Person(1001, "芳", "zh-hans"), "物业费怎么交"))
    assert event.text == "物业费怎么交" and event.command is None
    assert (event.user.id, event.user.name, event.user.language_code) == (1001, "芳", "zh-hans")
    assert event.chat.kind is ChatKind.PRIVATE and event.addressed


def test_full_name_joins_first_and_last() -> None:
    update = Updates().text(WANG, "hi")
    update["message"]["from"]["last_name"] = "王"
    assert _event(update).user.name == "芳 王"


def test_start_with_a_deep_link_payload() -> None:
    event = _event(Updates().text(WANG, "/start inv-7KX3MQ2P"))
    assert (event.command, event.deep_link) == ("start", "inv-7KX3MQ2P")


def test_group_chatter_is_passed_unaddressed() -> None:
    event = _event(Updates().text(WANG, "今天停水吗", chat=GROUP))
    assert event.chat.kind is ChatKind.GROUP and event.chat.title == "阳光花园业主群"
    assert not event.addressed


def test_group_command_for_this_bot_is_addressed() -> None:
    event = _event(Updates().text(WANG, f"/help@{BOT_USERNAME.upper()}", chat=GROUP))
    assert event.command == "help" and event.addressed


def test_group_command_for_another_bot_is_not_ours() -> None:
    assert _incoming(Updates().text(WANG, "/help@other_bot", chat=GROUP)) is None


def test_mention_addresses_the_bot_and_leaves_the_question() -> None:
    text = f"@{BOT_USERNAME} 装修时间是几点？"
    mention = {"type": "mention", "offset": 0, "length": len(BOT_USERNAME) + 1}
    event = _event(Updates().text(WANG, text, chat=GROUP, entities=[mention]))
    assert event.addressed and event.text == "装修时间是几点？"


def test_mention_of_someone_else_does_not_address_the_bot() -> None:
    mention = {"type": "mention", "offset": 0, "length": 6}
    event = _event(Updates().text(WANG, "@alice 你好", chat=GROUP, entities=[mention]))
    assert not event.addressed and event.text == "@alice 你好"


def test_reply_to_the_bot_is_addressed() -> None:
    update = Updates().text(WANG, "几点恢复？", chat=GROUP, reply_to_message=BOT_MESSAGE)
    event = _event(update)
    assert event.addressed and event.reply_to_message_id == 50


def test_forum_topic_is_kept_and_its_opening_note_is_no_reply() -> None:
    forum = group(-100777, forum=True)
    opener = {
        "message_id": 40,
        "date": 1,
        "chat": forum,
        "from": BOT_MESSAGE["from"],  # the bot opened the topic
        "message_thread_id": 40,
        "forum_topic_created": {"name": "报修", "icon_color": 7322096},
    }
    update = Updates().text(
        WANG,
        "楼道灯坏了",
        chat=forum,
        message_thread_id=40,
        is_topic_message=True,
        reply_to_message=opener,
    )
    event = _event(update)
    assert event.thread_id == 40 and event.chat.is_forum
    assert not event.addressed and event.reply_to_message_id is None


def test_reply_thread_outside_a_forum_is_not_a_topic() -> None:
    update = Updates().text(WANG, "同意", chat=GROUP, message_thread_id=33)
    assert _event(update).thread_id is None


def test_photo_is_its_largest_size_with_the_caption_as_text() -> None:
    event = _event(Updates().photo(WANG, "big", caption="厨房漏水"))
    assert event.photos == (Photo("big"),) and event.text == "厨房漏水"
    assert event.unsupported is None


@pytest.mark.parametrize(
    ("content", "kind"),
    [
        ({"voice": {"file_id": "v", "file_unique_id": "v", "duration": 3}}, Unsupported.VOICE),
        (
            {
                "video": {
                    "file_id": "v",
                    "file_unique_id": "v",
                    "width": 1,
                    "height": 1,
                    "duration": 1,
                }
            },
            Unsupported.VIDEO,
        ),
        ({"document": {"file_id": "d", "file_unique_id": "d"}}, Unsupported.DOCUMENT),
        ({"location": {"latitude": 30.2, "longitude": 120.1}}, Unsupported.LOCATION),
        ({"contact": {"phone_number": "110", "first_name": "A"}}, Unsupported.OTHER),
    ],
)
def test_kinds_the_bot_does_not_read(content: dict[str, Any], kind: Unsupported) -> None:
    assert _event(Updates().message(WANG, **content)).unsupported is kind


def test_sticker_is_unsupported() -> None:
    assert _event(Updates().sticker(WANG)).unsupported is Unsupported.STICKER


@pytest.mark.parametrize(
    "content",
    [
        {"new_chat_members": [{"id": 7, "is_bot": False, "first_name": "New"}]},
        {"pinned_message": BOT_MESSAGE},
        {"new_chat_title": "新群名"},
    ],
)
def test_service_notes_do_not_reach_the_engine(content: dict[str, Any]) -> None:
    assert _incoming(Updates().message(WANG, chat=GROUP, **content)) is None


def test_messages_from_bots_are_ignored() -> None:
    update = Updates().text(WANG, "/help", chat=GROUP)
    update["message"]["from"] = {"id": 1087968824, "is_bot": True, "first_name": "Group"}
    assert _incoming(update) is None


def test_press_in_a_group_keeps_chat_message_and_press_id() -> None:
    update = Updates().press(WANG, "od:3:1", on=BOT_MESSAGE)
    event = from_press(CallbackQuery.model_validate(update["callback_query"]))
    assert event.press is not None
    assert (event.press.data, event.press.message_id) == ("od:3:1", 50)
    assert event.press.press_id == update["callback_query"]["id"]
    assert event.chat.id == GROUP["id"] and event.chat.kind is ChatKind.GROUP


def test_press_on_a_message_too_old_to_see() -> None:
    inaccessible = {"chat": WANG.chat(), "message_id": 9, "date": 0}
    update = Updates().press(WANG, "m:help", on=inaccessible)
    event = from_press(CallbackQuery.model_validate(update["callback_query"]))
    assert event.press is not None and event.press.message_id == 9
    assert event.chat.id == WANG.id and event.thread_id is None
