"""Schedules: the next time of each kind of recurrence, the last date, the month's end, and
which missed time is still worth sending after a restart."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

import pytest

from handlers.notices.timing import (
    Repeat,
    Schedule,
    first_time,
    latest_passed,
    next_time,
    parse_date,
    parse_window,
    still_current,
)

ZONE = "Asia/Shanghai"  # UTC+8


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def test_weekly_on_chosen_days_at_local_time() -> None:
    # Monday and Thursday at 19:00 Shanghai = 11:00 UTC. 2026-12-02 is a Wednesday.
    weekly = Schedule(repeat=Repeat.WEEKLY, clock=time(19), days=[0, 3])
    assert first_time(weekly, ZONE, utc(2026, 12, 2, 3)) == utc(2026, 12, 3, 11)
    assert next_time(weekly, ZONE, utc(2026, 12, 3, 11)) == utc(2026, 12, 7, 11)


def test_a_time_exactly_now_is_the_first_time() -> None:
    daily = Schedule(repeat=Repeat.DAILY, clock=time(9))
    assert first_time(daily, ZONE, utc(2026, 12, 2, 1)) == utc(2026, 12, 2, 1)


def test_until_is_the_last_date_it_may_go_out() -> None:
    daily = Schedule(repeat=Repeat.DAILY, clock=time(9), until=date(2026, 12, 3))
    assert next_time(daily, ZONE, utc(2026, 12, 2, 2)) == utc(2026, 12, 3, 1)
    assert next_time(daily, ZONE, utc(2026, 12, 3, 1)) is None


def test_monthly_on_the_31st_goes_out_on_shorter_months_last_day() -> None:
    monthly = Schedule(repeat=Repeat.MONTHLY, clock=time(9), day=31)
    assert next_time(monthly, "UTC", utc(2026, 11, 1)) == utc(2026, 11, 30, 9)
    assert next_time(monthly, "UTC", utc(2026, 12, 1)) == utc(2026, 12, 31, 9)
    assert next_time(monthly, "UTC", utc(2027, 2, 1)) == utc(2027, 2, 28, 9)


def test_a_one_off_in_the_past_has_no_next_time_and_goes_out_at_once() -> None:
    once = Schedule(repeat=Repeat.ONCE, at=datetime(2026, 12, 2, 9))
    assert next_time(once, ZONE, utc(2026, 12, 2, 2)) is None
    assert first_time(once, ZONE, utc(2026, 12, 2, 2)) == utc(2026, 12, 2, 2)


def test_a_week_of_missed_daily_times_sends_only_the_latest() -> None:
    daily = Schedule(repeat=Repeat.DAILY, clock=time(9))
    now = utc(2026, 12, 8, 3)  # 11:00 local on the 8th; the job was due on the 1st
    slot = latest_passed(daily, ZONE, utc(2026, 12, 1, 1), now)
    assert slot == utc(2026, 12, 8, 1)
    assert still_current(daily, ZONE, slot, now)


def test_a_missed_weekly_time_is_current_until_the_next_one() -> None:
    weekly = Schedule(repeat=Repeat.WEEKLY, clock=time(19), days=[0])
    monday = utc(2026, 12, 7, 11)
    assert still_current(weekly, ZONE, monday, utc(2026, 12, 10))
    assert latest_passed(weekly, ZONE, monday, utc(2026, 12, 15)) == utc(2026, 12, 14, 11)


def test_a_recurrence_past_its_last_date_sends_nothing() -> None:
    daily = Schedule(repeat=Repeat.DAILY, clock=time(9), until=date(2026, 12, 3))
    last = utc(2026, 12, 3, 1)
    assert still_current(daily, ZONE, last, utc(2026, 12, 3, 10))
    assert not still_current(daily, ZONE, last, utc(2026, 12, 4, 1))


@pytest.mark.parametrize(
    ("text", "start", "end"),
    [
        ("2026-12-08 08:00-18:00", datetime(2026, 12, 8, 8), datetime(2026, 12, 8, 18)),
        ("12-08 22:00 - 12-09 06:00", datetime(2026, 12, 8, 22), datetime(2026, 12, 9, 6)),
        ("２０２６-12-08 ８:00–12:30", datetime(2026, 12, 8, 8), datetime(2026, 12, 8, 12, 30)),
    ],
)
def test_outage_windows_as_managers_type_them(text: str, start: datetime, end: datetime) -> None:
    assert parse_window(text, today=date(2026, 12, 2)) == (start, end)


@pytest.mark.parametrize("text", ["tomorrow", "2026-12-08 18:00-08:00", "12-08 25:00-26:00"])
def test_windows_that_are_not_windows(text: str) -> None:
    with pytest.raises(ValueError):
        parse_window(text, today=date(2026, 12, 2))


def test_a_date_without_a_year_is_the_next_one() -> None:
    assert parse_date("01-05", today=date(2026, 12, 2)) == date(2027, 1, 5)
    assert parse_date("12-05", today=date(2026, 12, 2)) == date(2026, 12, 5)


def test_incomplete_schedules_are_refused() -> None:
    with pytest.raises(ValueError):
        Schedule(repeat=Repeat.WEEKLY, clock=time(9))
    with pytest.raises(ValueError):
        Schedule(repeat=Repeat.MONTHLY, clock=time(9))
    with pytest.raises(ValueError):
        Schedule(repeat=Repeat.ONCE)
