"""Never overbooked: 200 households press "sign up" for 50 places at the same moment, through
the engine, on SQLite and on PostgreSQL."""

from __future__ import annotations

import asyncio

from handlers.events.common import SignupAction, SignupPress
from storage.models import SignupStatus
from tests.events.support import add_households, by_status, make_event, signup_press, signups
from tests.harness import Harness

FIRST = 700_000
HOUSEHOLDS, PLACES, CANCELLING = 200, 50, 10


async def test_200_presses_for_50_places(any_harness: Harness) -> None:
    h = any_harness
    db = h.services.db
    residents = await add_households(db, FIRST, HOUSEHOLDS)
    event_id = await make_event(db, h.services.clock(), capacity=PLACES, per_household=1)
    data = signup_press(event_id, 1)

    await asyncio.gather(*(h.press(user, data) for user in residents))

    rows = await signups(db, event_id)
    confirmed = by_status(rows, SignupStatus.CONFIRMED)
    waiting = by_status(rows, SignupStatus.WAITLISTED)
    assert len(rows) == HOUSEHOLDS
    assert len(confirmed) == PLACES and sum(s.people for s in confirmed) == PLACES
    # Arrival order: the first 50 to reach the event's row got the places, the others wait
    # in the order they came, and each was told their place in the line.
    assert sorted(s.seq for s in rows) == list(range(1, HOUSEHOLDS + 1))
    assert {s.seq for s in confirmed} == set(range(1, PLACES + 1))
    for position, signup in enumerate(waiting, 1):
        assert signup.seq == PLACES + position
        told = h.transport.last(signup.person.telegram_id).text
        assert f"排第 {position} 位" in told, told
    for signup in confirmed:
        assert signup.code in h.transport.last(signup.person.telegram_id).text

    # Ten households give their places back at the same moment: exactly ten move up, the
    # first ten on the waitlist, and each is told.
    leaving = confirmed[:CANCELLING]
    await asyncio.gather(
        *(
            h.press(s.person.telegram_id, SignupPress(SignupAction.CANCEL_YES, s.id).pack())
            for s in leaving
        )
    )
    after = await signups(db, event_id)
    now_confirmed = by_status(after, SignupStatus.CONFIRMED)
    assert len(by_status(after, SignupStatus.CANCELLED)) == CANCELLING
    assert sum(s.people for s in now_confirmed) == PLACES
    promoted = [s for s in now_confirmed if s.promoted_at is not None]
    assert sorted(s.seq for s in promoted) == [s.seq for s in waiting[:CANCELLING]]
    for signup in promoted:
        assert "空出了名额" in h.transport.last(signup.person.telegram_id).text
    still_waiting = by_status(after, SignupStatus.WAITLISTED)
    assert [s.seq for s in still_waiting] == [s.seq for s in waiting[CANCELLING:]]
