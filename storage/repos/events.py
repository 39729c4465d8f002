"""Community events and their sign-ups: places are taken and given back in one atomic step.

Every change to an event's sign-ups (signing up, changing the head count, cancelling, a
promotion from the waitlist) first takes the event's row with `lock_event`: `SELECT … FOR
UPDATE` on PostgreSQL, and on SQLite the write transaction itself (every write begins with
`BEGIN IMMEDIATE`, storage/db.py). Under that lock the places taken are counted from the
confirmed sign-ups and the arrival number is drawn from the event, so two presses at the same
moment are handled one after the other: never more people confirmed than the capacity, and the
waitlist in the order the presses reached the database.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from storage.models import Event, EventSignup, EventStatus, SignupStatus

# Check-in codes: short enough to read out at the door, without look-alike characters.
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 4


async def lock_event(session: AsyncSession, event_id: int) -> Event | None:
    """The event, its row held until the transaction ends (fresh from the database)."""
    return await session.scalar(
        select(Event)
        .where(Event.id == event_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )


async def get_event(session: AsyncSession, event_id: int) -> Event | None:
    return await session.get(Event, event_id)


async def upcoming(session: AsyncSession, compound_id: int, now: datetime) -> list[Event]:
    """Published events of the compound that have not ended, soonest first."""
    rows = await session.scalars(
        select(Event)
        .where(
            Event.compound_id == compound_id,
            Event.status == EventStatus.PUBLISHED,
            Event.ends_at > now,
        )
        .order_by(Event.starts_at, Event.id)
    )
    return list(rows)


async def recent(session: AsyncSession, compound_id: int, since: datetime) -> list[Event]:
    """Events of the compound (cancelled ones too) ending after `since`, soonest first: what
    staff manage and check people in to."""
    rows = await session.scalars(
        select(Event)
        .where(Event.compound_id == compound_id, Event.ends_at > since)
        .order_by(Event.starts_at, Event.id)
    )
    return list(rows)


async def taken(session: AsyncSession, event_id: int) -> int:
    """People with a confirmed place."""
    total = await session.scalar(
        select(func.coalesce(func.sum(EventSignup.people), 0)).where(
            EventSignup.event_id == event_id, EventSignup.status == SignupStatus.CONFIRMED
        )
    )
    return int(total or 0)


async def taken_by_event(session: AsyncSession, event_ids: Iterable[int]) -> dict[int, int]:
    ids = list(event_ids)
    if not ids:
        return {}
    rows = await session.execute(
        select(EventSignup.event_id, func.sum(EventSignup.people))
        .where(EventSignup.event_id.in_(ids), EventSignup.status == SignupStatus.CONFIRMED)
        .group_by(EventSignup.event_id)
    )
    found = {event_id: int(total or 0) for event_id, total in rows.all()}
    return {event_id: found.get(event_id, 0) for event_id in ids}


async def signup_by_id(session: AsyncSession, signup_id: int) -> EventSignup | None:
    return await session.scalar(
        select(EventSignup)
        .where(EventSignup.id == signup_id)
        .options(selectinload(EventSignup.person), selectinload(EventSignup.unit))
        .execution_options(populate_existing=True)
    )


async def household_signup(
    session: AsyncSession, event_id: int, unit_id: int
) -> EventSignup | None:
    """The household's sign-up for the event, cancelled or not."""
    return await session.scalar(
        select(EventSignup).where(EventSignup.event_id == event_id, EventSignup.unit_id == unit_id)
    )


async def signups_of_units(
    session: AsyncSession, unit_ids: Iterable[int], event_ids: Iterable[int] | None = None
) -> list[EventSignup]:
    """The households' sign-ups that are not cancelled, newest event last."""
    query = (
        select(EventSignup)
        .where(
            EventSignup.unit_id.in_(list(unit_ids)),
            EventSignup.status != SignupStatus.CANCELLED,
        )
        .order_by(EventSignup.event_id, EventSignup.id)
    )
    if event_ids is not None:
        query = query.where(EventSignup.event_id.in_(list(event_ids)))
    return list(await session.scalars(query))


async def attendees(
    session: AsyncSession, event_id: int, *, statuses: Sequence[SignupStatus] | None = None
) -> list[EventSignup]:
    """The event's sign-ups with their person and unit, in arrival order; by default the
    confirmed and the waitlisted."""
    wanted = statuses or (SignupStatus.CONFIRMED, SignupStatus.WAITLISTED)
    rows = await session.scalars(
        select(EventSignup)
        .where(EventSignup.event_id == event_id, EventSignup.status.in_(list(wanted)))
        .options(selectinload(EventSignup.person), selectinload(EventSignup.unit))
        .order_by(EventSignup.seq)
    )
    return list(rows)


async def waitlist_position(session: AsyncSession, signup: EventSignup) -> int:
    """1 for the first household waiting."""
    ahead = await session.scalar(
        select(func.count())
        .select_from(EventSignup)
        .where(
            EventSignup.event_id == signup.event_id,
            EventSignup.status == SignupStatus.WAITLISTED,
            EventSignup.seq < signup.seq,
        )
    )
    return int(ahead or 0) + 1


@dataclass
class Change:
    """What one sign-up change did: the sign-up as it now stands, and the households moved
    up from the waitlist by the places it freed."""

    signup: EventSignup
    promoted: list[EventSignup] = field(default_factory=list)


async def sign_up(
    session: AsyncSession,
    event: Event,
    *,
    person_id: int,
    unit_id: int,
    people: int,
    now: datetime,
) -> Change:
    """Signs the household up: a place when `people` still fit, else the end of the
    waitlist. `event` must come from `lock_event` in this transaction. A household signed up
    already keeps its sign-up (returned unchanged); one that had cancelled comes back as a
    new arrival."""
    if people < 1 or people > event.per_household:
        raise ValueError(f"{people} people; the event allows 1 to {event.per_household}")
    existing = await household_signup(session, event.id, unit_id)
    if existing is not None and existing.status is not SignupStatus.CANCELLED:
        return Change(existing)
    event.last_seq += 1
    free = event.capacity - await taken(session, event.id)
    status = SignupStatus.CONFIRMED if people <= free else SignupStatus.WAITLISTED
    if existing is None:
        existing = EventSignup(
            event_id=event.id,
            unit_id=unit_id,
            code=await _new_code(session, event.id),
            created_at=now,
        )
        session.add(existing)
    existing.person_id, existing.people, existing.status = person_id, people, status
    existing.seq, existing.updated_at, existing.promoted_at = event.last_seq, now, None
    existing.checked_in_at = existing.checked_in_by = None
    await session.flush()
    return Change(existing)


async def change_people(
    session: AsyncSession, event: Event, signup: EventSignup, people: int, now: datetime
) -> Change | None:
    """A new head count. A confirmed household that wants more people than are free is
    refused (None) and keeps its place; fewer frees places for the waitlist. A waitlisted one
    keeps its turn and gets a place at once if it now fits."""
    if people < 1 or people > event.per_household:
        raise ValueError(f"{people} people; the event allows 1 to {event.per_household}")
    if signup.status is SignupStatus.CONFIRMED and people > signup.people:
        free = event.capacity - await taken(session, event.id)
        if people - signup.people > free:
            return None
    signup.people, signup.updated_at = people, now
    await session.flush()
    return Change(signup, await promote(session, event, now))


async def cancel_signup(
    session: AsyncSession, event: Event, signup: EventSignup, now: datetime
) -> Change:
    """Gives the household's places back; the first waiting households who fit move up."""
    signup.status, signup.updated_at = SignupStatus.CANCELLED, now
    await session.flush()
    return Change(signup, await promote(session, event, now))


async def promote(session: AsyncSession, event: Event, now: datetime) -> list[EventSignup]:
    """Gives free places to waiting households in arrival order, skipping one that needs
    more places than are free (the next who fits goes ahead of it)."""
    if event.status is not EventStatus.PUBLISHED:
        return []
    free = event.capacity - await taken(session, event.id)
    if free <= 0:
        return []
    waiting = await session.scalars(
        select(EventSignup)
        .where(EventSignup.event_id == event.id, EventSignup.status == SignupStatus.WAITLISTED)
        .order_by(EventSignup.seq)
    )
    promoted = []
    for signup in waiting:
        if signup.people <= free:
            signup.status, signup.promoted_at, signup.updated_at = (
                SignupStatus.CONFIRMED,
                now,
                now,
            )
            free -= signup.people
            promoted.append(signup)
        if free == 0:
            break
    await session.flush()
    return promoted


async def check_in(
    session: AsyncSession, event_id: int, code: str, *, by: int, now: datetime
) -> tuple[EventSignup | None, bool]:
    """Marks the confirmed household with that code as arrived. Returns the sign-up (None
    when no confirmed one has that code) and whether it had checked in already."""
    signup = await session.scalar(
        select(EventSignup)
        .where(
            EventSignup.event_id == event_id,
            EventSignup.code == code.strip().upper(),
            EventSignup.status == SignupStatus.CONFIRMED,
        )
        .options(selectinload(EventSignup.person), selectinload(EventSignup.unit))
    )
    if signup is None:
        return None, False
    if signup.checked_in_at is not None:
        return signup, True
    signup.checked_in_at, signup.checked_in_by = now, by
    await session.flush()
    return signup, False


async def _new_code(session: AsyncSession, event_id: int) -> str:
    used = set(
        await session.scalars(select(EventSignup.code).where(EventSignup.event_id == event_id))
    )
    while True:
        code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
        if code not in used:
            return code
