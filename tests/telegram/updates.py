"""Bot API updates as Telegram sends them: messages, photos, stickers, button presses, and a
person blocking or unblocking the bot."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

DATE = 1_750_000_000
# The bot as a chat member (tests/telegram/conftest.py's token).
BOT_USER = {
    "id": 123456789,
    "is_bot": True,
    "first_name": "Courtyard",
    "username": "courtyard_test_bot",
}


@dataclass(frozen=True)
class Person:
    id: int
    first_name: str
    language_code: str | None = "zh"

    def user(self) -> dict[str, Any]:
        user: dict[str, Any] = {"id": self.id, "is_bot": False, "first_name": self.first_name}
        if self.language_code:
            user["language_code"] = self.language_code
        return user

    def chat(self) -> dict[str, Any]:
        return {"id": self.id, "type": "private", "first_name": self.first_name}


def group(chat_id: int, title: str = "阳光花园业主群", *, forum: bool = False) -> dict[str, Any]:
    chat: dict[str, Any] = {"id": chat_id, "type": "supergroup", "title": title}
    if forum:
        chat["is_forum"] = True
    return chat


class Updates:
    """Numbers updates and messages the way one Telegram chat history would."""

    def __init__(self) -> None:
        self._update_ids = itertools.count(1)
        self._message_ids = itertools.count(1)

    def message(
        self,
        sender: Person,
        *,
        chat: dict[str, Any] | None = None,
        text: str | None = None,
        entities: list[dict[str, Any]] | None = None,
        **content: Any,
    ) -> dict[str, Any]:
        message: dict[str, Any] = {
            "message_id": next(self._message_ids),
            "date": DATE,
            "chat": chat or sender.chat(),
            "from": sender.user(),
            **content,
        }
        if text is not None:
            message["text"] = text
            if text.startswith("/"):
                length = len(text.split(" ", 1)[0])
                entities = [
                    {"type": "bot_command", "offset": 0, "length": length},
                    *(entities or []),
                ]
        if entities:
            message["entities"] = entities
        return {"update_id": next(self._update_ids), "message": message}

    def text(self, sender: Person, text: str, **kwargs: Any) -> dict[str, Any]:
        return self.message(sender, text=text, **kwargs)

    def photo(self, sender: Person, file_id: str, **kwargs: Any) -> dict[str, Any]:
        """A photo in three sizes, the largest last, as Telegram sends them."""
        sizes = [
            {"file_id": f"{file_id}-s", "file_unique_id": "s", "width": 90, "height": 67},
            {"file_id": f"{file_id}-m", "file_unique_id": "m", "width": 320, "height": 240},
            {"file_id": file_id, "file_unique_id": "x", "width": 1280, "height": 960},
        ]
        return self.message(sender, photo=sizes, **kwargs)

    def sticker(self, sender: Person, **kwargs: Any) -> dict[str, Any]:
        sticker = {
            "file_id": "sticker-1",
            "file_unique_id": "st1",
            "type": "regular",
            "width": 512,
            "height": 512,
            "is_animated": False,
            "is_video": False,
        }
        return self.message(sender, sticker=sticker, **kwargs)

    def press(self, sender: Person, data: str, *, on: dict[str, Any]) -> dict[str, Any]:
        """A press of a button with `data` on the bot's message `on` (as the fake API stored it)."""
        return {
            "update_id": next(self._update_ids),
            "callback_query": {
                "id": f"press-{next(self._message_ids)}",
                "from": sender.user(),
                "chat_instance": "instance-1",
                "data": data,
                "message": on,
            },
        }

    def membership(
        self, sender: Person, status: str, *, chat: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        """`my_chat_member`: the bot's status in a chat changed by `sender`. In a private chat
        "kicked" is the person blocking the bot and "member" unblocking it."""
        old = "member" if status == "kicked" else "kicked"
        member = {"status": status, "user": BOT_USER}
        if status == "kicked":
            member["until_date"] = 0
        previous = {"status": old, "user": BOT_USER}
        if old == "kicked":
            previous["until_date"] = 0
        return {
            "update_id": next(self._update_ids),
            "my_chat_member": {
                "chat": chat or sender.chat(),
                "from": sender.user(),
                "date": DATE,
                "old_chat_member": previous,
                "new_chat_member": member,
            },
        }


def buttons(message: dict[str, Any]) -> list[tuple[str, str]]:
    """(label, data) of every callback button on a message the bot sent."""
    rows = message.get("reply_markup", {}).get("inline_keyboard", [])
    return [(b["text"], b["callback_data"]) for row in rows for b in row if "callback_data" in b]


def button_data(message: dict[str, Any], label_part: str) -> str:
    for label, data in buttons(message):
        if label_part in label:
            return data
    raise AssertionError(f"no button {label_part!r} in {buttons(message)}")
