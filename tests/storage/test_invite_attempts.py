"""Guessing invite codes: staff codes are too long to guess, and a person who types too many
wrong codes is refused for a while, across restarts and processes (the count is stored)."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

from storage.db import Database
from storage.models import ResidencyRole, StaffRole
from storage.repos.invites import (
    ALPHABET,
    ATTEMPT_WINDOW,
    LOCKOUT,
    MAX_WRONG_CODES,
    Redeemed,
    create_invite,
    invite_lockout,
    redeem_invite,
)
from tests.storage.factories import Place, make_people, make_place

NOW = datetime(2026, 11, 27, 6, 0, tzinfo=UTC)


def _bits(code: str) -> float:
    return len(code) * math.log2(len(ALPHABET))


async def _invite(db: Database, place: Place, role: ResidencyRole | StaffRole) -> str:
    async with db.write() as session:
        invite = await create_invite(
            session,
            compound_id=place.compound_id,
            unit_id=place.unit_id if isinstance(role, ResidencyRole) else None,
            role=role,
            now=NOW,
        )
        return invite.code


async def _redeem(db: Database, code: str, person_id: int, now: datetime):
    async with db.write() as session:
        return await redeem_invite(session, code=code, person_id=person_id, now=now)


async def test_staff_and_manager_codes_are_too_long_to_guess(any_db: Database) -> None:
    place = await make_place(any_db)
    unit_code = await _invite(any_db, place, ResidencyRole.OWNER)
    staff_code = await _invite(any_db, place, StaffRole.STAFF)
    manager_code = await _invite(any_db, place, StaffRole.MANAGER)
    assert _bits(staff_code) >= 80 and _bits(manager_code) >= 80
    # Unit codes stay short enough to type from paper; the lockout protects them.
    assert len(unit_code) == 8
    (person,) = await make_people(any_db, 2001)
    assert (await _redeem(any_db, staff_code.lower(), person, NOW)).outcome is Redeemed.STAFF


async def test_too_many_wrong_codes_lock_the_person_out(any_db: Database) -> None:
    place = await make_place(any_db)
    guesser, neighbour = await make_people(any_db, 700100001, 1002)
    code = await _invite(any_db, place, ResidencyRole.OWNER)
    now = NOW
    for attempt in range(MAX_WRONG_CODES):
        wrong = await _redeem(any_db, f"WRONG{attempt:03d}", guesser, now)
        locks = attempt == MAX_WRONG_CODES - 1
        assert wrong.outcome is (Redeemed.LOCKED_OUT if locks else Redeemed.UNKNOWN)
        now += timedelta(seconds=30)
    # Even the right code is refused now, with when to try again; it stays unused.
    refused = await _redeem(any_db, code, guesser, now)
    assert refused.outcome is Redeemed.LOCKED_OUT and refused.invite is None
    last_wrong = now - timedelta(seconds=30)
    assert refused.locked_until == last_wrong + LOCKOUT
    async with any_db.read() as session:
        assert await invite_lockout(session, guesser, now) == last_wrong + LOCKOUT
        assert await invite_lockout(session, neighbour, now) is None
    # Someone else is not affected, and may use the code.
    assert (await _redeem(any_db, code, neighbour, now)).outcome is Redeemed.RESIDENT


async def test_the_lockout_ends(any_db: Database) -> None:
    place = await make_place(any_db)
    (guesser,) = await make_people(any_db, 700100001)
    code = await _invite(any_db, place, ResidencyRole.OWNER)
    for attempt in range(MAX_WRONG_CODES):
        await _redeem(any_db, f"WRONG{attempt:03d}", guesser, NOW)
    assert (await _redeem(any_db, code, guesser, NOW + LOCKOUT)).outcome is Redeemed.RESIDENT


async def test_wrong_codes_spread_out_do_not_lock(any_db: Database) -> None:
    """A person who mistypes now and then is not punished: only wrong codes within one
    ATTEMPT_WINDOW count together."""
    place = await make_place(any_db)
    (person,) = await make_people(any_db, 1001)
    code = await _invite(any_db, place, ResidencyRole.OWNER)
    now = NOW
    for _ in range(3):
        for attempt in range(MAX_WRONG_CODES - 1):
            assert (await _redeem(any_db, f"TYPO{attempt:04d}", person, now)).outcome is (
                Redeemed.UNKNOWN
            )
        now += ATTEMPT_WINDOW + timedelta(seconds=1)
    assert (await _redeem(any_db, code, person, now)).outcome is Redeemed.RESIDENT


async def test_the_lockout_holds_across_a_restart(any_db: Database) -> None:
    place = await make_place(any_db)
    (guesser,) = await make_people(any_db, 700100001)
    code = await _invite(any_db, place, ResidencyRole.OWNER)
    for attempt in range(MAX_WRONG_CODES):
        await _redeem(any_db, f"WRONG{attempt:03d}", guesser, NOW)
    # Another process (or this one after a restart) opens the same database.
    other = Database(any_db.url, connect_args=any_db.connect_args)
    try:
        refused = await _redeem(other, code, guesser, NOW + timedelta(minutes=1))
    finally:
        await other.dispose()
    assert refused.outcome is Redeemed.LOCKED_OUT


def test_the_lockout_has_a_text_in_both_languages() -> None:
    from bot.i18n import translate

    for locale in ("zh", "en"):
        text = translate(locale, "onboarding-code-locked", until="15:30")
        assert "15:30" in text and "/cancel" in text
