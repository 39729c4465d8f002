"""Drive the engine as users would, and read back what the bot sent where."""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.app import build_flows
from bot.engine.engine import Engine
from bot.engine.events import ChatKind, ChatRef, Incoming, Photo, Press, UserRef, split_command
from bot.engine.replies import Delivered, Edit, Outbound, Send, Toast
from bot.services import Services
from bot.settings import Settings
from storage import demo
from storage.db import Database


@dataclass
class Sent:
    chat_id: int
    message_id: int
    text: str
    buttons: list[list[tuple[str, str | None]]]
    photos: tuple[str, ...] = ()
    thread_id: int | None = None

    def data(self, label_part: str) -> str:
        """The data of the first button whose label contains `label_part`."""
        for row in self.buttons:
            for text, data in row:
                if label_part in text and data is not None:
                    return data
        raise AssertionError(f"no button {label_part!r} in {self.buttons}")


@dataclass
class RecordingTransport:
    """Keeps everything the engine delivers, like a chat client would show it."""

    sent: list[Sent] = field(default_factory=list)
    edits: list[tuple[int, int, Edit]] = field(default_factory=list)
    # Forum topics opened: (chat, thread id, title); chats listed in `forums` are forums.
    topics: list[tuple[int, int, str]] = field(default_factory=list)
    forums: set[int] = field(default_factory=set)
    toasts: list[Toast] = field(default_factory=list)
    blocked: set[int] = field(default_factory=set)
    _ids: dict[int, int] = field(default_factory=dict)

    async def send(self, message: Send) -> Delivered:
        if message.chat_id in self.blocked:
            return Delivered(blocked=True)
        message_id = self._ids.get(message.chat_id, 0) + 1
        self._ids[message.chat_id] = message_id
        thread_id = message.thread_id
        if message.open_topic and message.chat_id in self.forums:
            thread_id = 10_000 + len(self.topics)
            self.topics.append((message.chat_id, thread_id, message.open_topic))
        buttons = [[(b.text, b.data) for b in row] for row in message.buttons]
        self.sent.append(
            Sent(message.chat_id, message_id, message.text, buttons, message.photos, thread_id)
        )
        return Delivered(message_id=message_id, thread_id=thread_id)

    async def edit(self, message: Edit, *, chat_id: int, message_id: int) -> None:
        self.edits.append((chat_id, message_id, message))
        for item in self.sent:
            if item.chat_id == chat_id and item.message_id == message_id:
                item.text = message.text
                item.buttons = [[(b.text, b.data) for b in row] for row in message.buttons]

    async def toast(self, press_id: str, toast: Toast) -> None:
        self.toasts.append(toast)

    def to(self, chat_id: int) -> list[Sent]:
        return [s for s in self.sent if s.chat_id == chat_id]

    def last(self, chat_id: int) -> Sent:
        messages = self.to(chat_id)
        assert messages, f"nothing was sent to chat {chat_id}"
        return messages[-1]


class Harness:
    def __init__(self, services: Services, transport: RecordingTransport) -> None:
        self.services, self.transport = services, transport
        self.engine = Engine(services, transport)
        self.demo: demo.DemoSummary | None = None

    @classmethod
    async def create(cls, db: Database, settings: Settings, *, seed: bool = True) -> Harness:
        services = Services(settings=settings, db=db, flows=build_flows())
        harness = cls(services, RecordingTransport())
        if seed:
            async with db.write() as session:
                harness.demo = await demo.seed_demo(session, now=services.clock())
        return harness

    def restarted(self) -> Harness:
        """A new engine and transport over the same store: the process restarted."""
        fresh = Harness(
            Services(settings=self.services.settings, db=self.services.db, flows=build_flows()),
            RecordingTransport(),
        )
        fresh.demo = self.demo
        return fresh

    async def say(
        self,
        user: int,
        text: str,
        *,
        chat: int | None = None,
        lang: str | None = None,
        name: str = "",
        addressed: bool | None = None,
        thread_id: int | None = None,
        reply_to: int | None = None,
    ) -> list[Outbound]:
        chat_id = chat if chat is not None else user
        kind = ChatKind.PRIVATE if chat_id == user else ChatKind.GROUP
        parsed = split_command(text, self.services.bot_username)
        fields: dict = {"text": text}
        if parsed is not None:
            fields.update(command=parsed[0], args=parsed[1], addressed=parsed[2])
        elif addressed is not None:
            fields["addressed"] = addressed
        else:
            fields["addressed"] = kind is ChatKind.PRIVATE
        return await self.engine.handle(
            Incoming(
                user=UserRef(user, name, lang),
                chat=ChatRef(chat_id, kind),
                thread_id=thread_id,
                reply_to_message_id=reply_to,
                **fields,
            )
        )

    async def press(
        self, user: int, data: str, *, chat: int | None = None, lang: str | None = None
    ) -> list[Outbound]:
        chat_id = chat if chat is not None else user
        kind = ChatKind.PRIVATE if chat_id == user else ChatKind.GROUP
        message_id = None
        for item in reversed(self.transport.to(chat_id)):
            if any(d == data for row in item.buttons for _, d in row):
                message_id = item.message_id
                break
        return await self.engine.handle(
            Incoming(
                user=UserRef(user, "", lang),
                chat=ChatRef(chat_id, kind),
                press=Press(data, message_id, f"p{len(self.transport.toasts)}"),
            )
        )

    async def photo(self, user: int, file_id: str, *, caption: str | None = None) -> list[Outbound]:
        return await self.engine.handle(
            Incoming(
                user=UserRef(user),
                chat=ChatRef(user),
                photos=(Photo(file_id),),
                text=caption,
            )
        )

    async def send_event(self, event: Incoming) -> list[Outbound]:
        return await self.engine.handle(event)
