"""The compound's office hours, and deadlines counted in them.

A normal request filed at 23:00 with an eight-hour response window is not due at 07:00 when
nobody is in the office: its hours count from 08:30. Urgent requests and emergencies keep the
round-the-clock clock. A compound sets its hours in its settings (the kb value `office_hours`
is only display text):
`{"working_hours": {"start": "08:30", "end": "17:30", "days": [1, 2, 3, 4, 5, 6, 7]}}`
(days: 1 = Monday), or "08:30-17:30" (every day), or "always" (an office staffed round the
clock: no deadline waits). Without it, 08:30–17:30 every day.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from storage.models import Compound

SETTING = "working_hours"
DEFAULT_START, DEFAULT_END = time(8, 30), time(17, 30)
EVERY_DAY = (1, 2, 3, 4, 5, 6, 7)
ALWAYS = ("always", "24h", "24/7")


class BadWorkingHours(ValueError):
    """The setting cannot be read; the message says what is wrong."""


@dataclass(frozen=True, slots=True)
class WorkingHours:
    start: time = DEFAULT_START
    end: time = DEFAULT_END
    days: tuple[int, ...] = EVERY_DAY
    # Staffed round the clock: deadlines count every minute, as for urgent requests.
    always: bool = False

    @property
    def text(self) -> str:
        """'08:30–17:30', as replies quote it."""
        return f"{self.start:%H:%M}–{self.end:%H:%M}"

    def add(self, moment: datetime, span: timedelta, zone: ZoneInfo) -> datetime:
        """The moment `span` of office time after `moment`."""
        if self.always:
            return moment + span
        local = moment.astimezone(zone)
        left = span
        # Each turn either ends within a working day or moves to the next one's start; a year
        # bounds it for any window a compound may set.
        for _ in range(400):
            opens = datetime.combine(local.date(), self.start, zone)
            closes = datetime.combine(local.date(), self.end, zone)
            if local.isoweekday() in self.days and local < closes:
                begin = max(local, opens)
                if begin + left <= closes:
                    return (begin + left).astimezone(moment.tzinfo)
                left -= closes - begin
            local = datetime.combine(local.date() + timedelta(days=1), self.start, zone)
        raise BadWorkingHours("no office time within a year")


def parse(value: object) -> WorkingHours:
    """Reads the setting: {"start": "HH:MM", "end": "HH:MM", "days": [1..7]}, the text
    "08:30-17:30" (every day) or "always". Raises BadWorkingHours saying what is wrong."""
    if isinstance(value, str) and value.strip().lower() in ALWAYS:
        return WorkingHours(always=True)
    if isinstance(value, str):
        opening, sep, closing = value.replace("–", "-").partition("-")
        if not sep:
            raise BadWorkingHours("expected HH:MM-HH:MM, e.g. 08:30-17:30")
        value = {"start": opening.strip(), "end": closing.strip()}
    if not isinstance(value, dict):
        raise BadWorkingHours("expected HH:MM-HH:MM or {start, end, days}")
    start, end = _time(value.get("start", "08:30")), _time(value.get("end", "17:30"))
    if end <= start:
        raise BadWorkingHours("the office must close after it opens")
    days = value.get("days", list(EVERY_DAY))
    if (
        not isinstance(days, list)
        or not days
        or not all(isinstance(d, int) and 1 <= d <= 7 for d in days)
    ):
        raise BadWorkingHours("days are 1 (Monday) to 7 (Sunday)")
    return WorkingHours(start, end, tuple(sorted(set(days))))


def to_setting(hours: WorkingHours) -> str | dict[str, object]:
    """How checked hours are stored: "always", or {start, end, days}."""
    if hours.always:
        return "always"
    return {"start": f"{hours.start:%H:%M}", "end": f"{hours.end:%H:%M}", "days": list(hours.days)}


def _time(text: object) -> time:
    try:
        return time.fromisoformat(str(text).strip())
    except ValueError:
        raise BadWorkingHours(f"{text!r} is not a time like 08:30") from None


def of(compound: Compound) -> WorkingHours:
    """The compound's hours; the default when unset (or unreadable: deadlines still run)."""
    value = (compound.settings or {}).get(SETTING)
    if value is None:
        return WorkingHours()
    try:
        return parse(value)
    except BadWorkingHours:
        return WorkingHours()
