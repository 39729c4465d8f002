"""A notice as a YAML file, for `courtyard notice send FILE.yaml` (docs/notices.md).

Everything is checked before anything is stored: the file's shape, then what it names against
the compound (buildings, units, the residents' group) and the clock (a time or window already
past). Every problem is reported, one line each, naming the field.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from sqlalchemy.ext.asyncio import AsyncSession

from handlers.notices.compose import PHOTO_TEXT_MAX, TEXT_MAX, TEXT_MIN, UNITS_MAX
from handlers.notices.sending import resident_group
from handlers.notices.timing import (
    WEEKDAYS,
    Repeat,
    Schedule,
    first_time,
    local,
    parse_clock,
    parse_moment,
    to_utc,
)
from storage.models import Compound, Notice, NoticeCategory, NoticeChannel, NoticeStatus
from storage.repos.compounds import buildings_of, unit_by_label


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class AudienceFile(Strict):
    buildings: list[str] = Field(default_factory=list)
    units: list[str] = Field(default_factory=list, max_length=UNITS_MAX)
    owners_only: bool = False

    @field_validator("buildings", "units", mode="before")
    @classmethod
    def _as_text(cls, value: Any) -> Any:
        # `buildings: [3, 5]` is as good as `["3", "5"]`.
        return [str(v) for v in value] if isinstance(value, list) else value


class ScheduleFile(Strict):
    at: str = "now"  # "now", or "YYYY-MM-DD HH:MM" (once)
    repeat: Literal["daily", "weekly", "monthly"] | None = None
    days: list[Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]] = Field(
        default_factory=list
    )
    day: int | None = Field(default=None, ge=1, le=31)
    time: str | None = None  # recurring: "HH:MM"
    until: date | None = None


class OutageFile(Strict):
    buildings: list[str] = Field(default_factory=list)
    starts: str
    ends: str

    @field_validator("buildings", mode="before")
    @classmethod
    def _as_text(cls, value: Any) -> Any:
        return [str(v) for v in value] if isinstance(value, list) else value


class NoticeFile(Strict):
    category: NoticeCategory
    text: str = Field(min_length=TEXT_MIN, max_length=TEXT_MAX)
    photo: str | None = None
    audience: AudienceFile = Field(default_factory=AudienceFile)
    channels: list[NoticeChannel] = Field(min_length=1)
    schedule: ScheduleFile = Field(default_factory=ScheduleFile)
    outage: OutageFile | None = None


class NoticeFileInvalid(Exception):
    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


def _where(loc: tuple[Any, ...]) -> str:
    return ".".join(str(part) for part in loc) or "file"


def read(text: str) -> NoticeFile:
    """The file's notice, or NoticeFileInvalid naming every problem of its shape."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f"line {mark.line + 1}: " if mark is not None else ""
        raise NoticeFileInvalid(
            [f"{line}not valid YAML ({getattr(exc, 'problem', exc)})"]
        ) from None
    if not isinstance(data, dict):
        raise NoticeFileInvalid(["file: must be a mapping of fields (category, text, ...)"])
    try:
        return NoticeFile.model_validate(data)
    except ValidationError as exc:
        problems = [
            f"{_where(error['loc'])}: {error['msg'].removeprefix('Value error, ')}"
            for error in exc.errors()
        ]
        raise NoticeFileInvalid(problems) from None


async def build(
    session: AsyncSession, spec: NoticeFile, compound: Compound, now: datetime
) -> tuple[Notice, Schedule]:
    """The notice the file describes in `compound`, checked against it; not yet stored."""
    problems: list[str] = []
    zone = compound.timezone
    now_local = local(now, zone)
    known = {b.name for b in await buildings_of(session, compound.id)}
    for field, names in (
        ("audience.buildings", spec.audience.buildings),
        ("outage.buildings", spec.outage.buildings if spec.outage else []),
    ):
        unknown = [n for n in names if n not in known]
        if unknown:
            problems.append(f"{field}: no building {', '.join(unknown)} in {compound.code}")
    units: list[str] = []
    for label in spec.audience.units:
        unit = await unit_by_label(session, compound.id, label)
        if unit is None:
            problems.append(f"audience.units: no unit {label} in {compound.code}")
        else:
            units.append(unit.label)
    if NoticeChannel.GROUP in spec.channels and await resident_group(session, compound.id) is None:
        problems.append(f"channels: {compound.code} has no residents' group bound")
    if spec.photo and len(spec.text) > PHOTO_TEXT_MAX:
        problems.append(f"text: with a photo, at most {PHOTO_TEXT_MAX} characters")
    starts = ends = None
    if spec.category.is_outage:
        if spec.outage is None:
            problems.append("outage: an outage notice needs outage.starts and outage.ends")
        else:
            try:
                starts = parse_moment(spec.outage.starts, today=now_local.date())
                ends = parse_moment(spec.outage.ends, today=now_local.date())
                if ends <= starts:
                    problems.append("outage: ends before it starts")
                elif ends <= now_local:
                    problems.append("outage: the window has already ended")
            except ValueError:
                problems.append("outage: starts and ends are 'YYYY-MM-DD HH:MM'")
    elif spec.outage is not None:
        problems.append(f"outage: only for water_outage or power_outage, not {spec.category}")
    schedule = _schedule(spec.schedule, now_local, problems)
    if problems:
        raise NoticeFileInvalid(problems)
    assert schedule is not None
    if first_time(schedule, zone, now) is None:
        raise NoticeFileInvalid(["schedule.until: no time left before it"])
    notice = Notice(
        compound_id=compound.id,
        author_id=None,
        category=spec.category,
        text=spec.text.strip(),
        photo=spec.photo,
        audience={
            "buildings": spec.audience.buildings,
            "units": units,
            "owners_only": spec.audience.owners_only,
        },
        channels=[c.value for c in NoticeChannel if c in spec.channels],
        schedule=schedule.model_dump(mode="json"),
        outage_buildings=spec.outage.buildings if spec.outage else [],
        starts_at=to_utc(starts, zone) if starts else None,
        ends_at=to_utc(ends, zone) if ends else None,
        status=NoticeStatus.SCHEDULED,
        runs=0,
    )
    return notice, schedule


def _schedule(spec: ScheduleFile, now_local: datetime, problems: list[str]) -> Schedule | None:
    if spec.repeat is None:
        if spec.days or spec.day is not None or spec.time or spec.until:
            problems.append("schedule: days, day, time and until need repeat")
            return None
        if spec.at.strip().lower() == "now":
            return Schedule(repeat=Repeat.ONCE, at=now_local.replace(second=0, microsecond=0))
        try:
            at = parse_moment(spec.at, today=now_local.date())
        except ValueError:
            problems.append("schedule.at: 'now' or 'YYYY-MM-DD HH:MM'")
            return None
        if at <= now_local:
            problems.append("schedule.at: that time has passed")
            return None
        return Schedule(repeat=Repeat.ONCE, at=at)
    if spec.at.strip().lower() != "now":
        problems.append("schedule.at: a recurring notice has time (and days or day) instead")
    if spec.time is None:
        problems.append("schedule.time: a recurring notice needs its time of day, 'HH:MM'")
        return None
    try:
        clock = parse_clock(spec.time)
    except ValueError:
        problems.append("schedule.time: 'HH:MM'")
        return None
    if spec.until is not None and spec.until < now_local.date():
        problems.append("schedule.until: that date has passed")
    try:
        return Schedule(
            repeat=Repeat(spec.repeat),
            clock=clock,
            days=sorted({WEEKDAYS.index(d) for d in spec.days}),
            day=spec.day,
            until=spec.until,
        )
    except ValidationError as exc:
        problems += [f"schedule: {e['msg'].removeprefix('Value error, ')}" for e in exc.errors()]
        return None
