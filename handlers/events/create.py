"""`/event`: a manager or staff member describes an event in a private chat, sees it as
residents will, and publishes it.

```mermaid
stateDiagram-v2
    [*] --> naming: /event
    naming --> describing
    describing --> starting
    starting --> ending
    ending --> placing
    placing --> sizing
    sizing --> limiting
    limiting --> closing
    closing --> inviting
    inviting --> inviting: a building toggled
    inviting --> picturing
    picturing --> previewing
    previewing --> naming: edit a part, then back to previewing
    previewing --> [*]: publish (and, if chosen, message everyone invited)
```
Times are typed as `10-03 18:00` (or with the year, `2026-10-03 18:00`; `10月3日 18:00`) in
the compound's time zone; the end may be only a time of day (`21:00`), on the day it starts.
`/cancel` leaves at any step.
"""

from __future__ import annotations

import enum
import re
from datetime import datetime, timedelta

from pydantic import BaseModel, ConfigDict

from bot.engine.context import Context
from bot.engine.replies import Button, keyboard
from handlers.events.common import (
    CREATE_FLOW,
    EventAction,
    audience_name,
    card,
    event_button,
    group_ref,
    residents_groups,
    when,
    zone,
)
from handlers.events.delivery import announce, schedule_reminders
from handlers.forms import Choice, Form, Step, form_button, nothing, reset
from handlers.widgets import in_rows, typed_text
from storage.models import Event, EventStatus
from storage.repos import audit
from storage.repos.compounds import buildings_of

TITLE_MAX, DESCRIPTION_MAX, PLACE_MAX = 60, 1000, 200
CAPACITY_MAX = 10_000
PER_HOUSEHOLD_BUTTONS = 5
ALL_BUILDINGS, AUDIENCE_DONE = "*", "+"
NEXT_YEAR_AFTER_DAYS = 30

_MOMENT = re.compile(
    r"^(?:(?P<year>\d{4})\s*[-/.年]\s*)?(?P<month>\d{1,2})\s*[-/.月]\s*(?P<day>\d{1,2})\s*[日号]?"
    r"\s*(?P<hour>\d{1,2})\s*[:：点]\s*(?P<minute>\d{2})?\s*分?$"
)
_TIME = re.compile(r"^(?P<hour>\d{1,2})\s*[:：点]\s*(?P<minute>\d{2})?\s*分?$")


class Preview(enum.StrEnum):
    PUBLISH = "p"
    PUBLISH_AND_TELL = "b"
    TITLE = "t"
    TIME = "w"
    PLACE = "l"
    NUMBERS = "n"
    AUDIENCE = "a"


# What each edit button clears: the form asks for it again, then shows the preview.
CLEARS = {
    Preview.TITLE: ("title", "description"),
    Preview.TIME: ("starts_at", "ends_at", "deadline"),
    Preview.PLACE: ("place",),
    Preview.NUMBERS: ("capacity", "per_household"),
    Preview.AUDIENCE: ("buildings", "audience_done"),
}


class EventDraft(BaseModel):
    """The event as far as it has been described."""

    model_config = ConfigDict(extra="ignore")

    compound_id: int
    title: str | None = None
    description: str | None = None
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    place: str | None = None
    capacity: int | None = None
    per_household: int | None = None
    deadline: datetime | None = None
    buildings: list[str] = []
    audience_done: bool = False
    photo: str | None = None
    photo_done: bool = False


def read_moment(text: str, zone_name: str, now: datetime) -> datetime | None:
    """`10-03 18:00`, `2026-10-03 18:00`, `10月3日 18点` in the compound's zone, as UTC;
    without a year, this year's, or next year's when this year's is a month gone. None when
    it is not a date and time."""
    found = _MOMENT.match(text.strip())
    if found is None:
        return None
    tz = zone(None, zone_name)
    try:
        year = int(found["year"]) if found["year"] else now.astimezone(tz).year
        moment = datetime(
            year,
            int(found["month"]),
            int(found["day"]),
            int(found["hour"]),
            int(found["minute"] or 0),
            tzinfo=tz,
        )
    except ValueError:
        return None
    # "01-05" typed in December means next January; "03-01" typed on 03-02 is a slip, and
    # is refused as past rather than read as next year.
    if not found["year"] and moment < now - timedelta(days=NEXT_YEAR_AFTER_DAYS):
        moment = moment.replace(year=moment.year + 1)
    return moment.astimezone(now.tzinfo)


def read_end(text: str, start: datetime, zone_name: str, now: datetime) -> datetime | None:
    """A time of day on the day the event starts (`21:00`), or a date and time."""
    found = _TIME.match(text.strip())
    if found is None:
        return read_moment(text, zone_name, now)
    tz = zone(None, zone_name)
    try:
        end = start.astimezone(tz).replace(
            hour=int(found["hour"]), minute=int(found["minute"] or 0), second=0, microsecond=0
        )
    except ValueError:
        return None
    return end.astimezone(now.tzinfo)


def _zone_name(ctx: Context) -> str:
    return ctx.compound.timezone if ctx.compound else ctx.services.settings.timezone


def _number(ctx: Context, low: int, high: int) -> int | None:
    text = (ctx.event.text or "").strip()
    if not text.isdigit() or not low <= int(text) <= high:
        ctx.say("event-number-invalid", low=low, high=high)
        return None
    return int(text)


async def start(ctx: Context) -> None:
    """/event: staff and managers only, in a private chat."""
    compound = ctx.compound
    if compound is None or not ctx.actor.is_staff(compound.id):
        ctx.say("event-refused-not-staff")
        return
    await FORM.start(ctx, EventDraft(compound_id=compound.id))


async def ask_title(ctx: Context, draft: EventDraft) -> None:
    ctx.say("event-ask-title")


async def take_title(ctx: Context, draft: EventDraft) -> bool:
    text = typed_text(ctx, minimum=2, limit=TITLE_MAX)
    if text is None:
        return False
    draft.title = text
    return True


async def ask_description(ctx: Context, draft: EventDraft) -> None:
    ctx.say("event-ask-description")


async def take_description(ctx: Context, draft: EventDraft) -> bool:
    text = typed_text(ctx, minimum=2, limit=DESCRIPTION_MAX)
    if text is None:
        return False
    draft.description = text
    return True


async def ask_start(ctx: Context, draft: EventDraft) -> None:
    ctx.say("event-ask-start")


async def take_start(ctx: Context, draft: EventDraft) -> bool:
    now = ctx.services.clock()
    moment = read_moment(ctx.event.text or "", _zone_name(ctx), now)
    if moment is None:
        ctx.say("event-time-invalid")
        return False
    if moment <= now:
        ctx.say("event-time-past")
        return False
    draft.starts_at = moment
    return True


async def ask_end(ctx: Context, draft: EventDraft) -> None:
    ctx.say("event-ask-end")


async def take_end(ctx: Context, draft: EventDraft) -> bool:
    assert draft.starts_at is not None  # asked only after the start
    end = read_end(ctx.event.text or "", draft.starts_at, _zone_name(ctx), ctx.services.clock())
    if end is None:
        ctx.say("event-time-invalid")
        return False
    if end <= draft.starts_at:
        ctx.say("event-end-before-start")
        return False
    draft.ends_at = end
    return True


async def ask_place(ctx: Context, draft: EventDraft) -> None:
    ctx.say("event-ask-place")


async def take_place(ctx: Context, draft: EventDraft) -> bool:
    text = typed_text(ctx, minimum=2, limit=PLACE_MAX)
    if text is None:
        return False
    draft.place = text
    return True


async def ask_capacity(ctx: Context, draft: EventDraft) -> None:
    ctx.say("event-ask-capacity")


async def take_capacity(ctx: Context, draft: EventDraft) -> bool:
    number = _number(ctx, 1, CAPACITY_MAX)
    if number is None:
        return False
    draft.capacity = number
    if draft.per_household is not None and draft.per_household > number:
        draft.per_household = None
    return True


async def ask_per_household(ctx: Context, draft: EventDraft) -> None:
    top = min(PER_HOUSEHOLD_BUTTONS, draft.capacity or 1)
    buttons = [form_button(ctx, CREATE_FLOW, str(n), "per_household", n) for n in range(1, top + 1)]
    ctx.say("event-ask-per-household", keyboard(buttons))


async def take_per_household_text(ctx: Context, draft: EventDraft) -> bool:
    number = _number(ctx, 1, draft.capacity or 1)
    if number is None:
        return False
    draft.per_household = number
    return True


async def take_per_household(ctx: Context, draft: EventDraft, value: int) -> bool:
    if not 1 <= value <= (draft.capacity or 1):
        ctx.toast(ctx.t("common-button-invalid"), alert=True)
        return False
    draft.per_household = value
    ctx.edit(ctx.t("event-chosen-per-household", count=value))
    return True


async def ask_deadline(ctx: Context, draft: EventDraft) -> None:
    button = form_button(ctx, CREATE_FLOW, ctx.t("event-btn-until-start"), "deadline")
    ctx.say("event-ask-deadline", keyboard([button]))


async def take_deadline_text(ctx: Context, draft: EventDraft) -> bool:
    assert draft.starts_at is not None
    now = ctx.services.clock()
    moment = read_moment(ctx.event.text or "", _zone_name(ctx), now)
    if moment is None:
        ctx.say("event-time-invalid")
        return False
    if moment <= now or moment > draft.starts_at:
        ctx.say("event-deadline-invalid")
        return False
    draft.deadline = moment
    return True


async def take_until_start(ctx: Context, draft: EventDraft, _: None) -> bool:
    draft.deadline = draft.starts_at
    ctx.edit(ctx.t("event-chosen-until-start"))
    return True


async def ask_audience(ctx: Context, draft: EventDraft) -> None:
    """The whole compound, or the buildings chosen one by one (✅ marks a chosen one)."""
    names = [b.name for b in await buildings_of(ctx.session, draft.compound_id)]
    toggles = [
        form_button(
            ctx,
            CREATE_FLOW,
            ctx.t(
                "event-btn-building-on" if name in draft.buildings else "event-btn-building",
                name=name,
            ),
            "audience",
            name,
        )
        for name in names
    ]
    rows: list[list[Button]] = [
        [form_button(ctx, CREATE_FLOW, ctx.t("event-btn-all"), "audience", ALL_BUILDINGS)],
        *in_rows(toggles, 4),
    ]
    if draft.buildings:
        rows.append(
            [
                form_button(
                    ctx, CREATE_FLOW, ctx.t("event-btn-buildings-done"), "audience", AUDIENCE_DONE
                )
            ]
        )
    chosen = audience_name(ctx, draft.buildings) if draft.buildings else "—"
    ctx.say("event-ask-audience", keyboard(*rows), chosen=chosen)


async def take_audience(ctx: Context, draft: EventDraft, value: str) -> bool:
    if value == ALL_BUILDINGS:
        draft.buildings, draft.audience_done = [], True
        ctx.edit(ctx.t("event-chosen-audience", value=audience_name(ctx, [])))
        return True
    if value == AUDIENCE_DONE:
        if not draft.buildings:
            ctx.toast(ctx.t("common-button-invalid"), alert=True)
            return False
        draft.audience_done = True
        ctx.edit(ctx.t("event-chosen-audience", value=audience_name(ctx, draft.buildings)))
        return True
    names = [b.name for b in await buildings_of(ctx.session, draft.compound_id)]
    if value not in names:
        ctx.toast(ctx.t("common-button-invalid"), alert=True)
        return False
    chosen = set(draft.buildings) ^ {value}
    draft.buildings = [name for name in names if name in chosen]
    ctx.edit(
        ctx.t(
            "event-chosen-audience",
            value=audience_name(ctx, draft.buildings) if draft.buildings else "—",
        )
    )
    return True  # asks again, with the building marked


async def ask_photo(ctx: Context, draft: EventDraft) -> None:
    button = form_button(ctx, CREATE_FLOW, ctx.t("event-btn-no-photo"), "photo")
    ctx.say("event-ask-photo", keyboard([button]))


async def take_photo(ctx: Context, draft: EventDraft) -> bool:
    if not ctx.event.photos:
        ctx.say("event-ask-photo-again")
        return False
    draft.photo, draft.photo_done = ctx.event.photos[0].file_id, True
    return True


async def take_no_photo(ctx: Context, draft: EventDraft, _: None) -> bool:
    draft.photo, draft.photo_done = None, True
    ctx.edit(ctx.t("event-chosen-no-photo"))
    return True


def as_event(draft: EventDraft) -> Event:
    """The event the draft describes (not added to the session)."""
    assert draft.title and draft.place and draft.starts_at and draft.ends_at and draft.deadline
    assert draft.capacity and draft.per_household
    return Event(
        compound_id=draft.compound_id,
        title=draft.title,
        description=draft.description or "",
        place=draft.place,
        starts_at=draft.starts_at,
        ends_at=draft.ends_at,
        signup_deadline=draft.deadline,
        capacity=draft.capacity,
        per_household=draft.per_household,
        buildings=list(draft.buildings),
        photo=draft.photo,
        status=EventStatus.PUBLISHED,
    )


async def ask_preview(ctx: Context, draft: EventDraft) -> None:
    """The event as residents will see it, then publish or change a part."""
    preview = card(ctx, as_event(draft), 0)
    extra = ctx.t("event-preview-photo") if draft.photo else ""
    edits = [
        form_button(ctx, CREATE_FLOW, ctx.t(f"event-btn-edit-{c.name.lower()}"), "preview", c)
        for c in CLEARS
    ]
    buttons = [
        [form_button(ctx, CREATE_FLOW, ctx.t("event-btn-publish"), "preview", Preview.PUBLISH)],
        [
            form_button(
                ctx,
                CREATE_FLOW,
                ctx.t("event-btn-publish-tell"),
                "preview",
                Preview.PUBLISH_AND_TELL,
            )
        ],
        *in_rows(edits, 3),
    ]
    ctx.say("event-preview", keyboard(*buttons), card=preview, photo=extra)


async def take_preview(ctx: Context, draft: EventDraft, choice: Preview) -> bool:
    if choice in CLEARS:
        reset(draft, CLEARS[choice])
        return True
    now = ctx.services.clock()
    if draft.starts_at is None or draft.starts_at <= now:
        reset(draft, CLEARS[Preview.TIME])
        ctx.say("event-time-past")
        return True
    event = as_event(draft)
    event.created_by, event.created_at = ctx.person.id, now
    ctx.session.add(event)
    await ctx.session.flush()
    ctx.conversation.finish()
    await publish(ctx, event, tell=choice is Preview.PUBLISH_AND_TELL)
    return False


async def publish(ctx: Context, event: Event, *, tell: bool) -> None:
    """The post in the residents' group with its sign-up link, the reminders, and (when
    asked) a private message to everyone the event invites."""
    compound = ctx.compound
    assert compound is not None and compound.id == event.compound_id
    now = ctx.services.clock()
    groups = await residents_groups(ctx, compound.id)
    link = ctx.services.deep_link(f"events-{event.id}")
    for chat_id in groups:
        ctx.send(
            chat_id,
            ctx.t("event-group-post", card=card(ctx, event, 0)),
            keyboard([Button(text=ctx.t("event-btn-signup-link"), url=link)]),
            ref=group_ref(event.id),
            photos=(event.photo,) if event.photo else (),
        )
    await schedule_reminders(ctx, event)
    told = 0
    if tell:
        told = await announce(
            ctx.session,
            compound,
            event,
            now=now,
            created_by=ctx.person.id,
            default_locale=ctx.services.settings.default_locale,
        )
    audit.record(
        ctx.session,
        action="event.published",
        actor_id=ctx.person.id,
        compound_id=compound.id,
        target=f"event:{event.id}",
        told=told,
    )
    ctx.say(
        "event-published",
        keyboard([event_button(ctx, ctx.t("event-btn-manage"), EventAction.MANAGE, event.id)]),
        title=event.title,
        id=event.id,
        when=when(ctx, event),
        groups=len(groups),
        told=told,
    )


FORM: Form[EventDraft] = Form(
    flow=CREATE_FLOW,
    model=EventDraft,
    entries=("/event",),
    title="drafts-flow-event",
    restart=start,
    steps=(
        Step("naming", lambda d: d.title is None, ask_title, take_title),
        Step("describing", lambda d: d.description is None, ask_description, take_description),
        Step("starting", lambda d: d.starts_at is None, ask_start, take_start),
        Step("ending", lambda d: d.ends_at is None, ask_end, take_end),
        Step("placing", lambda d: d.place is None, ask_place, take_place),
        Step("sizing", lambda d: d.capacity is None, ask_capacity, take_capacity),
        Step(
            "limiting",
            lambda d: d.per_household is None,
            ask_per_household,
            take_per_household_text,
            choices=(Choice("per_household", int, take_per_household),),
        ),
        Step(
            "closing",
            lambda d: d.deadline is None,
            ask_deadline,
            take_deadline_text,
            choices=(Choice("deadline", nothing, take_until_start),),
        ),
        Step(
            "inviting",
            lambda d: not d.audience_done,
            ask_audience,
            choices=(Choice("audience", str, take_audience),),
            exits=(("inviting", "a building toggled"),),
        ),
        Step(
            "picturing",
            lambda d: not d.photo_done,
            ask_photo,
            take_photo,
            choices=(Choice("photo", nothing, take_no_photo),),
        ),
        Step(
            "previewing",
            lambda d: True,
            ask_preview,
            choices=(Choice("preview", Preview, take_preview),),
            exits=(
                ("naming", "edit a part, then back to previewing"),
                ("[*]", "publish (and, if chosen, message everyone invited)"),
            ),
        ),
    ),
)
