"""Notices in the store: writing one, finding it, and which are current for whom."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import (
    Building,
    Notice,
    NoticeCategory,
    NoticeChannel,
    NoticeStatus,
    Residency,
    ResidencyRole,
    Unit,
)


@dataclass(frozen=True, slots=True)
class Home:
    """One home of a resident, as a notice's audience is written: building, unit, role."""

    building: str
    unit: str
    role: ResidencyRole


def audience_of(notice: Notice) -> tuple[tuple[str, ...], tuple[str, ...], bool]:
    """The notice's audience as (buildings, units, owners only); no buildings and no units
    is the whole compound."""
    audience = notice.audience or {}
    return (
        tuple(audience.get("buildings") or ()),
        tuple(audience.get("units") or ()),
        bool(audience.get("owners_only")),
    )


def whole_compound(notice: Notice) -> bool:
    buildings, units, owners_only = audience_of(notice)
    return not buildings and not units and not owners_only


def reaches(notice: Notice, homes: Iterable[Home]) -> bool:
    """Whether a resident with these homes is in the notice's audience: a home in one of its
    buildings or one of its units (any home, for the whole compound), owned when it is for
    owners only."""
    buildings, units, owners_only = audience_of(notice)
    for home in homes:
        if owners_only and home.role is not ResidencyRole.OWNER:
            continue
        if (not buildings and not units) or home.building in buildings or home.unit in units:
            return True
    return False


def is_public(notice: Notice) -> bool:
    """Shown to anyone who asks: for the whole compound, and posted in the group or board."""
    posted = {NoticeChannel.GROUP.value, NoticeChannel.BOARD.value} & set(notice.channels)
    return whole_compound(notice) and bool(posted)


def affects(notice: Notice, buildings: Iterable[str]) -> bool:
    """Whether an outage notice concerns one of these buildings (no buildings named: all)."""
    named = set(notice.outage_buildings or ())
    return not named or bool(named & set(buildings))


async def load_notice(
    session: AsyncSession, notice_id: int, *, lock: bool = False
) -> Notice | None:
    statement = select(Notice).where(Notice.id == notice_id)
    if lock:
        statement = statement.with_for_update()
    return await session.scalar(statement)


async def recent_notices(session: AsyncSession, compound_id: int, limit: int = 10) -> list[Notice]:
    """The compound's latest notices, newest first (the managers' list)."""
    rows = await session.scalars(
        select(Notice)
        .where(Notice.compound_id == compound_id)
        .order_by(Notice.id.desc())
        .limit(limit)
    )
    return list(rows)


async def all_notices(session: AsyncSession, compound_id: int) -> list[Notice]:
    rows = await session.scalars(
        select(Notice).where(Notice.compound_id == compound_id).order_by(Notice.id)
    )
    return list(rows)


async def current_notices(session: AsyncSession, compound_id: int, now: datetime) -> list[Notice]:
    """Notices that went out and are still shown: not cancelled, `shown_until` not passed;
    newest first."""
    rows = await session.scalars(
        select(Notice)
        .where(
            Notice.compound_id == compound_id,
            Notice.status != NoticeStatus.CANCELLED,
            Notice.runs > 0,
            Notice.shown_until > now,
        )
        .order_by(Notice.last_run_at.desc(), Notice.id.desc())
    )
    return list(rows)


OUTAGES = (NoticeCategory.WATER_OUTAGE, NoticeCategory.POWER_OUTAGE)


async def current_outages(
    session: AsyncSession,
    compound_id: int,
    now: datetime,
    *,
    buildings: Iterable[str] | None,
    category: NoticeCategory | None = None,
) -> list[Notice]:
    """Outage notices that went out and whose window has not ended, for these buildings
    (None: only those for the whole compound), of one kind if `category` is given; soonest
    first."""
    wanted = (category,) if category is not None else OUTAGES
    rows = await session.scalars(
        select(Notice)
        .where(
            Notice.compound_id == compound_id,
            Notice.category.in_(wanted),
            Notice.status != NoticeStatus.CANCELLED,
            Notice.runs > 0,
            Notice.ends_at > now,
        )
        .order_by(Notice.starts_at, Notice.id)
    )
    names = list(buildings) if buildings is not None else []
    return [
        n for n in rows if (not n.outage_buildings) or (buildings is not None and affects(n, names))
    ]


async def homes_of(session: AsyncSession, residencies: Iterable[Residency]) -> list[Home]:
    """A resident's approved homes in the terms a notice's audience uses."""
    chosen = list(residencies)
    if not chosen:
        return []
    result = await session.execute(
        select(Unit.id, Building.name)
        .join(Building, Building.id == Unit.building_id)
        .where(Unit.id.in_([r.unit_id for r in chosen]))
    )
    names = {unit_id: name for unit_id, name in result}
    return [Home(names[r.unit_id], r.unit.label, r.role) for r in chosen if r.unit_id in names]
