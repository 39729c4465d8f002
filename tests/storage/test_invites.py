"""Invite codes: each outcome of redeeming, and two people racing for one code."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select

from storage.db import Database
from storage.models import (
    Residency,
    ResidencyRole,
    ResidencyStatus,
    StaffMember,
    StaffRole,
    utcnow,
)
from storage.repos.invites import DEFAULT_TTL, Redeemed, create_invite, redeem_invite
from tests.storage.factories import Place, make_people, make_place


async def _invite(
    db: Database, place: Place, *, staff: bool = False, issued: datetime | None = None
) -> str:
    async with db.write() as session:
        invite = await create_invite(
            session,
            compound_id=place.compound_id,
            unit_id=None if staff else place.unit_id,
            role=StaffRole.STAFF if staff else ResidencyRole.TENANT,
            skills=["lifts"] if staff else None,
            now=issued or utcnow(),
        )
        return invite.code


async def _redeem(db: Database, code: str, person_id: int) -> Redeemed:
    async with db.write() as session:
        redemption = await redeem_invite(session, code=code, person_id=person_id, now=utcnow())
        return redemption.outcome


async def test_a_unit_code_binds_once(any_db: Database) -> None:
    place = await make_place(any_db)
    first, second = await make_people(any_db, 1001, 1002)
    code = await _invite(any_db, place)
    # Typed as people type it: lower case, a space, the deep link's prefix.
    typed = f"inv-{code[:4].lower()} {code[4:].lower()}"
    assert await _redeem(any_db, typed, first) is Redeemed.RESIDENT
    assert await _redeem(any_db, code, first) is Redeemed.ALREADY
    assert await _redeem(any_db, code, second) is Redeemed.USED
    async with any_db.read() as session:
        residency = await session.scalar(select(Residency))
    assert residency is not None
    assert (residency.person_id, residency.unit_id) == (first, place.unit_id)
    assert (residency.role, residency.status) == (ResidencyRole.TENANT, ResidencyStatus.APPROVED)
    assert residency.source == "invite"


async def test_unknown_and_expired_codes_bind_nothing(any_db: Database) -> None:
    place = await make_place(any_db)
    (person,) = await make_people(any_db, 1001)
    expired = await _invite(any_db, place, issued=utcnow() - DEFAULT_TTL - timedelta(minutes=1))
    assert await _redeem(any_db, "NOPE2345", person) is Redeemed.UNKNOWN
    assert await _redeem(any_db, expired, person) is Redeemed.EXPIRED
    async with any_db.read() as session:
        assert await session.scalar(select(func.count(Residency.id))) == 0


async def test_a_staff_code_adds_staff_with_skills(any_db: Database) -> None:
    place = await make_place(any_db)
    (person,) = await make_people(any_db, 2001)
    code = await _invite(any_db, place, staff=True)
    assert await _redeem(any_db, code, person) is Redeemed.STAFF
    async with any_db.read() as session:
        member = await session.scalar(select(StaffMember))
    assert member is not None
    assert (member.person_id, member.role, member.skills) == (person, StaffRole.STAFF, ["lifts"])


async def test_a_resident_invite_needs_a_unit(any_db: Database) -> None:
    place = await make_place(any_db)
    with pytest.raises(ValueError, match="needs a unit"):
        async with any_db.write() as session:
            await create_invite(
                session, compound_id=place.compound_id, role=ResidencyRole.OWNER, now=utcnow()
            )


async def test_two_people_racing_for_one_code_one_wins(any_db: Database) -> None:
    """Two redemptions of one code at once, each in its own session (SQLite: BEGIN IMMEDIATE
    makes the second wait; PostgreSQL: SELECT ... FOR UPDATE does). Run several times, as a
    race that happens to be won cleanly once proves little."""
    place = await make_place(any_db)
    races = 5
    for race in range(races):
        alice, bob = await make_people(any_db, 1001 + 2 * race, 1002 + 2 * race)
        code = await _invite(any_db, place)
        outcomes = await asyncio.gather(_redeem(any_db, code, alice), _redeem(any_db, code, bob))
        assert sorted(outcomes) == sorted([Redeemed.RESIDENT, Redeemed.USED])
    async with any_db.read() as session:
        bound = await session.scalar(select(func.count(Residency.id)))
    assert bound == races
