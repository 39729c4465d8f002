"""Drive the engine as users would, and read back what the bot sent where."""

from __future__ import annotations

import contextlib
import shutil
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import ColumnElement, Select, select
from sqlalchemy.engine import make_url

from bot.app import build_flows
from bot.engine.engine import Engine
from bot.engine.events import ChatKind, ChatRef, Incoming, Photo, Press, UserRef, split_command
from bot.engine.replies import Delivered, Edit, Outbound, Send, Toast, Upload
from bot.services import Services
from bot.settings import Settings
from storage import demo
from storage.db import Database
from storage.models import Base, Case, Compound, utcnow


@dataclass
class Sent:
    chat_id: int
    message_id: int
    text: str
    buttons: list[list[tuple[str, str | None]]]
    photos: tuple[str, ...] = ()
    thread_id: int | None = None
    pinned: bool = False  # sent with `pin` (an emergency in the residents' group)
    uploads: tuple[Upload, ...] = ()

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
            Sent(
                message.chat_id,
                message_id,
                message.text,
                buttons,
                message.photos,
                thread_id,
                pinned=message.pin,
                uploads=message.uploads,
            )
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


def sqlite_file(url: str) -> Path | None:
    """The file behind a SQLite URL; None for PostgreSQL or an in-memory database."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    return Path(parsed.database)


def _side_files(path: Path) -> list[Path]:
    return [Path(f"{path}{suffix}") for suffix in ("-wal", "-shm", "-journal")]


def settle_sqlite(path: Path) -> None:
    """Leaves everything in the main file, so that copying that one file copies the database.

    Called once every connection is closed: the last close checkpoints the WAL already; this
    makes sure of it, and refuses a template that still has a WAL or journal beside it."""
    with contextlib.closing(sqlite3.connect(path)) as connection:
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    left = [p.name for p in _side_files(path) if p.exists()]
    if left:
        raise RuntimeError(f"template {path} not fully checkpointed: {left}")


@dataclass(frozen=True)
class SqliteTemplates:
    """Database files built once per test run; each test gets a copy of one (about a
    millisecond) instead of creating the tables (~10 ms) and seeding the demo (~30-70 ms).

    `schema`: the tables of `Base.metadata`, no rows. `demo`: the same, then `seed_demo`, as
    `Harness.create` would seed it. The copies are files of their own: nothing is shared
    between tests but bytes that no test can change."""

    schema: Path
    demo: Path
    invite_code: str
    units: int

    @classmethod
    async def build(cls, folder: Path) -> SqliteTemplates:
        schema = folder / "schema.db"
        db = Database(f"sqlite+aiosqlite:///{schema}")
        try:
            async with db.write_engine.begin() as connection:
                await connection.run_sync(Base.metadata.create_all)
        finally:
            await db.dispose()
        settle_sqlite(schema)
        seeded = folder / "demo.db"
        shutil.copyfile(schema, seeded)
        db = Database(f"sqlite+aiosqlite:///{seeded}")
        try:
            # The clock Harness.create seeds with (Services.clock's default). What depends on
            # it: the rows' created_at/bound_at (nothing reads those of the demo's rows) and
            # the invite's expiry, 30 days on; a template a few minutes older than the test
            # changes no outcome (no test moves the clock to within minutes of that expiry;
            # the deadline tests' clock is fixed in March 2026).
            async with db.write() as session:
                summary = await demo.seed_demo(session, now=utcnow())
                invite_code, units = summary.invite_code, summary.units
        finally:
            await db.dispose()
        settle_sqlite(seeded)
        return cls(schema=schema, demo=seeded, invite_code=invite_code, units=units)

    def copy_schema(self, path: Path) -> None:
        shutil.copyfile(self.schema, path)

    def _is_untouched_schema_copy(self, path: Path) -> bool:
        """True when nothing has opened or written the file since `copy_schema`: no WAL or
        journal beside it (an open connection keeps one) and the bytes of the template."""
        if not path.exists() or any(p.exists() for p in _side_files(path)):
            return False
        return path.read_bytes() == self.schema.read_bytes()

    async def restore_demo(self, db: Database) -> demo.DemoSummary | None:
        """Turns an untouched copy of the schema into a copy of the seeded demo, and returns
        what `seed_demo` would have; None when `db` is anything else (seed it, then)."""
        path = sqlite_file(db.url)
        if path is None or not self._is_untouched_schema_copy(path):
            return None
        shutil.copyfile(self.demo, path)
        # Seeding writes compounds and chat bindings, which empties the handle's row cache.
        db.rows.clear()
        async with db.read() as session:
            compound = await session.scalar(select(Compound).where(Compound.code == demo.CODE))
        assert compound is not None
        return demo.DemoSummary(compound=compound, invite_code=self.invite_code, units=self.units)


class Harness:
    def __init__(self, services: Services, transport: RecordingTransport) -> None:
        self.services, self.transport = services, transport
        self.engine = Engine(services, transport)
        self.demo: demo.DemoSummary | None = None
        # How many compounds the database holds (tests/cases runs beside a second one).
        self.compounds = 1

    @classmethod
    async def create(
        cls,
        db: Database,
        settings: Settings,
        *,
        seed: bool = True,
        templates: SqliteTemplates | None = None,
    ) -> Harness:
        """`templates`: copy the seeded demo instead of seeding it, when `db` is an untouched
        copy of the schema template; any other database is seeded as before."""
        services = Services(settings=settings, db=db, flows=build_flows())
        harness = cls(services, RecordingTransport())
        if seed:
            if templates is not None and services.clock is utcnow:
                harness.demo = await templates.restore_demo(db)
            if harness.demo is None:
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


def in_demo_compound() -> ColumnElement[bool]:
    """Filters cases to the demo compound's (other compounds may share the database)."""
    return Case.compound_id.in_(select(Compound.id).where(Compound.code == demo.CODE))


def demo_compound() -> Select[tuple[Compound]]:
    return select(Compound).where(Compound.code == demo.CODE)
