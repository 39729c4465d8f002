"""When a notice goes out: once (now or at a time), or daily, weekly on chosen days or monthly
on a day, at a time, until a date. Times are read and shown in the compound's timezone and
stored in UTC.

A recurrence keeps one scheduled job, for its next time. When that job fires late (the bot was
down), only the latest time that has passed is worth sending, and only while it is still the
current one (the next time has not come, and the last date has not passed): a reminder missed
for a week goes out once, not once per missed day.
"""

from __future__ import annotations

import calendar
import enum
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from pydantic import BaseModel, Field, model_validator

# How far ahead a recurrence is searched for its next time: a monthly one on the 31st finds
# one within two months; a weekly one within a week.
HORIZON_DAYS = 400
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class Repeat(enum.StrEnum):
    ONCE = "once"
    DAILY = "daily"
    WEEKLY = "weekly"
    MONTHLY = "monthly"


class Schedule(BaseModel):
    """A notice's schedule. `at` (once) and `time` are local to the compound."""

    repeat: Repeat = Repeat.ONCE
    at: datetime | None = None  # once: the local date and time it goes out
    clock: time | None = None  # recurring: the local time of day
    days: list[int] = Field(default_factory=list)  # weekly: Monday 0 … Sunday 6
    day: int | None = Field(default=None, ge=1, le=31)  # monthly: the day of the month
    until: date | None = None  # recurring: the last date it may go out on

    @model_validator(mode="after")
    def _complete(self) -> Schedule:
        if self.repeat is Repeat.ONCE:
            if self.at is None:
                raise ValueError("a one-off notice needs its date and time")
            return self
        if self.clock is None:
            raise ValueError("a recurring notice needs its time of day")
        if self.repeat is Repeat.WEEKLY and not self.days:
            raise ValueError("a weekly notice needs at least one day of the week")
        if any(d not in range(7) for d in self.days):
            raise ValueError("days of the week are 0 (Monday) to 6 (Sunday)")
        if self.repeat is Repeat.MONTHLY and self.day is None:
            raise ValueError("a monthly notice needs its day of the month")
        return self

    @property
    def recurring(self) -> bool:
        return self.repeat is not Repeat.ONCE


def to_utc(local: datetime, zone: str) -> datetime:
    """A wall-clock time in `zone` as an aware UTC time."""
    return local.replace(tzinfo=ZoneInfo(zone)).astimezone(UTC)


def local(moment: datetime, zone: str) -> datetime:
    """An aware time as the compound's wall clock (naive)."""
    return moment.astimezone(ZoneInfo(zone)).replace(tzinfo=None)


def until_end(schedule: Schedule, zone: str) -> datetime | None:
    """The end of the last date a recurrence may go out on, in UTC; None without one."""
    if schedule.until is None:
        return None
    return to_utc(datetime.combine(schedule.until + timedelta(days=1), time()), zone)


def _matches(schedule: Schedule, day: date) -> bool:
    match schedule.repeat:
        case Repeat.DAILY:
            return True
        case Repeat.WEEKLY:
            return day.weekday() in schedule.days
        case Repeat.MONTHLY:
            assert schedule.day is not None
            # The 31st of a 30-day month is its last day, not skipped.
            last = calendar.monthrange(day.year, day.month)[1]
            return day.day == min(schedule.day, last)
    return False


def next_time(schedule: Schedule, zone: str, after: datetime) -> datetime | None:
    """The first time strictly after `after` (UTC) that the schedule goes out, or None when
    there is none (a one-off already past, a recurrence past its last date)."""
    if schedule.repeat is Repeat.ONCE:
        assert schedule.at is not None
        moment = to_utc(schedule.at, zone)
        return moment if moment > after else None
    assert schedule.clock is not None
    start = local(after, zone).date()
    for offset in range(HORIZON_DAYS):
        day = start + timedelta(days=offset)
        if schedule.until is not None and day > schedule.until:
            return None
        if not _matches(schedule, day):
            continue
        moment = to_utc(datetime.combine(day, schedule.clock), zone)
        if moment > after:
            return moment
    return None


def first_time(schedule: Schedule, zone: str, now: datetime) -> datetime | None:
    """When a schedule confirmed at `now` first goes out: a one-off at its time (at once if
    that has passed), a recurrence at its first time from now on."""
    if schedule.repeat is Repeat.ONCE:
        assert schedule.at is not None
        return max(to_utc(schedule.at, zone), now)
    return next_time(schedule, zone, now - timedelta(microseconds=1))


def latest_passed(schedule: Schedule, zone: str, due: datetime, now: datetime) -> datetime:
    """The last time at or before `now`, from the one a job was due for on: the slot worth
    sending when the job fires late."""
    latest = due
    while True:
        following = next_time(schedule, zone, latest)
        if following is None or following > now:
            return latest
        latest = following


def still_current(schedule: Schedule, zone: str, slot: datetime, now: datetime) -> bool:
    """Whether a recurrence's time `slot`, passed at `now`, is still worth sending: its last
    date has not passed and its next time has not come (not older than one period)."""
    end = until_end(schedule, zone)
    if end is not None and now >= end:
        return False
    following = next_time(schedule, zone, slot)
    if following is not None:
        return now < following
    # The last time of a recurrence: current for one period after it.
    period = {Repeat.DAILY: 1, Repeat.WEEKLY: 7, Repeat.MONTHLY: 31}.get(schedule.repeat, 1)
    return now - slot < timedelta(days=period)


def parse_clock(text: str) -> time:
    """'9:00', '09:00', '21:30', '９：００' → a time of day; ValueError otherwise."""
    cleaned = text.strip().translate(_FULL_WIDTH).replace("：", ":")
    hours, _, minutes = cleaned.partition(":")
    if not (hours.isdigit() and minutes.isdigit() and len(minutes) == 2):
        raise ValueError(f"not a time of day: {text!r}")
    return time(int(hours), int(minutes))


def parse_date(text: str, *, today: date) -> date:
    """'2026-12-08', '2026/12/8' or '12-08' (this year, or the next if it has passed)."""
    parts = [p for p in text.strip().translate(_FULL_WIDTH).replace("/", "-").split("-") if p]
    if not all(p.isdigit() for p in parts) or len(parts) not in (2, 3):
        raise ValueError(f"not a date: {text!r}")
    numbers = [int(p) for p in parts]
    if len(numbers) == 3:
        return date(*numbers)
    found = date(today.year, numbers[0], numbers[1])
    return found if found >= today else date(today.year + 1, numbers[0], numbers[1])


def parse_moment(text: str, *, today: date) -> datetime:
    """'2026-12-08 09:00' or '12-08 9:00' → a local date and time; ValueError otherwise."""
    parts = text.strip().translate(_FULL_WIDTH).split()
    if len(parts) != 2:
        raise ValueError(f"not a date and time: {text!r}")
    return datetime.combine(parse_date(parts[0], today=today), parse_clock(parts[1]))


def parse_window(text: str, *, today: date) -> tuple[datetime, datetime]:
    """An outage window: '2026-12-08 08:00-18:00' (one day) or
    '2026-12-08 22:00 - 2026-12-09 06:00'. ValueError when it is not one, or ends first."""
    cleaned = " ".join(
        text.strip().translate(_FULL_WIDTH).replace("–", "-").replace("~", "-").split()
    )
    day_text, _, rest = cleaned.partition(" ")
    if " - " in rest or rest.count("-") > 1:
        start_text, _, end_text = cleaned.rpartition(" - ")
        start = parse_moment(start_text, today=today)
        end = parse_moment(end_text, today=today)
    else:
        start_clock, _, end_clock = rest.replace(" ", "").partition("-")
        day = parse_date(day_text, today=today)
        start = datetime.combine(day, parse_clock(start_clock))
        end = datetime.combine(day, parse_clock(end_clock))
    if end <= start:
        raise ValueError("the window ends before it starts")
    return start, end


_FULL_WIDTH = str.maketrans("０１２３４５６７８９－／　", "0123456789-/ ")
