"""What Telegram delivers (aiogram's Message and CallbackQuery) as the engine's Incoming.

The reading itself is shared with every Telegram library (bot/adapters/botapi/updates.py):
aiogram's model goes back to the Bot API's JSON and is read from there.
"""

from __future__ import annotations

from typing import Any

from aiogram.types import CallbackQuery, ChatMemberUpdated, Message, TelegramObject

from bot.adapters.botapi import updates
from bot.adapters.botapi.updates import GROUP_CHATS
from bot.engine.events import Incoming, Membership

__all__ = ["GROUP_CHATS", "from_member_update", "from_message", "from_press", "raw"]


def raw(obj: TelegramObject) -> dict[str, Any]:
    """The object as Telegram sent it (field names as in the Bot API, absent fields left out)."""
    return obj.model_dump(mode="json", by_alias=True, exclude_none=True)


def from_message(message: Message, *, bot_id: int, bot_username: str | None) -> Incoming | None:
    """The engine's view of a message, or None when it is not for the engine."""
    return updates.from_message(raw(message), bot_id=bot_id, bot_username=bot_username)


def from_press(query: CallbackQuery) -> Incoming:
    """A press of one of the bot's inline buttons, answered in the chat that shows it."""
    return updates.from_press(raw(query))


def from_member_update(update: ChatMemberUpdated) -> Membership | None:
    """A person blocking or unblocking the bot in their private chat; None for anything else
    (bot/adapters/botapi/updates.py `membership_of`)."""
    return updates.membership_of(raw(update))
