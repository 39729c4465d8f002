"""Who to tell: the staff chat of a compound, or its managers when no staff chat is bound."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.settings import Settings
from storage.models import Compound, Person, StaffRole
from storage.repos.compounds import staff_chat
from storage.repos.people import staff_of


@dataclass(frozen=True, slots=True)
class Target:
    chat_id: int
    locale: str


def locale_of(person: Person, compound: Compound | None, default: str) -> str:
    """The language to write to someone in when they are not the one talking to us."""
    return person.locale or (compound.locale if compound else default)


async def staff_targets(
    session: AsyncSession, settings: Settings, compound_id: int
) -> list[Target]:
    """The staff chat; without one, each manager of the compound in private."""
    compound = await session.get(Compound, compound_id)
    default = compound.locale if compound else settings.default_locale
    chat = await staff_chat(session, compound_id)
    if chat is not None:
        return [Target(chat.chat_id, default)]
    return await manager_targets(session, settings, compound)


async def manager_targets(
    session: AsyncSession, settings: Settings, compound: Compound | None
) -> list[Target]:
    """Every manager of the compound, and everyone in MANAGER_IDS, each in their language."""
    default = settings.default_locale
    targets: dict[int, Target] = {}
    if compound is not None:
        for member in await staff_of(session, compound.id):
            person = member.person
            if member.role is StaffRole.MANAGER and person.telegram_id is not None:
                targets[person.telegram_id] = Target(
                    person.telegram_id, locale_of(person, compound, default)
                )
    global_ids = settings.manager_ids - targets.keys()
    if global_ids:
        people = await session.scalars(select(Person).where(Person.telegram_id.in_(global_ids)))
        known = {p.telegram_id: p for p in people}
        for telegram_id in sorted(global_ids):
            person = known.get(telegram_id)
            locale = (
                locale_of(person, compound, default)
                if person
                else (compound.locale if compound else default)
            )
            targets[telegram_id] = Target(telegram_id, locale)
    return list(targets.values())
