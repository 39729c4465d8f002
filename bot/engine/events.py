"""What a messenger delivers to the engine, with no trace of which messenger it was.

Texts are cleaned here, where every adapter builds its events: C0 control characters other
than line feed and tab are taken out (a carriage return too, so "\r\n" reads as one line
break). PostgreSQL refuses a NUL in text, so one typed or pasted would fail the event at its
first insert; the others only garble a staff card or a log line.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f]")


def clean_text(text: str) -> str:
    """`text` without C0 control characters, except line feed and tab."""
    return _CONTROL.sub("", text)


def _clean_fields(obj: object, *names: str) -> None:
    # The dataclasses are frozen: set the cleaned values as the constructor would have.
    for name in names:
        value = getattr(obj, name)
        if isinstance(value, str) and _CONTROL.search(value):
            object.__setattr__(obj, name, clean_text(value))


class ChatKind(enum.StrEnum):
    PRIVATE = "private"
    GROUP = "group"  # Telegram groups and supergroups alike


class Unsupported(enum.StrEnum):
    """Message kinds the bot does not read; they get a short note of what works."""

    STICKER = "sticker"
    VOICE = "voice"
    VIDEO = "video"
    DOCUMENT = "document"
    LOCATION = "location"
    OTHER = "other"


@dataclass(frozen=True, slots=True)
class UserRef:
    id: int
    name: str = ""
    language_code: str | None = None  # as the messenger reports it, e.g. "zh-hans", "en"

    def __post_init__(self) -> None:
        _clean_fields(self, "name", "language_code")


@dataclass(frozen=True, slots=True)
class ChatRef:
    id: int
    kind: ChatKind = ChatKind.PRIVATE
    title: str = ""
    is_forum: bool = False

    def __post_init__(self) -> None:
        _clean_fields(self, "title")


@dataclass(frozen=True, slots=True)
class Photo:
    """A photo as the messenger identifies it (Telegram file_id, or a path in the console)."""

    file_id: str


@dataclass(frozen=True, slots=True)
class Press:
    """A press of an inline button on an earlier bot message."""

    data: str
    message_id: int | None = None
    press_id: str | None = None  # to answer the press (Telegram callback query id)


@dataclass(frozen=True, slots=True)
class Incoming:
    """One thing a user did: typed text, sent a photo, pressed a button, used a command."""

    user: UserRef
    chat: ChatRef
    message_id: int | None = None
    # The messenger's id of the update, when the inbox stored it: handled at most once.
    update_id: int | None = None
    text: str | None = None
    command: str | None = None  # without the slash and without @botname, lower case
    args: str = ""
    photos: tuple[Photo, ...] = ()
    press: Press | None = None
    unsupported: Unsupported | None = None
    # Group chats: whether the message addressed the bot (mention, reply to it, command).
    addressed: bool = True
    reply_to_message_id: int | None = None
    thread_id: int | None = None

    def __post_init__(self) -> None:
        _clean_fields(self, "text", "command", "args")

    @property
    def is_private(self) -> bool:
        return self.chat.kind is ChatKind.PRIVATE

    @property
    def deep_link(self) -> str | None:
        """The payload of `/start PAYLOAD` (a Telegram deep link), if any."""
        if self.command == "start" and self.args.strip():
            return self.args.strip()
        return None


@dataclass(frozen=True, slots=True)
class Membership:
    """A person blocked the bot in their private chat (`blocked`), or unblocked it (Telegram's
    `my_chat_member`). Nobody is answered: a blocked chat takes no messages, and an unblocked
    one gets its first answer when the person writes."""

    user: UserRef
    blocked: bool
    # As for Incoming: the inbox's update, marked handled with the change.
    update_id: int | None = None


def split_command(text: str, bot_username: str | None = None) -> tuple[str, str, bool] | None:
    """`/Repair@CourtyardBot leak` -> ("repair", "leak", True). None if not a command.

    The third value says whether the command named this bot (or no bot at all); a command
    addressed to another bot in a group is not ours.
    """
    if not text.startswith("/") or len(text) < 2:
        return None
    head, _, args = text[1:].partition(" ")
    name, _, target = head.partition("@")
    if not name or not all(ch.isalnum() or ch == "_" for ch in name):
        return None
    ours = not target or (bot_username is not None and target.lower() == bot_username.lower())
    return name.lower(), args.strip(), ours
