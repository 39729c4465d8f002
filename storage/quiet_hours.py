"""The compound's quiet hours: non-urgent private messages of a broadcast wait until morning.

A notice confirmed at 23:00 does not wake a household: its private messages go out when the
quiet hours end (07:00 by default). Group posts, replies to what a person just wrote and
emergencies are never held. A compound sets its hours with `/setting quiet_hours 22:30-06:30`
or in `courtyard import settings`; "off" disables them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from storage.models import Compound

SETTING = "quiet_hours"
DEFAULT_START, DEFAULT_END = time(22, 0), time(7, 0)
OFF = ("off", "none", "no")


class BadQuietHours(ValueError):
    """The setting cannot be read; the message says what is wrong."""


@dataclass(frozen=True, slots=True)
class QuietHours:
    start: time = DEFAULT_START
    end: time = DEFAULT_END
    off: bool = False

    @property
    def text(self) -> str:
        return "off" if self.off else f"{self.start:%H:%M}-{self.end:%H:%M}"

    def hold_until(self, now: datetime, zone: ZoneInfo) -> datetime | None:
        """When the quiet period `now` falls in ends; None when `now` is not quiet."""
        if self.off or self.start == self.end:
            return None
        local = now.astimezone(zone)
        clock = local.time()
        today = local.date()
        if self.start < self.end:  # e.g. 13:00-14:00, within one day
            if not self.start <= clock < self.end:
                return None
            ends = datetime.combine(today, self.end, zone)
        elif clock >= self.start:  # 22:00-07:00, in the evening part
            ends = datetime.combine(today + timedelta(days=1), self.end, zone)
        elif clock < self.end:  # ... in the morning part
            ends = datetime.combine(today, self.end, zone)
        else:
            return None
        return ends.astimezone(now.tzinfo)


def parse(value: object) -> QuietHours:
    """Reads "22:00-07:00" or "off"; raises BadQuietHours saying what is wrong."""
    if not isinstance(value, str):
        raise BadQuietHours("expected HH:MM-HH:MM, e.g. 22:00-07:00, or off")
    text = value.strip().lower()
    if text in OFF:
        return QuietHours(off=True)
    opening, sep, closing = text.replace("–", "-").partition("-")
    if not sep:
        raise BadQuietHours("expected HH:MM-HH:MM, e.g. 22:00-07:00, or off")
    try:
        start, end = time.fromisoformat(opening.strip()), time.fromisoformat(closing.strip())
    except ValueError:
        raise BadQuietHours(f"{value!r} is not like 22:00-07:00") from None
    if start == end:
        raise BadQuietHours("quiet hours must start and end at different times")
    return QuietHours(start, end)


def of(compound: Compound) -> QuietHours:
    """The compound's quiet hours; the default when unset or unreadable."""
    value = (compound.settings or {}).get(SETTING)
    if value is None:
        return QuietHours()
    try:
        return parse(value)
    except BadQuietHours:
        return QuietHours()


def hold_until(compound: Compound, now: datetime) -> datetime | None:
    """When a non-urgent private message made `now` may go out, if it must wait."""
    return of(compound).hold_until(now, ZoneInfo(compound.timezone))
