"""What a notice reads like: the manager's words inside a frame in the reader's language (the
category, the outage window and buildings, who sent it), and how schedules and figures are
described to managers."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from bot.i18n import translate
from handlers.notices.timing import WEEKDAYS, Repeat, Schedule, local
from storage.models import Compound, Notice, NoticeCategory

ICONS = {
    NoticeCategory.WATER_OUTAGE: "💧",
    NoticeCategory.POWER_OUTAGE: "⚡",
    NoticeCategory.MAINTENANCE: "🛠",
    NoticeCategory.SAFETY: "⚠️",
    NoticeCategory.COMMUNITY: "🏘",
    NoticeCategory.FEES: "💰",
    NoticeCategory.OTHER: "📢",
}


def category_name(locale: str, category: NoticeCategory) -> str:
    return translate(locale, f"notice-category-{category.value}")


def title(locale: str, notice: Notice) -> str:
    """ "💧 停水通知": the icon and the category."""
    category = NoticeCategory(notice.category)
    return f"{ICONS[category]} {category_name(locale, category)}"


def building_list(locale: str, names: list[str] | tuple[str, ...]) -> str:
    """ "3号楼、5号楼" / "buildings 3, 5"."""
    return translate(
        locale,
        "notice-buildings",
        count=len(names),
        names=translate(locale, "notice-list-separator").join(names),
    )


def clock_time(moment: datetime, compound: Compound) -> str:
    return local(moment, compound.timezone).strftime("%m-%d %H:%M")


def window(locale: str, notice: Notice, compound: Compound) -> str:
    """ "12-08 08:00–18:00", or both dates when it runs past midnight."""
    assert notice.starts_at is not None and notice.ends_at is not None
    start = local(notice.starts_at, compound.timezone)
    end = local(notice.ends_at, compound.timezone)
    ending = end.strftime("%H:%M") if end.date() == start.date() else end.strftime("%m-%d %H:%M")
    return f"{start.strftime('%m-%d %H:%M')}–{ending}"


def render(locale: str, notice: Notice, compound: Compound) -> str:
    """The notice as one resident reads it: their language's frame, the manager's words."""
    lines = [title(locale, notice)]
    if notice.starts_at is not None and notice.ends_at is not None:
        lines.append(
            translate(locale, "notice-frame-window", window=window(locale, notice, compound))
        )
    if NoticeCategory(notice.category).is_outage:
        named = list(notice.outage_buildings or [])
        where = (
            building_list(locale, named) if named else translate(locale, "notice-whole-compound")
        )
        lines.append(translate(locale, "notice-frame-buildings", buildings=where))
    lines += [
        "",
        notice.text.strip(),
        "",
        translate(locale, "notice-frame-signed", compound=compound.name),
    ]
    return "\n".join(lines)


def audience_text(locale: str, notice: Notice) -> str:
    """Who it is for, in a manager's words: "3号楼（仅业主）"."""
    audience = notice.audience or {}
    buildings = list(audience.get("buildings") or [])
    units = list(audience.get("units") or [])
    parts = []
    if buildings:
        parts.append(building_list(locale, buildings))
    if units:
        parts.append(translate(locale, "notice-units", units=", ".join(units)))
    text = translate(locale, "notice-list-separator").join(parts) or translate(
        locale, "notice-whole-compound"
    )
    if audience.get("owners_only"):
        text += translate(locale, "notice-owners-only-suffix")
    return text


def channels_text(locale: str, channels: Sequence[str]) -> str:
    names = [translate(locale, f"notice-channel-{c}") for c in channels]
    return translate(locale, "notice-list-separator").join(names) or "—"


def schedule_text(locale: str, schedule: Schedule, *, now_label: bool = False) -> str:
    """ "now", "12-08 09:00", "every Monday and Thursday at 19:00 until 2027-01-31"."""
    if schedule.repeat is Repeat.ONCE:
        if now_label or schedule.at is None:
            return translate(locale, "notice-when-now")
        return translate(locale, "notice-when-at", at=schedule.at.strftime("%Y-%m-%d %H:%M"))
    assert schedule.clock is not None
    clock = schedule.clock.strftime("%H:%M")
    if schedule.repeat is Repeat.DAILY:
        text = translate(locale, "notice-when-daily", clock=clock)
    elif schedule.repeat is Repeat.WEEKLY:
        days = translate(locale, "notice-list-separator").join(
            translate(locale, f"notice-day-{WEEKDAYS[d]}") for d in sorted(schedule.days)
        )
        text = translate(locale, "notice-when-weekly", days=days, clock=clock)
    else:
        text = translate(locale, "notice-when-monthly", day=schedule.day, clock=clock)
    if schedule.until is not None:
        text += translate(locale, "notice-when-until", until=schedule.until.isoformat())
    return text
