"""Persons, their residencies and staff roles: who someone is and what they may see."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import and_, bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import contains_eager, selectinload

from storage.models import (
    Person,
    Residency,
    ResidencyStatus,
    StaffMember,
    StaffRole,
    Unit,
)


@dataclass(slots=True)
class Actor:
    """The person behind an event and everything they are allowed to act as."""

    person: Person
    residencies: list[Residency] = field(default_factory=list)  # approved only
    staff: list[StaffMember] = field(default_factory=list)  # active only
    global_manager: bool = False  # listed in MANAGER_IDS: manager of every compound

    @property
    def units(self) -> list[Unit]:
        return [r.unit for r in self.residencies]

    def unit_ids(self, compound_id: int | None = None) -> set[int]:
        return {
            r.unit_id
            for r in self.residencies
            if compound_id is None or r.compound_id == compound_id
        }

    def is_resident(self, compound_id: int | None = None) -> bool:
        return bool(self.unit_ids(compound_id))

    def is_staff(self, compound_id: int) -> bool:
        return self.global_manager or any(s.compound_id == compound_id for s in self.staff)

    def is_manager(self, compound_id: int) -> bool:
        return self.global_manager or any(
            s.compound_id == compound_id and s.role is StaffRole.MANAGER for s in self.staff
        )

    def compound_ids(self) -> list[int]:
        """Compounds this person belongs to, residencies first, in a stable order."""
        seen: dict[int, None] = {}
        for r in self.residencies:
            seen.setdefault(r.compound_id)
        for s in self.staff:
            seen.setdefault(s.compound_id)
        return list(seen)


# A person with their approved residencies (and units) and active staff memberships, in one
# round trip: the engine asks for this on every event. A person holds a handful of each, so
# the outer joins multiply a few rows at most. Built once; each event only binds the id.
_ACTOR_BY_TELEGRAM_ID = (
    select(Person, Residency, StaffMember)
    .outerjoin(
        Residency,
        and_(Residency.person_id == Person.id, Residency.status == ResidencyStatus.APPROVED),
    )
    .outerjoin(Unit, Unit.id == Residency.unit_id)
    .outerjoin(StaffMember, and_(StaffMember.person_id == Person.id, StaffMember.active.is_(True)))
    .options(contains_eager(Residency.unit))
    .where(Person.telegram_id == bindparam("telegram_id"))
    .order_by(Residency.id, StaffMember.id)
)


async def ensure_actor(
    session: AsyncSession,
    *,
    telegram_id: int,
    name: str,
    locale: str | None,
    manager_ids: frozenset[int],
) -> Actor:
    """Finds or creates the person behind a messenger identity, refreshes what the messenger
    tells us, and loads what they may act as: person, approved residencies with their units
    and active staff roles in one query."""
    rows = (await session.execute(_ACTOR_BY_TELEGRAM_ID, {"telegram_id": telegram_id})).all()
    if not rows:  # someone new: no roles yet
        person = Person(telegram_id=telegram_id, name=name, locale=locale)
        session.add(person)
        await session.flush()
        return Actor(person=person, global_manager=telegram_id in manager_ids)
    person = rows[0][0]
    _refresh(person, name=name, locale=locale)
    residencies = {r.id: r for _, r, _ in rows if r is not None}
    staff = {s.id: s for _, _, s in rows if s is not None}
    return Actor(
        person=person,
        residencies=sorted(residencies.values(), key=lambda r: r.id),
        staff=sorted(staff.values(), key=lambda s: s.id),
        global_manager=telegram_id in manager_ids,
    )


def _refresh(person: Person, *, name: str, locale: str | None) -> None:
    """Takes in what the messenger tells us; an unchanged person stays clean (no UPDATE)."""
    # The name on the office's register (import, demo, onboarding) wins over the messenger's
    # display name: staff cards read "李师傅", not whatever nickname Telegram shows.
    if name and not person.name:
        person.name = name
    if not person.locale_chosen and locale and person.locale != locale:
        person.locale = locale
    if person.blocked_at is not None:
        person.blocked_at = None  # they wrote to us, so they have unblocked the bot


async def mark_blocked(session: AsyncSession, telegram_id: int, at: datetime | None) -> bool:
    """Records that the person blocked the bot at `at`, or (None) that they unblocked it.
    False when nobody has that Telegram id (nothing to record: a stranger who blocks the bot
    is no recipient of anything)."""
    person = await session.scalar(select(Person).where(Person.telegram_id == telegram_id))
    if person is None:
        return False
    person.blocked_at = at
    return True


async def load_actor(
    session: AsyncSession, person: Person, *, manager_ids: frozenset[int]
) -> Actor:
    residencies = (
        await session.scalars(
            select(Residency)
            .where(Residency.person_id == person.id, Residency.status == ResidencyStatus.APPROVED)
            .options(selectinload(Residency.unit))
            .order_by(Residency.id)
        )
    ).all()
    staff = (
        await session.scalars(
            select(StaffMember)
            .where(StaffMember.person_id == person.id, StaffMember.active.is_(True))
            .order_by(StaffMember.id)
        )
    ).all()
    return Actor(
        person=person,
        residencies=list(residencies),
        staff=list(staff),
        global_manager=person.telegram_id in manager_ids,
    )


async def staff_of(
    session: AsyncSession, compound_id: int, *, skill: str | None = None
) -> list[StaffMember]:
    rows = (
        await session.scalars(
            select(StaffMember)
            .where(StaffMember.compound_id == compound_id, StaffMember.active.is_(True))
            .options(selectinload(StaffMember.person))
            .order_by(StaffMember.id)
        )
    ).all()
    return [s for s in rows if skill is None or skill in (s.skills or [])]


async def people_by_telegram_id(session: AsyncSession, telegram_ids: set[int]) -> dict[int, Person]:
    """The people known under these Telegram ids, by id; unknown ids are left out."""
    if not telegram_ids:
        return {}
    rows = await session.scalars(select(Person).where(Person.telegram_id.in_(telegram_ids)))
    return {p.telegram_id: p for p in rows if p.telegram_id is not None}


async def home_compound_ids(session: AsyncSession, telegram_id: int) -> list[int]:
    """The compounds where the person behind this Telegram id has a linked home."""
    rows = await session.scalars(
        select(Residency.compound_id)
        .join(Person, Person.id == Residency.person_id)
        .where(Person.telegram_id == telegram_id, Residency.status == ResidencyStatus.APPROVED)
        .distinct()
    )
    return list(rows)
