"""The bench's compound: residents with a home each, a staff team, a staff chat; and a
transport that keeps what a chat client would show, so nothing sent can go unnoticed."""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from bot.engine.replies import Delivered, Edit, Send, Toast
from storage.db import Database
from storage.models import (
    Base,
    Building,
    ChatBinding,
    ChatPurpose,
    Compound,
    Person,
    Residency,
    ResidencyRole,
    ResidencyStatus,
    StaffMember,
    StaffRole,
    Unit,
)

STAFF_CHAT = -1_000_777
RESIDENT_BASE, STAFF_BASE = 100_000, 200_000
HOMES_PER_BUILDING = 200


@dataclass(frozen=True, slots=True)
class World:
    residents: list[int]  # Telegram ids
    staff: list[int]


async def seed(db: Database, *, residents: int, staff: int) -> World:
    """One compound: `residents` people each in their own home, `staff` staff members with
    every skill, a staff chat. Plain inserts, one transaction."""
    async with db.write_engine.begin() as connection:
        await connection.run_sync(Base.metadata.create_all)
    async with db.write() as session:
        compound = Compound(code="bench", name="Bench Garden", settings={"kb": {}})
        session.add(compound)
        await session.flush()
        buildings = [
            Building(compound_id=compound.id, name=str(n + 1))
            for n in range(-(-residents // HOMES_PER_BUILDING))
        ]
        session.add_all(buildings)
        await session.flush()
        people = [
            Person(telegram_id=RESIDENT_BASE + i, name=f"业主{i}", locale="zh")
            for i in range(residents)
        ]
        team = [
            Person(telegram_id=STAFF_BASE + i, name=f"师傅{i}", locale="zh") for i in range(staff)
        ]
        units = [
            Unit(
                compound_id=compound.id,
                building_id=buildings[i // HOMES_PER_BUILDING].id,
                label=f"{i // HOMES_PER_BUILDING + 1}-{i % HOMES_PER_BUILDING + 1:04d}",
            )
            for i in range(residents)
        ]
        session.add_all([*people, *team, *units])
        await session.flush()
        session.add_all(
            Residency(
                compound_id=compound.id,
                unit_id=unit.id,
                person_id=person.id,
                role=ResidencyRole.OWNER,
                status=ResidencyStatus.APPROVED,
                source="import",
            )
            for person, unit in zip(people, units, strict=True)
        )
        session.add_all(
            StaffMember(
                compound_id=compound.id,
                person_id=person.id,
                role=StaffRole.STAFF,
                skills=["plumbing", "electrical"],
            )
            for person in team
        )
        session.add(
            ChatBinding(
                compound_id=compound.id,
                chat_id=STAFF_CHAT,
                purpose=ChatPurpose.STAFF,
                title="bench staff",
            )
        )
    return World(
        residents=[RESIDENT_BASE + i for i in range(residents)],
        staff=[STAFF_BASE + i for i in range(staff)],
    )


@asynccontextmanager
async def database(backend: str, *, sqlite_path: str, pg_url: str) -> AsyncIterator[Database]:
    """A database of its own: a fresh SQLite file, or a PostgreSQL schema dropped afterwards."""
    if backend == "sqlite":
        db = Database(f"sqlite+aiosqlite:///{sqlite_path}")
        try:
            yield db
        finally:
            await db.dispose()
        return
    import asyncpg

    dsn = pg_url.replace("postgresql+asyncpg://", "postgresql://")
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    connection = await asyncpg.connect(dsn)
    try:
        await connection.execute(f'CREATE SCHEMA "{schema}"')
        db = Database(pg_url, connect_args={"server_settings": {"search_path": schema}})
        try:
            yield db
        finally:
            await db.dispose()
    finally:
        await connection.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        await connection.close()


@dataclass
class Recorded:
    chat_id: int
    message_id: int
    text: str
    ref: str | None


@dataclass
class BenchTransport:
    """Delivers nowhere; remembers every send, edit and answered press."""

    sent: list[Recorded] = field(default_factory=list)
    edits: Counter[str | None] = field(default_factory=Counter)
    toasts: list[Toast] = field(default_factory=list)
    by_ref: dict[str, int] = field(default_factory=dict)
    _ids: Counter[int] = field(default_factory=Counter)

    async def send(self, message: Send) -> Delivered:
        self._ids[message.chat_id] += 1
        message_id = self._ids[message.chat_id]
        self.sent.append(Recorded(message.chat_id, message_id, message.text, message.ref))
        if message.ref:
            self.by_ref.setdefault(message.ref, message_id)
        return Delivered(message_id=message_id)

    def last_id(self, chat_id: int) -> int | None:
        """The newest message in the chat: the one whose buttons a person presses next."""
        return self._ids[chat_id] or None

    async def edit(self, message: Edit, *, chat_id: int, message_id: int) -> None:
        self.edits[message.ref] += 1

    async def toast(self, press_id: str, toast: Toast) -> None:
        self.toasts.append(toast)
