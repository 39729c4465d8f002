"""The demo seeds upcoming events a new user can sign up for at once: one with places left,
one nearly full with a household waiting (which a sign-up of one still gets into)."""

from __future__ import annotations

from sqlalchemy import select

from storage import demo
from storage.models import Event, SignupStatus
from tests.events.support import by_status, signups
from tests.harness import Harness

WANG, DAVID = 1001, 1002


async def test_the_demo_events(harness: Harness) -> None:
    h = harness
    async with h.services.db.read() as session:
        events = list(await session.scalars(select(Event).order_by(Event.starts_at)))
    assert [e.title for e in events] == [
        spec.title for spec in sorted(demo.EVENTS, key=lambda e: e.days)
    ]
    health, _craft = events
    assert all(e.starts_at > h.services.clock() for e in events)
    rows = await signups(h.services.db, health.id)
    assert sum(s.people for s in by_status(rows, SignupStatus.CONFIRMED)) == 9
    assert [s.person.name for s in by_status(rows, SignupStatus.WAITLISTED)] == ["Tom Baker"]

    await h.say(WANG, "/events")
    listing = h.transport.last(WANG).text
    assert "剩余名额：1/10" in listing and "剩余名额：28/30" in listing
    await h.press(WANG, h.transport.last(WANG).data("社区义诊"))
    await h.press(WANG, h.transport.last(WANG).data("1人"))
    assert "已为您报名" in h.transport.last(WANG).text
    await h.say(DAVID, "what events are there")
    await h.press(DAVID, h.transport.last(DAVID).data("社区义诊"))
    assert "Full (10 places)" in h.transport.last(DAVID).text
    await h.press(DAVID, h.transport.last(DAVID).data("2 people"))
    assert "number 2" in h.transport.last(DAVID).text


async def test_seeding_twice_adds_no_second_event(harness: Harness) -> None:
    async with harness.services.db.write() as session:
        await demo.seed_demo(session, now=harness.services.clock())
    async with harness.services.db.read() as session:
        titles = list(await session.scalars(select(Event.title)))
    assert sorted(titles) == sorted(spec.title for spec in demo.EVENTS)
