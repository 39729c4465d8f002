"""One-time invite codes: a unit invite binds a resident, a staff invite adds staff.

Guessing is made hopeless two ways. Staff and manager codes, which grant the most, are 17
characters (about 84 bits); unit codes stay 8 (about 40 bits), short enough to type from
paper, which guessing could find at hundreds of tries a second. So each person may type at
most MAX_WRONG_CODES wrong codes within ATTEMPT_WINDOW; after that every code they type,
right or wrong, is refused until LOCKOUT has passed since the last wrong one. The count is
stored (InviteAttempts), so it holds across restarts and processes.
"""

from __future__ import annotations

import enum
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from storage.models import (
    InviteAttempts,
    InviteCode,
    Residency,
    ResidencyRole,
    ResidencyStatus,
    StaffMember,
    StaffRole,
)

# No 0/O or 1/I/L: codes are read aloud and typed from paper.
ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 8  # unit invites: ~40 bits
STAFF_CODE_LENGTH = 17  # staff and manager invites: ~84 bits
DEFAULT_TTL = timedelta(days=30)

MAX_WRONG_CODES = 5
ATTEMPT_WINDOW = timedelta(minutes=15)
LOCKOUT = timedelta(hours=1)

# Both dialects' INSERT builders offer ON CONFLICT; the generic one does not.
_INSERTS: dict[str, Callable[..., Any]] = {"postgresql": postgresql_insert, "sqlite": sqlite_insert}


def new_code(length: int = CODE_LENGTH) -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(length))


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
    # A staff invite grants more than a home: it gets a code nobody can guess.
    length = CODE_LENGTH if isinstance(role, ResidencyRole) else STAFF_CODE_LENGTH
    invite = InviteCode(
        code=new_code(length),
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
    LOCKED_OUT = "locked_out"  # too many wrong codes lately: not even looked at


@dataclass(slots=True)
class Redemption:
    outcome: Redeemed
    invite: InviteCode | None = None
    # LOCKED_OUT: when this person may type a code again.
    locked_until: datetime | None = None


async def invite_lockout(session: AsyncSession, person_id: int, now: datetime) -> datetime | None:
    """Until when the person may not redeem invite codes (too many wrong ones lately), or
    None when they may. The onboarding flow can ask before it asks for a code."""
    locked_until = await session.scalar(
        select(InviteAttempts.locked_until).where(InviteAttempts.person_id == person_id)
    )
    return locked_until if locked_until is not None and locked_until > now else None


async def record_wrong_code(session: AsyncSession, person_id: int, now: datetime) -> int:
    """Counts a wrong code against the person; returns how many they typed in the current
    window. The MAX_WRONG_CODES-th locks them out for LOCKOUT."""
    dialect = (await session.connection()).dialect.name
    # The row is created once per person; concurrent first attempts do not collide.
    await session.execute(
        _INSERTS[dialect](InviteAttempts)
        .values(person_id=person_id, wrong=0, window_started_at=now)
        .on_conflict_do_nothing(index_elements=["person_id"])
    )
    attempts = await session.scalar(
        select(InviteAttempts).where(InviteAttempts.person_id == person_id).with_for_update()
    )
    assert attempts is not None
    if attempts.wrong == 0 or now - attempts.window_started_at >= ATTEMPT_WINDOW:
        attempts.wrong, attempts.window_started_at = 0, now
    attempts.wrong += 1
    if attempts.wrong >= MAX_WRONG_CODES:
        attempts.locked_until = now + LOCKOUT
        # The next window starts afresh once the lockout is over.
        attempts.wrong = 0
    await session.flush()
    return attempts.wrong


async def redeem_invite(
    session: AsyncSession, *, code: str, person_id: int, now: datetime
) -> Redemption:
    """Uses a code once. The row is locked first (FOR UPDATE on PostgreSQL; SQLite's write
    transaction holds the database lock), so two people racing for one code cannot both win.

    A person locked out for too many wrong codes gets LOCKED_OUT, whatever they typed; an
    unknown code counts against them (`record_wrong_code`)."""
    locked_until = await invite_lockout(session, person_id, now)
    if locked_until is not None:
        return Redemption(Redeemed.LOCKED_OUT, locked_until=locked_until)
    invite = await session.scalar(
        select(InviteCode)
        .where(InviteCode.code == normalize_code(code))
        .options(selectinload(InviteCode.unit))
        .with_for_update()
    )
    if invite is None:
        await record_wrong_code(session, person_id, now)
        # The wrong code that locks them out says so at once, not only at the next try.
        locked_until = await invite_lockout(session, person_id, now)
        if locked_until is not None:
            return Redemption(Redeemed.LOCKED_OUT, locked_until=locked_until)
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
