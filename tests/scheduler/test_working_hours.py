"""Deadlines and promised times count the compound's office hours for normal requests; urgent
requests and emergencies stay round the clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from storage import working_hours
from storage.models import Case, Compound, Urgency
from tests.harness import Harness, demo_compound
from tests.scheduler.support import Clock, file_case

TENANT = 1002
SHANGHAI = ZoneInfo("Asia/Shanghai")
# Tuesday 1 December 2026, 21:00 in Shanghai: the office closed at 17:30.
EVENING = datetime(2026, 12, 1, 13, 0, tzinfo=UTC)


def local(moment: datetime | None) -> str:
    assert moment is not None
    return moment.astimezone(SHANGHAI).strftime("%m-%d %H:%M")


async def test_a_question_asked_at_night_is_promised_within_office_hours(
    h: Harness, clock: Clock
) -> None:
    clock.now = EVENING
    await h.say(TENANT, "/askstaff can I park a moving truck by building 2 on Sunday?")
    await h.press(TENANT, h.transport.last(TENANT).data("Send as it is"))
    told = h.transport.last(TENANT).text
    # Eight office hours from 08:30 the next morning, not 05:00 at night.
    assert "12-02 16:30" in told and "working hours" in told and "08:30–17:30" in told
    async with h.services.db.read() as session:
        case = await session.scalar(select(Case).order_by(Case.id.desc()).limit(1))
    assert case is not None and local(case.response_due) == "12-02 16:30"


async def test_urgent_requests_keep_the_round_the_clock_deadline(h: Harness, clock: Clock) -> None:
    clock.now = EVENING
    case = await file_case(h, urgency=Urgency.URGENT, round_the_clock=False)
    assert local(case.response_due) == "12-01 23:00"


async def test_a_compound_sets_its_own_hours(h: Harness, clock: Clock) -> None:
    async with h.services.db.write() as session:
        compound = await session.scalar(demo_compound())
        assert compound is not None
        compound.settings = {
            **compound.settings,
            "working_hours": {"start": "09:00", "end": "18:00", "days": [1, 2, 3, 4, 5]},
        }
    clock.now = datetime(2026, 12, 4, 9, 0, tzinfo=UTC)  # Friday 17:00 in Shanghai
    case = await file_case(h, round_the_clock=False)  # a normal repair: 24 office hours
    # 1 hour on Friday, 9 on Monday, 9 on Tuesday, 5 on Wednesday.
    assert local(case.response_due) == "12-09 14:00"


def test_hours_are_counted_across_closed_days() -> None:
    hours = working_hours.parse({"start": "08:30", "end": "17:30", "days": [1, 2, 3, 4, 5]})
    saturday_noon = datetime(2026, 12, 5, 4, 0, tzinfo=UTC)
    due = hours.add(saturday_noon, timedelta(hours=1), SHANGHAI)
    assert local(due) == "12-07 09:30"
    assert working_hours.parse("always").add(saturday_noon, timedelta(hours=1), SHANGHAI) == (
        saturday_noon + timedelta(hours=1)
    )


@pytest.mark.parametrize("bad", ["8-5", "17:30-08:30", {"days": [0]}, 42])
def test_unreadable_hours_are_refused(bad: object) -> None:
    with pytest.raises(working_hours.BadWorkingHours):
        working_hours.parse(bad)


def test_an_unset_compound_has_the_default_hours() -> None:
    assert working_hours.of(Compound(code="x", name="x", settings={})).text == "08:30–17:30"
