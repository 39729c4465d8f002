"""What a flow asks the messenger to do: send, edit, answer a press."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Button:
    """An inline button: `data` comes back as a press; `url` opens a link instead."""

    text: str
    data: str | None = None
    url: str | None = None


Keyboard = tuple[tuple[Button, ...], ...]


def keyboard(*rows: list[Button] | tuple[Button, ...]) -> Keyboard:
    return tuple(tuple(row) for row in rows if row)


@dataclass(frozen=True, slots=True)
class Upload:
    """A file the bot made (a chart), sent as a photo: `photos` are the messenger's ids of
    files it already has, an upload is the bytes themselves."""

    name: str
    data: bytes = field(repr=False)


@dataclass(frozen=True, slots=True)
class Send:
    """A new message to a chat. `ref` names it so that it can be edited later.

    `open_topic` asks for a new forum topic with that title in a forum chat (one topic per
    case in a staff chat); in other chats it is ignored and the message goes to the chat.
    `pin` pins the message once sent (an emergency in the residents' group); a chat where
    the bot may not pin gets the message unpinned.
    """

    chat_id: int
    text: str
    buttons: Keyboard = ()
    photos: tuple[str, ...] = ()
    thread_id: int | None = None
    ref: str | None = None
    reply_to: int | None = None
    open_topic: str | None = None
    pin: bool = False
    uploads: tuple[Upload, ...] = ()


@dataclass(frozen=True, slots=True)
class Edit:
    """Replaces the text and buttons of an earlier message: by id, or every message with `ref`."""

    text: str
    buttons: Keyboard = ()
    chat_id: int | None = None
    message_id: int | None = None
    ref: str | None = None


@dataclass(frozen=True, slots=True)
class Toast:
    """The short note shown when a button is pressed."""

    text: str
    alert: bool = False


Outbound = Send | Edit | Toast


@dataclass(slots=True)
class Delivered:
    """What happened to one outbound message, as the transport reports it."""

    message_id: int | None = None
    thread_id: int | None = None
    blocked: bool = False
    errors: list[str] = field(default_factory=list)


class RetryLater(Exception):
    """The message could not go out now but may later: a flood wait (429, `delay` seconds),
    a server error (5xx), a network failure (`delay` None: the sender backs off)."""

    def __init__(self, reason: str, *, delay: float | None = None) -> None:
        super().__init__(reason)
        self.reason, self.delay = reason, delay


class Undeliverable(Exception):
    """The message will never go out: the chat refuses the bot (`blocked`, 403), or Telegram
    refused the message itself (400 with its reason)."""

    def __init__(self, reason: str, *, blocked: bool = False) -> None:
        super().__init__(reason)
        self.reason, self.blocked = reason, blocked
