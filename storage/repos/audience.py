"""Who a broadcast reaches: the bound residents of a compound, or of some of its buildings or
units, or its owners only, each once.

A resident with two homes in the audience is one recipient (their first home names them on
a roll-call). People who muted the broadcast's topic are left out, when the topic may be
muted at all: outages, safety notices, fees, events and emergencies reach everyone they are for.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import (
    Building,
    Compound,
    Person,
    Residency,
    ResidencyRole,
    ResidencyStatus,
    Unit,
)
from storage.repos.compounds import normalize_unit_label


class Topic(enum.StrEnum):
    """What a broadcast is about, as residents mute it in /settings."""

    OUTAGE = "outage"
    MAINTENANCE = "maintenance"
    SAFETY = "safety"
    COMMUNITY = "community"
    FEES = "fees"
    EVENTS = "events"
    OTHER = "other"
    EMERGENCY = "emergency"


# What a resident may mute: news they can live without. Everything else concerns their safety,
# their home or their money.
MUTABLE_TOPICS = frozenset({Topic.COMMUNITY, Topic.MAINTENANCE})


@dataclass(frozen=True, slots=True)
class AudienceSpec:
    """Whom to reach in one compound: these buildings, or these units (labels as residents
    write them), or everyone; `owners_only` leaves tenants and family out. Buildings and
    units together reach the residents of either."""

    buildings: tuple[str, ...] = ()
    units: tuple[str, ...] = ()
    owners_only: bool = False

    @property
    def everyone(self) -> bool:
        return not self.buildings and not self.units


@dataclass(frozen=True, slots=True)
class Recipient:
    """One person a broadcast reaches, with their (first) home in the audience."""

    person_id: int
    telegram_id: int
    name: str
    phone: str | None
    locale: str
    unit_id: int
    unit_label: str
    building: str
    role: ResidencyRole
    blocked: bool


def _residents(compound_id: int, spec: AudienceSpec) -> Select[Residency, Unit, Building]:
    query = (
        select(Residency, Unit, Building)
        .join(Unit, Unit.id == Residency.unit_id)
        .join(Building, Building.id == Unit.building_id)
        .where(
            Residency.compound_id == compound_id,
            Residency.status == ResidencyStatus.APPROVED,
        )
    )
    if spec.owners_only:
        query = query.where(Residency.role == ResidencyRole.OWNER)
    if not spec.everyone:
        labels = [normalize_unit_label(label) for label in spec.units]
        query = query.where(Building.name.in_(spec.buildings) | Unit.label.in_(labels))
    return query


async def recipients(
    session: AsyncSession,
    compound: Compound,
    spec: AudienceSpec | None = None,
    *,
    topic: Topic | None = None,
    default_locale: str = "zh",
) -> list[Recipient]:
    """The people `spec` reaches who can get a Telegram message, each once, ordered by
    building and unit; those who muted a mutable `topic` are left out."""
    spec = spec or AudienceSpec()
    query = (
        _residents(compound.id, spec)
        .add_columns(Person)
        .join(Person, Person.id == Residency.person_id)
        .where(Person.telegram_id.is_not(None))
        .order_by(Building.name, Unit.label, Residency.id)
    )
    found: dict[int, Recipient] = {}
    for residency, unit, building, person in await session.execute(query):
        if person.id in found:
            continue
        if topic in MUTABLE_TOPICS and str(topic) in (person.muted or []):
            continue
        assert person.telegram_id is not None
        found[person.id] = Recipient(
            person_id=person.id,
            telegram_id=person.telegram_id,
            name=person.name or residency.registered_name or "",
            phone=person.phone,
            locale=person.locale or compound.locale or default_locale,
            unit_id=unit.id,
            unit_label=unit.label,
            building=building.name,
            role=residency.role,
            blocked=person.blocked_at is not None,
        )
    return list(found.values())


async def household_count(
    session: AsyncSession, compound: Compound, spec: AudienceSpec | None = None
) -> int:
    """How many homes `spec` reaches: units with at least one bound resident in it."""
    units = _residents(compound.id, spec or AudienceSpec()).with_only_columns(Unit.id).distinct()
    return int(await session.scalar(select(func.count()).select_from(units.subquery())) or 0)
