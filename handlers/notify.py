"""Who to tell: the staff chat of a compound, or its managers when no staff chat is bound."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from bot.i18n import locale_for
from bot.settings import Settings
from storage.models import Compound, StaffRole
from storage.repos.compounds import staff_chat
from storage.repos.people import people_by_telegram_id, staff_of


@dataclass(frozen=True, slots=True)
class Target:
    chat_id: int
    locale: str


async def staff_targets(
    session: AsyncSession, settings: Settings, compound_id: int
) -> list[Target]:
    """The staff chat; without one, each manager of the compound in private."""
    compound = await session.get(Compound, compound_id)
    chat = await staff_chat(session, compound_id)
    if chat is not None:
        return [Target(chat.chat_id, locale_for(None, compound, settings.default_locale))]
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
                    person.telegram_id, locale_for(person, compound, default)
                )
    global_ids = settings.manager_ids - targets.keys()
    known = await people_by_telegram_id(session, set(global_ids))
    for telegram_id in sorted(global_ids):
        targets[telegram_id] = Target(
            telegram_id, locale_for(known.get(telegram_id), compound, default)
        )
    return list(targets.values())
