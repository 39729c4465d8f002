"""One-time invite codes: a unit invite binds a resident, a staff invite adds staff."""

from __future__ import annotations

import enum
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from storage.models import (
    InviteCode,
    Residency,
    ResidencyRole,
    ResidencyStatus,
    StaffMember,
    StaffRole,
)

# No 0/O or 1/I/L: codes are read aloud and typed from paper.
ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 8
DEFAULT_TTL = timedelta(days=30)


def new_code() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))


def normalize_code(text: str) -> str:
    """Accepts what people type: spaces, dashes, lower case, an 'inv-' prefix from a link."""
    cleaned = text.strip().upper()
    cleaned = cleaned.removeprefix("INV-").removeprefix("INV_")
    return "".join(ch for ch in cleaned if ch.isalnum())


async def create_invite(
    session: AsyncSession,
    *,
    compound_id: int,
    role: ResidencyRole | StaffRole,
    now: datetime,
    unit_id: int | None = None,
    skills: list[str] | None = None,
    created_by: int | None = None,
    ttl: timedelta = DEFAULT_TTL,
) -> InviteCode:
    if isinstance(role, ResidencyRole) != (unit_id is not None):
        raise ValueError("a resident invite needs a unit; a staff invite has none")
    invite = InviteCode(
        code=new_code(),
        compound_id=compound_id,
        unit_id=unit_id,
        role=role.value,
        skills=list(skills or []),
        expires_at=now + ttl,
        created_by=created_by,
    )
    session.add(invite)
    await session.flush()
    return invite


class Redeemed(enum.StrEnum):
    RESIDENT = "resident"
    STAFF = "staff"
    UNKNOWN = "unknown"
    USED = "used"
    EXPIRED = "expired"
    ALREADY = "already"  # the person already has this unit or role


@dataclass(slots=True)
class Redemption:
    outcome: Redeemed
    invite: InviteCode | None = None


async def redeem_invite(
    session: AsyncSession, *, code: str, person_id: int, now: datetime
) -> Redemption:
    """Uses a code once. The row is locked first (FOR UPDATE on PostgreSQL; SQLite's write
    transaction holds the database lock), so two people racing for one code cannot both win."""
    invite = await session.scalar(
        select(InviteCode)
        .where(InviteCode.code == normalize_code(code))
        .options(selectinload(InviteCode.unit))
        .with_for_update()
    )
    if invite is None:
        return Redemption(Redeemed.UNKNOWN)
    if invite.used_at is not None:
        outcome = Redeemed.ALREADY if invite.used_by == person_id else Redeemed.USED
        return Redemption(outcome, invite)
    if invite.expires_at <= now:
        return Redemption(Redeemed.EXPIRED, invite)
    if invite.unit_id is not None:
        existing = await session.scalar(
            select(Residency).where(
                Residency.person_id == person_id,
                Residency.unit_id == invite.unit_id,
                Residency.status == ResidencyStatus.APPROVED,
            )
        )
        if existing is not None:
            return Redemption(Redeemed.ALREADY, invite)
        session.add(
            Residency(
                compound_id=invite.compound_id,
                unit_id=invite.unit_id,
                person_id=person_id,
                role=ResidencyRole(invite.role),
                status=ResidencyStatus.APPROVED,
                source="invite",
                decided_by=invite.created_by,
                decided_at=now,
            )
        )
        outcome = Redeemed.RESIDENT
    else:
        member = await session.scalar(
            select(StaffMember).where(
                StaffMember.compound_id == invite.compound_id,
                StaffMember.person_id == person_id,
            )
        )
        if member is None:
            member = StaffMember(compound_id=invite.compound_id, person_id=person_id)
            session.add(member)
        member.role, member.skills, member.active = StaffRole(invite.role), invite.skills, True
        outcome = Redeemed.STAFF
    invite.used_by, invite.used_at = person_id, now
    await session.flush()
    return Redemption(outcome, invite)
