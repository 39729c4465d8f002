"""The people behind resident and staff rows."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.importer.base import assign
from storage.importer.cells import Cells
from storage.models import Person

PHONE_CHARACTERS = frozenset("0123456789+-() ")
# Telegram user ids are positive; groups and channels (negative) cannot be residents or staff.
TELEGRAM_ID_MIN = 1


def read_phone(cells: Cells) -> str | None:
    value = cells.optional("phone", max_length=32)
    if value and not (set(value) <= PHONE_CHARACTERS and any(ch.isdigit() for ch in value)):
        cells.fail(f"phone {value!r} is not a phone number (digits, spaces, + - and brackets)")
        return None
    return value


async def person_by_telegram(
    session: AsyncSession, telegram_id: int, *, name: str, phone: str | None
) -> tuple[Person, bool]:
    """The person with this Telegram id, created when the office lists them before they ever
    write to the bot. Returns the person and whether anything about them changed.

    Once someone has written, their name is the one their messenger reports (refreshed with
    every message), so a file's name fills in only a missing one; a phone in the file is kept.
    """
    person = await session.scalar(select(Person).where(Person.telegram_id == telegram_id))
    if person is None:
        person = Person(telegram_id=telegram_id, name=name, phone=phone)
        session.add(person)
        await session.flush()
        return person, True
    changed = assign(person, name=person.name or name, phone=phone or person.phone)
    return person, changed
