"""Residencies: who lives in which unit, and the requests to link a home that staff decide."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from storage.models import Residency, ResidencyStatus


async def residency_of(session: AsyncSession, person_id: int, unit_id: int) -> Residency | None:
    """The person's residency in the unit, with its unit loaded."""
    return await session.scalar(
        select(Residency)
        .where(Residency.person_id == person_id, Residency.unit_id == unit_id)
        .options(selectinload(Residency.unit))
    )


async def has_pending_request(session: AsyncSession, person_id: int, unit_id: int) -> bool:
    """Whether the person already asked to link this unit and staff have not decided yet."""
    found = await session.scalar(
        select(Residency.id).where(
            Residency.person_id == person_id,
            Residency.unit_id == unit_id,
            Residency.status == ResidencyStatus.PENDING,
        )
    )
    return found is not None


async def residency_for_decision(session: AsyncSession, residency_id: int) -> Residency | None:
    """The residency with its unit and person, locked: two staff pressing at once decide once."""
    return await session.scalar(
        select(Residency)
        .where(Residency.id == residency_id)
        .options(selectinload(Residency.unit), selectinload(Residency.person))
        .with_for_update()
    )
