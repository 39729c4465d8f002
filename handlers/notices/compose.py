"""/notice: a manager writes a notice in a private chat, says who it is for, how and when it
goes out, sees exactly what residents will read and how many households it reaches, and
confirms. Nothing goes out before that.

```mermaid
stateDiagram-v2
    [*] --> writing_text: /notice (managers, private chat)
    writing_text --> choosing_category
    choosing_category --> choosing_audience
    choosing_audience --> choosing_audience: owners only, toggled
    choosing_audience --> picking_buildings: chosen buildings
    choosing_audience --> typing_units: chosen units
    choosing_audience --> choosing_channels: otherwise
    picking_buildings --> typing_units: chosen units
    picking_buildings --> choosing_channels: otherwise
    typing_units --> choosing_channels
    choosing_channels --> picking_outage_buildings: a water or power outage
    choosing_channels --> typing_window: a water or power outage
    choosing_channels --> choosing_when: otherwise
    picking_outage_buildings --> typing_window: a water or power outage
    picking_outage_buildings --> choosing_when: otherwise
    typing_window --> choosing_when
    choosing_when --> typing_moment: at a time
    choosing_when --> picking_days: weekly
    choosing_when --> typing_clock: daily, weekly or monthly
    choosing_when --> typing_until: daily, weekly or monthly
    choosing_when --> confirming: otherwise
    typing_moment --> picking_days: weekly
    typing_moment --> typing_clock: daily, weekly or monthly
    typing_moment --> typing_until: daily, weekly or monthly
    typing_moment --> confirming: otherwise
    picking_days --> typing_clock: daily, weekly or monthly
    picking_days --> typing_until: daily, weekly or monthly
    picking_days --> confirming: otherwise
    typing_clock --> typing_until: daily, weekly or monthly
    typing_clock --> confirming: otherwise
    typing_until --> confirming
    confirming --> [*]: sent now, scheduled, or discarded
```

Toggles (owners only, buildings, channels, days) change the message they are on and keep the
step; its Done button moves on. `/cancel` leaves at any step, and nothing is kept.
"""

from __future__ import annotations

import enum
from datetime import date, datetime, time
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from bot.engine.context import Context
from bot.engine.registry import Flows
from bot.engine.replies import Button, keyboard
from handlers.forms import Choice, Form, Step, flag, form_button, nothing
from handlers.notices.sending import JOB, go_out, households, readers, resident_group
from handlers.notices.texts import (
    audience_text,
    building_list,
    category_name,
    channels_text,
    render,
    schedule_text,
)
from handlers.notices.timing import (
    WEEKDAYS,
    Repeat,
    Schedule,
    first_time,
    local,
    parse_clock,
    parse_date,
    parse_moment,
    parse_window,
    to_utc,
)
from handlers.widgets import in_rows, typed_text
from storage.models import Compound, Notice, NoticeCategory, NoticeChannel, NoticeStatus
from storage.repos.compounds import buildings_of, unit_by_label

FLOW = "notice"
WRITING_TEXT = "writing_text"
CHOOSING_CATEGORY = "choosing_category"
CHOOSING_AUDIENCE = "choosing_audience"
PICKING_BUILDINGS = "picking_buildings"
TYPING_UNITS = "typing_units"
CHOOSING_CHANNELS = "choosing_channels"
PICKING_OUTAGE_BUILDINGS = "picking_outage_buildings"
TYPING_WINDOW = "typing_window"
CHOOSING_WHEN = "choosing_when"
TYPING_MOMENT = "typing_moment"
PICKING_DAYS = "picking_days"
TYPING_CLOCK = "typing_clock"
TYPING_UNTIL = "typing_until"
CONFIRMING = "confirming"

TEXT_MIN = 5
TEXT_MAX = 3000
# Telegram allows 1024 characters under a photo; the frame needs the rest.
PHOTO_TEXT_MAX = 800
UNITS_MAX = 50


class AudienceKind(enum.StrEnum):
    ALL = "all"
    BUILDINGS = "buildings"
    UNITS = "units"


class When(enum.StrEnum):
    NOW = "now"
    AT = "at"
    DAILY = "daily"
    WEEKLY = "weekly"
    MONTHLY = "monthly"


REPEATS = {When.DAILY: Repeat.DAILY, When.WEEKLY: Repeat.WEEKLY, When.MONTHLY: Repeat.MONTHLY}


class NoticeDraft(BaseModel):
    """A notice as far as the manager has written it. Local times are the compound's."""

    model_config = ConfigDict(extra="ignore")

    compound_id: int
    text: str | None = Field(default=None, max_length=TEXT_MAX)
    photo: str | None = None
    category: NoticeCategory | None = None
    audience: AudienceKind | None = None
    owners_only: bool = False
    buildings: list[str] = Field(default_factory=list)
    buildings_done: bool = False
    units: list[str] = Field(default_factory=list, max_length=UNITS_MAX)
    channels: list[NoticeChannel] = Field(
        default_factory=lambda: [NoticeChannel.PRIVATE, NoticeChannel.BOARD]
    )
    channels_done: bool = False
    outage_buildings: list[str] = Field(default_factory=list)
    outage_done: bool = False
    starts: datetime | None = None
    ends: datetime | None = None
    when: When | None = None
    at: datetime | None = None
    days: list[int] = Field(default_factory=list)
    days_done: bool = False
    day: int | None = None
    clock: time | None = None
    until: date | None = None
    until_done: bool = False

    @property
    def outage(self) -> bool:
        return self.category is not None and self.category.is_outage

    @property
    def recurring(self) -> bool:
        return self.when in REPEATS


def schedule_of(draft: NoticeDraft, now_local: datetime) -> Schedule:
    if draft.when in REPEATS:
        return Schedule(
            repeat=REPEATS[draft.when],
            clock=draft.clock,
            days=sorted(draft.days),
            day=draft.day,
            until=draft.until,
        )
    at = draft.at if draft.when is When.AT else now_local.replace(second=0, microsecond=0)
    return Schedule(repeat=Repeat.ONCE, at=at)


def notice_of(
    draft: NoticeDraft, compound: Compound, author_id: int | None, now: datetime
) -> Notice:
    """The notice the draft describes, not yet stored (the preview renders it as it is)."""
    schedule = schedule_of(draft, local(now, compound.timezone))
    return Notice(
        compound_id=compound.id,
        author_id=author_id,
        category=draft.category,
        text=draft.text or "",
        photo=draft.photo,
        audience={
            "buildings": draft.buildings if draft.audience is AudienceKind.BUILDINGS else [],
            "units": draft.units if draft.audience is AudienceKind.UNITS else [],
            "owners_only": draft.owners_only,
        },
        channels=[c.value for c in NoticeChannel if c in draft.channels],
        schedule=schedule.model_dump(mode="json"),
        outage_buildings=list(draft.outage_buildings) if draft.outage else [],
        starts_at=to_utc(draft.starts, compound.timezone)
        if draft.outage and draft.starts
        else None,
        ends_at=to_utc(draft.ends, compound.timezone) if draft.outage and draft.ends else None,
        status=NoticeStatus.SCHEDULED,
        runs=0,
    )


def b(ctx: Context, label: str, field: str, value: object = "") -> Button:
    return form_button(ctx, FLOW, label, field, value)


def tick(on: bool, label: str) -> str:
    return f"{'✅' if on else '▫️'} {label}"


async def _compound(ctx: Context, draft: NoticeDraft) -> Compound:
    compound = await ctx.session.get(Compound, draft.compound_id)
    assert compound is not None
    return compound


async def _building_names(ctx: Context, draft: NoticeDraft) -> list[str]:
    return [building.name for building in await buildings_of(ctx.session, draft.compound_id)]


# ── Who may write one ──


async def start(ctx: Context) -> None:
    """/notice: managers of the compound only; everyone else is told politely."""
    compound = ctx.compound
    if compound is None or not ctx.actor.is_manager(compound.id):
        ctx.say("notice-managers-only")
        return
    await FORM.start(ctx, NoticeDraft(compound_id=compound.id))


def _still_manager(ctx: Context, draft: NoticeDraft) -> bool:
    if ctx.actor.is_manager(draft.compound_id):
        return True
    ctx.conversation.finish()
    ctx.say("notice-managers-only")
    return False


# ── The words ──


async def ask_text(ctx: Context, draft: NoticeDraft) -> None:
    ctx.say("notice-ask-text", limit=TEXT_MAX)


async def writing_text(ctx: Context, draft: NoticeDraft) -> bool:
    """The notice's words; a photo with a caption is the photo and the words."""
    photo = ctx.event.photos[-1].file_id if ctx.event.photos else None
    limit = PHOTO_TEXT_MAX if photo else TEXT_MAX
    text = typed_text(ctx, minimum=TEXT_MIN, limit=limit)
    if text is None:
        return False
    draft.text, draft.photo = text, photo
    return True


# ── Category and audience ──


async def ask_category(ctx: Context, draft: NoticeDraft) -> None:
    buttons = [b(ctx, category_name(ctx.locale, c), "cat", c) for c in NoticeCategory]
    ctx.say("notice-ask-category", keyboard(*in_rows(buttons)))


async def take_category(ctx: Context, draft: NoticeDraft, category: NoticeCategory) -> bool:
    draft.category = category
    ctx.edit(ctx.t("notice-field-category", value=category_name(ctx.locale, category)))
    return True


def _audience_buttons(ctx: Context, draft: NoticeDraft) -> Any:
    return keyboard(
        [b(ctx, ctx.t("notice-audience-all"), "aud", AudienceKind.ALL)],
        [
            b(ctx, ctx.t("notice-audience-buildings"), "aud", AudienceKind.BUILDINGS),
            b(ctx, ctx.t("notice-audience-units"), "aud", AudienceKind.UNITS),
        ],
        [
            b(
                ctx,
                tick(draft.owners_only, ctx.t("notice-owners-only")),
                "own",
                not draft.owners_only,
            )
        ],
    )


async def ask_audience(ctx: Context, draft: NoticeDraft) -> None:
    ctx.say("notice-ask-audience", _audience_buttons(ctx, draft))


async def take_owners(ctx: Context, draft: NoticeDraft, on: bool) -> bool:
    draft.owners_only = on
    ctx.edit(ctx.t("notice-ask-audience"), _audience_buttons(ctx, draft))
    ctx.conversation.keep(draft)
    return False


async def take_audience(ctx: Context, draft: NoticeDraft, kind: AudienceKind) -> bool:
    draft.audience = kind
    if kind is AudienceKind.ALL:
        ctx.edit(ctx.t("notice-field-audience", value=_audience_value(ctx, draft)))
    else:
        ctx.edit(ctx.t(f"notice-audience-{kind.value}"))
    return True


def _audience_value(ctx: Context, draft: NoticeDraft) -> str:
    text = {
        AudienceKind.BUILDINGS: building_list(ctx.locale, draft.buildings),
        AudienceKind.UNITS: ", ".join(draft.units),
    }.get(draft.audience or AudienceKind.ALL, ctx.t("notice-whole-compound"))
    return text + (ctx.t("notice-owners-only-suffix") if draft.owners_only else "")


async def _picker(
    ctx: Context, draft: NoticeDraft, key: str, chosen: list[str], field: str, done: str
) -> Any:
    names = await _building_names(ctx, draft)
    buttons = [
        b(ctx, tick(name in chosen, building_list(ctx.locale, [name])), field, name)
        for name in names
    ]
    return keyboard(*in_rows(buttons, 3), [b(ctx, ctx.t(key), done)])


async def ask_buildings(ctx: Context, draft: NoticeDraft) -> None:
    buttons = await _picker(ctx, draft, "notice-done", draft.buildings, "bld", "bdone")
    ctx.say("notice-ask-buildings", buttons)


async def _toggle(ctx: Context, draft: NoticeDraft, chosen: list[str], name: str) -> bool:
    if name not in await _building_names(ctx, draft):
        ctx.toast(ctx.t("common-button-invalid"), alert=True)
        return False
    if name in chosen:
        chosen.remove(name)
    else:
        chosen.append(name)
    chosen.sort(key=lambda n: (len(n), n))
    return True


async def take_building(ctx: Context, draft: NoticeDraft, name: str) -> bool:
    if await _toggle(ctx, draft, draft.buildings, name):
        buttons = await _picker(ctx, draft, "notice-done", draft.buildings, "bld", "bdone")
        ctx.edit(ctx.t("notice-ask-buildings"), buttons)
        ctx.conversation.keep(draft)
    return False


async def buildings_done(ctx: Context, draft: NoticeDraft, _: None) -> bool:
    if not draft.buildings:
        ctx.toast(ctx.t("notice-pick-one-building"), alert=True)
        return False
    draft.buildings_done = True
    # An outage in the buildings a notice is for is the usual case: offered as the default.
    draft.outage_buildings = list(draft.buildings)
    ctx.edit(ctx.t("notice-field-audience", value=_audience_value(ctx, draft)))
    return True


async def ask_units(ctx: Context, draft: NoticeDraft) -> None:
    ctx.say("notice-ask-units", limit=UNITS_MAX)


async def typing_units(ctx: Context, draft: NoticeDraft) -> bool:
    """Unit labels separated by commas or spaces; every one must be a unit of the compound."""
    text = typed_text(ctx, minimum=1, limit=1000)
    if text is None:
        return False
    words = [w for w in text.replace("，", ",").replace("、", ",").replace(",", " ").split() if w]
    if len(words) > UNITS_MAX:
        ctx.say("notice-units-too-many", limit=UNITS_MAX)
        return False
    found, unknown = [], []
    for word in words:
        unit = await unit_by_label(ctx.session, draft.compound_id, word)
        if unit is None:
            unknown.append(word)
        elif unit.label not in found:
            found.append(unit.label)
    if unknown or not found:
        ctx.say("notice-units-unknown", units=", ".join(unknown) or text)
        return False
    draft.units = found
    ctx.say("notice-field-audience", value=_audience_value(ctx, draft))
    return True


# ── Channels ──


async def _channel_buttons(ctx: Context, draft: NoticeDraft) -> Any:
    has_group = await resident_group(ctx.session, draft.compound_id) is not None
    rows = [
        [b(ctx, tick(c in draft.channels, ctx.t(f"notice-channel-{c.value}")), "ch", c)]
        for c in NoticeChannel
        if c is not NoticeChannel.GROUP or has_group
    ]
    rows.append([b(ctx, ctx.t("notice-done"), "chdone")])
    return keyboard(*rows)


async def ask_channels(ctx: Context, draft: NoticeDraft) -> None:
    ctx.say("notice-ask-channels", await _channel_buttons(ctx, draft))


async def take_channel(ctx: Context, draft: NoticeDraft, channel: NoticeChannel) -> bool:
    if (
        channel is NoticeChannel.GROUP
        and await resident_group(ctx.session, draft.compound_id) is None
    ):
        ctx.toast(ctx.t("notice-no-group"), alert=True)
        return False
    if channel in draft.channels:
        draft.channels.remove(channel)
    else:
        draft.channels.append(channel)
    ctx.edit(ctx.t("notice-ask-channels"), await _channel_buttons(ctx, draft))
    ctx.conversation.keep(draft)
    return False


async def channels_done(ctx: Context, draft: NoticeDraft, _: None) -> bool:
    if not draft.channels:
        ctx.toast(ctx.t("notice-pick-one-channel"), alert=True)
        return False
    draft.channels_done = True
    ctx.edit(ctx.t("notice-field-channels", value=channels_text(ctx.locale, draft.channels)))
    return True


# ── Outages: where and when ──


async def ask_outage_buildings(ctx: Context, draft: NoticeDraft) -> None:
    buttons = await _picker(ctx, draft, "notice-done", draft.outage_buildings, "obld", "odone")
    ctx.say("notice-ask-outage-buildings", buttons)


async def take_outage_building(ctx: Context, draft: NoticeDraft, name: str) -> bool:
    if await _toggle(ctx, draft, draft.outage_buildings, name):
        buttons = await _picker(ctx, draft, "notice-done", draft.outage_buildings, "obld", "odone")
        ctx.edit(ctx.t("notice-ask-outage-buildings"), buttons)
        ctx.conversation.keep(draft)
    return False


async def outage_done(ctx: Context, draft: NoticeDraft, _: None) -> bool:
    draft.outage_done = True
    named = draft.outage_buildings
    value = building_list(ctx.locale, named) if named else ctx.t("notice-whole-compound")
    ctx.edit(ctx.t("notice-field-outage-buildings", value=value))
    return True


async def ask_window(ctx: Context, draft: NoticeDraft) -> None:
    ctx.say("notice-ask-window")


async def typing_window(ctx: Context, draft: NoticeDraft) -> bool:
    text = typed_text(ctx, minimum=1, limit=100)
    if text is None:
        return False
    compound = await _compound(ctx, draft)
    now_local = local(ctx.services.clock(), compound.timezone)
    try:
        starts, ends = parse_window(text, today=now_local.date())
    except ValueError:
        ctx.say("notice-window-invalid")
        return False
    if ends <= now_local:
        ctx.say("notice-window-past")
        return False
    draft.starts, draft.ends = starts, ends
    return True


# ── When ──


async def ask_when(ctx: Context, draft: NoticeDraft) -> None:
    buttons = [b(ctx, ctx.t(f"notice-when-button-{w.value}"), "when", w) for w in When]
    ctx.say("notice-ask-when", keyboard(*in_rows(buttons)))


async def take_when(ctx: Context, draft: NoticeDraft, when: When) -> bool:
    draft.when = when
    ctx.edit(ctx.t("notice-field-when", value=ctx.t(f"notice-when-button-{when.value}")))
    return True


async def ask_moment(ctx: Context, draft: NoticeDraft) -> None:
    ctx.say("notice-ask-moment")


async def typing_moment(ctx: Context, draft: NoticeDraft) -> bool:
    text = typed_text(ctx, minimum=1, limit=100)
    if text is None:
        return False
    compound = await _compound(ctx, draft)
    now_local = local(ctx.services.clock(), compound.timezone)
    try:
        at = parse_moment(text, today=now_local.date())
    except ValueError:
        ctx.say("notice-moment-invalid")
        return False
    if at <= now_local:
        ctx.say("notice-moment-past")
        return False
    draft.at = at
    return True


def _day_buttons(ctx: Context, draft: NoticeDraft) -> Any:
    buttons = [
        b(ctx, tick(i in draft.days, ctx.t(f"notice-day-{name}")), "day", i)
        for i, name in enumerate(WEEKDAYS)
    ]
    return keyboard(*in_rows(buttons, 4), [b(ctx, ctx.t("notice-done"), "ddone")])


async def ask_days(ctx: Context, draft: NoticeDraft) -> None:
    ctx.say("notice-ask-days", _day_buttons(ctx, draft))


def weekday(raw: str) -> int:
    value = int(raw)
    if value not in range(7):
        raise ValueError(f"not a day of the week: {raw!r}")
    return value


async def take_day(ctx: Context, draft: NoticeDraft, day: int) -> bool:
    if day in draft.days:
        draft.days.remove(day)
    else:
        draft.days.append(day)
    draft.days.sort()
    ctx.edit(ctx.t("notice-ask-days"), _day_buttons(ctx, draft))
    ctx.conversation.keep(draft)
    return False


async def days_done(ctx: Context, draft: NoticeDraft, _: None) -> bool:
    if not draft.days:
        ctx.toast(ctx.t("notice-pick-one-day"), alert=True)
        return False
    draft.days_done = True
    days = ctx.t("notice-list-separator").join(
        ctx.t(f"notice-day-{WEEKDAYS[d]}") for d in draft.days
    )
    ctx.edit(ctx.t("notice-field-days", value=days))
    return True


async def ask_clock(ctx: Context, draft: NoticeDraft) -> None:
    ctx.say("notice-ask-day-clock" if draft.when is When.MONTHLY else "notice-ask-clock")


async def typing_clock(ctx: Context, draft: NoticeDraft) -> bool:
    """The time of day ("19:00"); for a monthly notice the day and time ("15 09:00")."""
    text = typed_text(ctx, minimum=1, limit=50)
    if text is None:
        return False
    words = text.replace("号", " ").replace("日", " ").split()
    try:
        if draft.when is When.MONTHLY:
            if len(words) != 2 or not words[0].isdigit() or not 1 <= int(words[0]) <= 31:
                raise ValueError(text)
            draft.day = int(words[0])
            words = words[1:]
        draft.clock = parse_clock("".join(words))
    except ValueError:
        draft.day = None
        ctx.say(
            "notice-day-clock-invalid" if draft.when is When.MONTHLY else "notice-clock-invalid"
        )
        return False
    return True


async def ask_until(ctx: Context, draft: NoticeDraft) -> None:
    ctx.say("notice-ask-until", keyboard([b(ctx, ctx.t("notice-no-end"), "noend")]))


async def typing_until(ctx: Context, draft: NoticeDraft) -> bool:
    text = typed_text(ctx, minimum=1, limit=50)
    if text is None:
        return False
    compound = await _compound(ctx, draft)
    today = local(ctx.services.clock(), compound.timezone).date()
    try:
        until = parse_date(text, today=today)
    except ValueError:
        ctx.say("notice-until-invalid")
        return False
    if until < today:
        ctx.say("notice-until-past")
        return False
    draft.until, draft.until_done = until, True
    return True


async def no_end(ctx: Context, draft: NoticeDraft, _: None) -> bool:
    draft.until, draft.until_done = None, True
    ctx.edit(ctx.t("notice-field-until", value=ctx.t("notice-no-end")))
    return True


# ── The preview and the confirmation ──


async def ask_confirm(ctx: Context, draft: NoticeDraft) -> None:
    """Exactly what residents will read, in each language the audience reads, with how many
    households and people it reaches; then Send (or Schedule) and Discard."""
    compound = await _compound(ctx, draft)
    now = ctx.services.clock()
    notice = notice_of(draft, compound, ctx.person.id, now)
    people = await readers(ctx.session, notice, compound, ctx.services.settings.default_locale)
    locales = sorted({r.locale for r in people}, key=lambda loc: loc != compound.locale)
    if not locales or NoticeChannel.GROUP.value in notice.channels:
        locales = list(dict.fromkeys([*locales, compound.locale]))
    previews = [
        ctx.t("notice-preview-language", language=ctx.t(f"notice-language-{loc}"))
        + "\n"
        + render(loc, notice, compound)
        for loc in locales
    ]
    schedule = schedule_of(draft, local(now, compound.timezone))
    group = NoticeChannel.GROUP.value in notice.channels
    ctx.say(
        "notice-preview",
        keyboard(
            [
                b(
                    ctx,
                    ctx.t(
                        "notice-confirm-now"
                        if draft.when is When.NOW
                        else "notice-confirm-schedule"
                    ),
                    "ok",
                    True,
                )
            ],
            [b(ctx, ctx.t("notice-discard"), "ok", False)],
        ),
        previews="\n\n".join(previews),
        audience=audience_text(ctx.locale, notice),
        channels=channels_text(ctx.locale, notice.channels),
        when=schedule_text(ctx.locale, schedule, now_label=draft.when is When.NOW),
        households=await households(ctx.session, notice, compound),
        people=len(people),
        group=ctx.t("notice-preview-group") if group else "",
    )


async def take_confirm(ctx: Context, draft: NoticeDraft, yes: bool) -> bool:
    """Stores the notice and sends it now, or schedules its first time."""
    ctx.conversation.finish()
    if not yes:
        ctx.edit(ctx.t("notice-discarded"))
        return False
    if not _still_manager(ctx, draft):
        return False
    compound = await _compound(ctx, draft)
    now = ctx.services.clock()
    notice = notice_of(draft, compound, ctx.person.id, now)
    schedule = Schedule.model_validate(notice.schedule)
    first = first_time(schedule, compound.timezone, now)
    if first is None:
        ctx.edit(ctx.t("notice-no-time-left"))
        return False
    ctx.session.add(notice)
    await ctx.session.flush()
    if draft.when is When.NOW:
        queued = await go_out(
            ctx.session,
            notice,
            compound,
            now,
            now,
            default_locale=ctx.services.settings.default_locale,
            progress_chat_id=ctx.chat_id,
        )
        notice.status = NoticeStatus.SENT
        ctx.edit(ctx.t("notice-sent", id=notice.id, count=queued or 0))
        return False
    await ctx.schedule(JOB, str(notice.id), first)
    notice.next_run_at = first
    ctx.edit(
        ctx.t(
            "notice-scheduled",
            id=notice.id,
            when=schedule_text(ctx.locale, schedule),
            next=local(first, compound.timezone).strftime("%Y-%m-%d %H:%M"),
        )
    )
    return False


def one_of_buildings(raw: str) -> str:
    """A building's name as a button carries it (checked against the compound on use)."""
    if not raw or len(raw) > 32:
        raise ValueError(f"not a building: {raw!r}")
    return raw


FORM: Form[NoticeDraft] = Form(
    flow=FLOW,
    model=NoticeDraft,
    title="drafts-flow-notice",
    restart=start,
    entries=("/notice (managers, private chat)",),
    steps=(
        Step(WRITING_TEXT, needed=lambda d: d.text is None, ask=ask_text, text=writing_text),
        Step(
            CHOOSING_CATEGORY,
            needed=lambda d: d.category is None,
            ask=ask_category,
            choices=(Choice("cat", NoticeCategory, take_category),),
        ),
        Step(
            CHOOSING_AUDIENCE,
            needed=lambda d: d.audience is None,
            ask=ask_audience,
            choices=(
                Choice("aud", AudienceKind, take_audience),
                Choice("own", flag, take_owners),
            ),
            exits=((CHOOSING_AUDIENCE, "owners only, toggled"),),
        ),
        Step(
            PICKING_BUILDINGS,
            needed=lambda d: d.audience is AudienceKind.BUILDINGS and not d.buildings_done,
            ask=ask_buildings,
            choices=(
                Choice("bld", one_of_buildings, take_building),
                Choice("bdone", nothing, buildings_done),
            ),
            when="chosen buildings",
        ),
        Step(
            TYPING_UNITS,
            needed=lambda d: d.audience is AudienceKind.UNITS and not d.units,
            ask=ask_units,
            text=typing_units,
            when="chosen units",
        ),
        Step(
            CHOOSING_CHANNELS,
            needed=lambda d: not d.channels_done,
            ask=ask_channels,
            choices=(
                Choice("ch", NoticeChannel, take_channel),
                Choice("chdone", nothing, channels_done),
            ),
        ),
        Step(
            PICKING_OUTAGE_BUILDINGS,
            needed=lambda d: d.outage and not d.outage_done,
            ask=ask_outage_buildings,
            choices=(
                Choice("obld", one_of_buildings, take_outage_building),
                Choice("odone", nothing, outage_done),
            ),
            when="a water or power outage",
        ),
        Step(
            TYPING_WINDOW,
            needed=lambda d: d.outage and d.starts is None,
            ask=ask_window,
            text=typing_window,
            when="a water or power outage",
        ),
        Step(
            CHOOSING_WHEN,
            needed=lambda d: d.when is None,
            ask=ask_when,
            choices=(Choice("when", When, take_when),),
        ),
        Step(
            TYPING_MOMENT,
            needed=lambda d: d.when is When.AT and d.at is None,
            ask=ask_moment,
            text=typing_moment,
            when="at a time",
        ),
        Step(
            PICKING_DAYS,
            needed=lambda d: d.when is When.WEEKLY and not d.days_done,
            ask=ask_days,
            choices=(Choice("day", weekday, take_day), Choice("ddone", nothing, days_done)),
            when="weekly",
        ),
        Step(
            TYPING_CLOCK,
            needed=lambda d: d.recurring and d.clock is None,
            ask=ask_clock,
            text=typing_clock,
            when="daily, weekly or monthly",
        ),
        Step(
            TYPING_UNTIL,
            needed=lambda d: d.recurring and not d.until_done,
            ask=ask_until,
            text=typing_until,
            choices=(Choice("noend", nothing, no_end),),
            when="daily, weekly or monthly",
        ),
        Step(
            CONFIRMING,
            needed=lambda d: True,
            ask=ask_confirm,
            choices=(Choice("ok", flag, take_confirm),),
            exits=(("[*]", "sent now, scheduled, or discarded"),),
        ),
    ),
)


def register(flows: Flows) -> None:
    FORM.register(flows)
