"""The console chat: the same flows as on Telegram, in a terminal, with no token and no server.

Interactive mode prints bot messages with numbered buttons (type the number to press) and
takes a few console commands of its own:

    /as ID         play the person with this Telegram id (resident, staff or manager)
    /in CHAT       talk in another chat: `private`, `staff` (the staff chat) or a chat id
    /photo PATH [caption]   send a photo
    /quit          leave

Typed numbers press the buttons of the current chat's newest message that has any, whichever
persona was played when it arrived; `/as` and `/in` show that message again on entering a chat.

`--jsonl` mode reads one JSON event per line and writes one JSON line per bot output
(docs/chat-jsonl.md).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Annotated, Any, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator
from sqlalchemy import select

from bot.engine.engine import Engine
from bot.engine.events import ChatKind, ChatRef, Incoming, Photo, Press, UserRef, split_command
from bot.engine.replies import Delivered, Edit, Keyboard, Send, Toast, Upload
from bot.services import Services
from storage.models import Person

# Loading readline gives input() line editing and history (arrow keys move, not "^[[D");
# some platforms have no readline, and plain input() still works there.
with contextlib.suppress(ImportError):
    import readline  # noqa: F401

PREFIX_BOT = "🤖"
# Telegram ids are 64-bit; a person's id is positive, a group's negative.
Int64 = Annotated[int, Field(ge=-(2**63), le=2**63 - 1)]
UserId = Annotated[int, Field(ge=1, le=2**63 - 1)]


class JsonlLine(BaseModel):
    """One input line of `courtyard chat --jsonl` (README, "courtyard chat --jsonl").

    Strict: a number where text belongs, text where a number belongs, 1.5 or true for an id,
    or a key that is not listed is an error for that line, not a guess.
    """

    model_config = ConfigDict(strict=True, extra="forbid", populate_by_name=True)

    sender: UserId = Field(alias="from")
    chat: Int64 | None = None
    chat_type: Literal["private", "group"] | None = None
    text: str | None = None
    press: str | None = Field(default=None, max_length=64)
    photo: str | None = None
    caption: str | None = None
    lang: str | None = Field(default=None, max_length=35)
    name: str = Field(default="", max_length=200)

    @model_validator(mode="after")
    def _says_something(self) -> Self:
        if self.text is None and self.press is None and self.photo is None:
            raise ValueError('a line needs "text", "press" or "photo"')
        return self


def _reject_constant(name: str) -> Any:
    # json accepts Infinity, -Infinity and NaN, which JSON itself does not have.
    raise ValueError(f"{name} is not valid JSON")


def parse_jsonl_line(line: str) -> JsonlLine:
    """The line as a `JsonlLine`; ValueError with one readable reason otherwise."""
    try:
        item = json.loads(line, parse_constant=_reject_constant)
    except RecursionError:
        raise ValueError("the line nests too deeply") from None
    if not isinstance(item, dict):
        raise ValueError('each line must be a JSON object with "from"')
    try:
        return JsonlLine.model_validate(item)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        message = first["msg"].removeprefix("Value error, ")
        raise ValueError(f"{where}: {message}" if where else message) from None


def _saved(upload: Upload) -> str:
    """Writes a generated image (a chart) where the console user can open it; its path.
    Named by its content, so the same chart shown twice is one file."""
    folder = Path(tempfile.gettempdir()) / "courtyard-console"
    folder.mkdir(exist_ok=True)
    digest = hashlib.sha256(upload.data).hexdigest()[:12]
    path = folder / f"{digest}-{upload.name}"
    if not path.exists():
        path.write_bytes(upload.data)
    return str(path)


def _buttons_json(buttons: Keyboard) -> list[list[dict[str, str]]]:
    return [
        [
            {"text": b.text, "data": b.data}
            if b.data is not None
            else {"text": b.text, "url": b.url or ""}
            for b in row
        ]
        for row in buttons
    ]


@dataclass
class ConsoleTransport:
    """Delivers to the terminal; keeps every chat's messages so buttons can be pressed."""

    write: Callable[[str], None]
    jsonl: bool = False
    current_chat: int = 0
    next_id: dict[int, int] = field(default_factory=dict)
    # Every chat's messages as last shown (edits replace them), whichever persona was played
    # when they arrived: typed numbers press the buttons of the current chat's newest message
    # that has any, so a card posted to the staff chat while playing a resident can be pressed
    # after `/as 2001` and `/in staff`.
    messages: dict[int, dict[int, tuple[str, Keyboard]]] = field(default_factory=dict)
    chat_names: dict[int, str] = field(default_factory=dict)
    # The chat each pending press was made in, so that its toast line can name it.
    press_chats: dict[str, int] = field(default_factory=dict)

    async def send(self, message: Send) -> Delivered:
        chat = message.chat_id
        message_id = self.next_id.get(chat, 0) + 1
        self.next_id[chat] = message_id
        self.messages.setdefault(chat, {})[message_id] = (message.text, message.buttons)
        photos = (*message.photos, *(_saved(upload) for upload in message.uploads))
        if self.jsonl:
            line: dict[str, Any] = {"chat": chat, "message_id": message_id, "text": message.text}
            line["buttons"] = _buttons_json(message.buttons)
            if photos:
                line["photos"] = list(photos)
            if message.pin:
                line["pinned"] = True
            self.write(json.dumps(line, ensure_ascii=False))
        else:
            text = f"📌 {message.text}" if message.pin else message.text
            self._show(chat, text, message.buttons, photos=photos)
        return Delivered(message_id=message_id)

    async def edit(self, message: Edit, *, chat_id: int, message_id: int) -> None:
        known = self.messages.get(chat_id, {})
        if message_id not in known:
            return
        known[message_id] = (message.text, message.buttons)
        if self.jsonl:
            line = {"chat": chat_id, "edit": message_id, "text": message.text}
            line["buttons"] = _buttons_json(message.buttons)
            self.write(json.dumps(line, ensure_ascii=False))
        else:
            self._show(chat_id, message.text, message.buttons, edited=True)

    async def toast(self, press_id: str, toast: Toast) -> None:
        chat = self.press_chats.pop(press_id, self.current_chat)
        if toast.text:
            if self.jsonl:
                line = {"chat": chat, "toast": toast.text, "alert": toast.alert}
                self.write(json.dumps(line, ensure_ascii=False))
            else:
                self.write(f"   💬 {toast.text}")

    def _show(
        self,
        chat: int,
        text: str,
        buttons: Keyboard,
        *,
        edited: bool = False,
        photos: tuple[str, ...] = (),
    ) -> None:
        where = "" if chat == self.current_chat else f"[→ {self.chat_names.get(chat, chat)}] "
        mark = "✏️ " if edited else ""
        lines = text.rstrip().splitlines() or [""]
        self.write(f"{PREFIX_BOT} {where}{mark}{lines[0]}")
        for line in lines[1:]:
            self.write(f"   {line}")
        for photo in photos:
            self.write(f"   🖼  {photo}")
        number = 0
        for row in buttons:
            cells = []
            for button in row:
                if button.data is not None:
                    number += 1
                    cells.append(f"[{number}] {button.text}")
                else:
                    cells.append(f"[🔗 {button.text}: {button.url}]")
            self.write("   " + "   ".join(cells))

    def newest_with_buttons(self, chat: int) -> int | None:
        """The newest message in `chat` that has buttons to press now (an edit may have taken
        a message's buttons away, or given it some)."""
        known = self.messages.get(chat, {})
        for message_id in sorted(known, reverse=True):
            if any(b.data is not None for row in known[message_id][1] for b in row):
                return message_id
        return None

    def show_newest_with_buttons(self, chat: int) -> None:
        """Shows again the message whose buttons typed numbers press in `chat`, if any: on
        entering a chat, what arrived there while elsewhere is not off screen."""
        message_id = self.newest_with_buttons(chat)
        if message_id is None or self.jsonl:
            return
        text, buttons = self.messages[chat][message_id]
        self.write("   the newest message with buttons here (type a number to press):")
        self._show(chat, text, buttons)

    def button_data(self, chat: int, number: int) -> tuple[str, int] | None:
        """The data of button `number` on the newest message with buttons in `chat`."""
        message_id = self.newest_with_buttons(chat)
        if message_id is None:
            return None
        _, buttons = self.messages[chat][message_id]
        pressable = [b for row in buttons for b in row if b.data is not None]
        if not 1 <= number <= len(pressable):
            return None
        return pressable[number - 1].data or "", message_id

    def message_of(self, chat: int, data: str) -> int | None:
        """The newest message in `chat` that carries a button with `data`."""
        for message_id in sorted(self.messages.get(chat, {}), reverse=True):
            _, buttons = self.messages[chat][message_id]
            if any(b.data == data for row in buttons for b in row):
                return message_id
        return None


@dataclass
class Persona:
    user_id: int
    name: str = ""
    lang: str | None = None
    chat_id: int | None = None
    chat_kind: ChatKind = ChatKind.PRIVATE
    chat_title: str = ""

    @property
    def chat(self) -> int:
        return self.chat_id if self.chat_id is not None else self.user_id


class ConsoleChat:
    """Reads lines, turns them into events for the engine, prints what comes back."""

    def __init__(
        self,
        engine: Engine,
        services: Services,
        transport: ConsoleTransport,
        *,
        persona: Persona,
        staff_chats: dict[int, str] | None = None,
    ) -> None:
        self.engine, self.services, self.transport = engine, services, transport
        self.persona = persona
        self.staff_chats = staff_chats or {}
        self._press_counter = 0
        transport.current_chat = persona.chat

    async def run(self, stdin: IO[str]) -> None:
        loop = asyncio.get_running_loop()
        # A person at a terminal gets line editing and history (arrow keys) from readline,
        # which only input() uses; scripts and pipes read plain lines.
        interactive = not self.transport.jsonl and stdin is sys.stdin and stdin.isatty()
        while True:
            if not self.transport.jsonl:
                self.transport.write(self._prompt())
            if interactive:
                try:
                    line = await loop.run_in_executor(None, input) + "\n"
                except EOFError:
                    return
            else:
                line = await loop.run_in_executor(None, stdin.readline)
            if not line:
                return
            line = line.strip()
            if not line:
                continue
            if self.transport.jsonl:
                await self._jsonl_line(line)
            elif not await self._console_line(line):
                return
            await self._send_broadcasts()

    async def _send_broadcasts(self) -> None:
        """Sends what the line broadcast (a notice, an emergency) before the next prompt, so
        the conversation reads in order; the engine's bulk sender does the same in the
        background for what the scheduler fires meanwhile."""
        while await self.engine.bulk.send_due():
            pass

    def _prompt(self) -> str:
        chat = self.persona.chat
        where = (
            "private" if chat == self.persona.user_id else self.transport.chat_names.get(chat, chat)
        )
        return f"── you are {self.persona.name or self.persona.user_id} in {where} ──"

    async def _console_line(self, line: str) -> bool:
        parsed = split_command(line)
        if parsed is not None:
            name, args, _ = parsed
            if name in ("quit", "exit"):
                return False
            if name == "as":
                await self._switch_persona(args)
                return True
            if name == "in":
                self._switch_chat(args)
                return True
            if name == "photo":
                path, _, caption = args.partition(" ")
                await self.engine.handle(self._event(photos=(Photo(path),), text=caption or None))
                return True
        if line.isdigit():
            found = self.transport.button_data(self.persona.chat, int(line))
            if found is None:
                self.transport.write("   (no such button here)")
                return True
            data, message_id = found
            await self.engine.handle(self._press_event(data, message_id))
            return True
        await self.engine.handle(self._text_event(line))
        return True

    async def _switch_persona(self, args: str) -> None:
        """Plays another person; the prompt names them as the store knows them ("王芳")."""
        words = args.split()
        if not words or not words[0].lstrip("-").isdigit():
            self.transport.write("   usage: /as TELEGRAM_ID [zh|en]")
            return
        # Without a language the person's own (stored) language applies, as for a real user
        # whose messenger says nothing.
        user_id = int(words[0])
        async with self.services.db.read() as session:
            name = await session.scalar(select(Person.name).where(Person.telegram_id == user_id))
        self.persona = Persona(
            user_id=user_id, name=name or "", lang=words[1] if len(words) > 1 else None
        )
        self.transport.current_chat = self.persona.chat
        who = f"{name} ({user_id})" if name else f"user {user_id}"
        self.transport.write(f"   now playing {who}")
        self.transport.show_newest_with_buttons(self.persona.chat)

    def _switch_chat(self, args: str) -> None:
        target = args.strip()
        if target in ("", "private"):
            self.persona.chat_id, self.persona.chat_kind = None, ChatKind.PRIVATE
        elif target == "staff" and self.staff_chats:
            chat_id = next(iter(self.staff_chats))
            self.persona.chat_id, self.persona.chat_kind = chat_id, ChatKind.GROUP
        elif target.lstrip("-").isdigit():
            chat_id = int(target)
            self.persona.chat_id = chat_id
            self.persona.chat_kind = ChatKind.PRIVATE if chat_id > 0 else ChatKind.GROUP
        else:
            self.transport.write("   usage: /in private | staff | CHAT_ID")
            return
        self.transport.current_chat = self.persona.chat
        self.transport.show_newest_with_buttons(self.persona.chat)

    async def _jsonl_line(self, line: str) -> None:
        """Handles one input line; a line that is not a valid event gets `{"error": ...}`
        and the session goes on."""
        try:
            event = self._jsonl_event(parse_jsonl_line(line))
        except ValueError as exc:
            self.transport.write(json.dumps({"error": str(exc)}, ensure_ascii=False))
            return
        await self.engine.handle(event)

    def _jsonl_event(self, item: JsonlLine) -> Incoming:
        user_id = item.sender
        chat_id = item.chat if item.chat is not None else user_id
        kind_name = item.chat_type or ("private" if chat_id == user_id else "group")
        self.persona = Persona(
            user_id=user_id,
            name=item.name,
            lang=item.lang,
            chat_id=chat_id,
            chat_kind=ChatKind(kind_name),
        )
        if item.press is not None:
            return self._press_event(item.press, self.transport.message_of(chat_id, item.press))
        if item.photo is not None:
            return self._event(photos=(Photo(item.photo),), text=item.caption)
        assert item.text is not None  # JsonlLine requires one of the three
        return self._text_event(item.text)

    def _event(self, **fields: Any) -> Incoming:
        p = self.persona
        return Incoming(
            user=UserRef(p.user_id, p.name, p.lang),
            chat=ChatRef(p.chat, p.chat_kind, p.chat_title),
            **fields,
        )

    def _text_event(self, text: str) -> Incoming:
        parsed = split_command(text, self.services.bot_username)
        if parsed is not None:
            name, args, ours = parsed
            return self._event(text=text, command=name, args=args, addressed=ours)
        mention = f"@{self.services.bot_username}".lower()
        addressed = self.persona.chat_kind is ChatKind.PRIVATE or mention in text.lower()
        return self._event(text=text, addressed=addressed)

    def _press_event(self, data: str, message_id: int | None) -> Incoming:
        self._press_counter += 1
        press_id = f"console-{self._press_counter}"
        self.transport.press_chats[press_id] = self.persona.chat
        return self._event(press=Press(data, message_id, press_id))


def stdout_writer(stream: IO[str] = sys.stdout) -> Callable[[str], None]:
    def write(line: str) -> None:
        stream.write(line + "\n")
        stream.flush()

    return write
