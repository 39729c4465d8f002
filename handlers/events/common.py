"""What every part of the events flow shares: its buttons, how an event reads, who may run it.

Every button names an event or a sign-up by id; a press is a claim, so each handler loads the
row and checks it against the presser (their compound, their household, their role) before
acting on it.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select

from bot.engine.buttons import ButtonData
from bot.engine.context import Context
from bot.engine.replies import Button
from storage.models import Building, ChatBinding, ChatPurpose, Compound, Event, EventStatus, Unit
from storage.repos.events import get_event

# Conversation flows: the creation form, the writing steps of a manager, the door.
CREATE_FLOW = "event"
ADMIN_FLOW = "event_admin"
CHECKIN_FLOW = "checkin"
# The `/start` payload that opens an event in a private chat: `events-12`.
DEEP_LINK_COMMAND = "events"


class EventAction(enum.StrEnum):
    SHOW = "s"  # an event, with its sign-up buttons
    SIGNUP = "u"  # sign up with `arg` people
    MINE = "m"  # the household's sign-ups
    LIST = "l"  # the upcoming events again
    MANAGE = "g"  # staff: the event's card and its actions
    ATTENDEES = "a"
    EDIT_TIME = "t"
    EDIT_PLACE = "p"
    MESSAGE = "w"
    CANCEL = "c"
    CANCEL_YES = "y"
    CHECKIN = "i"  # staff: the door list
    ARRIVED = "k"  # staff: sign-up `arg` came


@dataclass(frozen=True, slots=True)
class EventPress(ButtonData):
    prefix = "ev"
    action: EventAction
    event_id: int
    arg: int = 0


class SignupAction(enum.StrEnum):
    PEOPLE = "p"  # asks the new head count
    SET = "n"  # the new head count is `arg`
    CANCEL = "c"
    CANCEL_YES = "y"


@dataclass(frozen=True, slots=True)
class SignupPress(ButtonData):
    prefix = "es"
    action: SignupAction
    signup_id: int
    arg: int = 0


def event_button(
    ctx: Context, text: str, action: EventAction, event_id: int, arg: int = 0
) -> Button:
    return ctx.button(text, EventPress(action, event_id, arg))


def signup_button(
    ctx: Context, text: str, action: SignupAction, signup_id: int, arg: int = 0
) -> Button:
    return ctx.button(text, SignupPress(action, signup_id, arg))


def zone(compound: Compound | None, default: str) -> ZoneInfo:
    return ZoneInfo(compound.timezone if compound else default)


def local(ctx: Context, moment: datetime) -> datetime:
    return moment.astimezone(zone(ctx.compound, ctx.services.settings.timezone))


def when(ctx: Context, event: Event) -> str:
    """ "10-03 (周六) 18:00–21:00" in the compound's time zone."""
    start, end = local(ctx, event.starts_at), local(ctx, event.ends_at)
    day = ctx.t(f"event-weekday-{start.weekday()}")
    if start.date() == end.date():
        return ctx.t(
            "event-when-same-day",
            date=start.strftime("%m-%d"),
            day=day,
            start=start.strftime("%H:%M"),
            end=end.strftime("%H:%M"),
        )
    return ctx.t(
        "event-when-days",
        date=start.strftime("%m-%d"),
        day=day,
        start=start.strftime("%H:%M"),
        end=end.strftime("%m-%d %H:%M"),
    )


def moment(ctx: Context, value: datetime) -> str:
    return local(ctx, value).strftime("%m-%d %H:%M")


def audience_name(ctx: Context, buildings: list[str]) -> str:
    if not buildings:
        return ctx.t("event-audience-all")
    return ctx.t(
        "event-audience-buildings", buildings=ctx.t("event-list-separator").join(buildings)
    )


def card(ctx: Context, event: Event, taken: int) -> str:
    """The event as residents read it: what, when, where, who, places left."""
    lines = [ctx.t("event-card-title", title=event.title)]
    if event.status is EventStatus.CANCELLED:
        lines.append(ctx.t("event-card-cancelled"))
    if event.description:
        lines.append(event.description)
    lines += [
        ctx.t("event-card-when", value=when(ctx, event)),
        ctx.t("event-card-place", value=event.place),
        ctx.t("event-card-audience", value=audience_name(ctx, event.buildings)),
        ctx.t("event-card-per-household", count=event.per_household),
        ctx.t("event-card-deadline", value=moment(ctx, event.signup_deadline)),
        places_line(ctx, event, taken),
    ]
    return "\n".join(lines)


def places_line(ctx: Context, event: Event, taken: int) -> str:
    left = max(event.capacity - taken, 0)
    if left == 0:
        return ctx.t("event-card-full", capacity=event.capacity)
    return ctx.t("event-card-places", left=left, capacity=event.capacity)


def may_manage(ctx: Context, compound_id: int) -> bool:
    """Staff and managers of the event's compound run it."""
    return ctx.actor.is_staff(compound_id)


async def staff_event(ctx: Context, event_id: int) -> Event | None:
    """The event when the presser is staff of its compound; otherwise they are told (a forged
    or stale press) and None."""
    event = await get_event(ctx.session, event_id)
    if event is None or not may_manage(ctx, event.compound_id):
        ctx.toast(ctx.t("event-refused-not-staff"), alert=True)
        return None
    return event


async def unit_buildings(ctx: Context, unit_ids: set[int]) -> dict[int, str]:
    """Each unit's building name."""
    if not unit_ids:
        return {}
    rows = await ctx.session.execute(
        select(Unit.id, Building.name)
        .join(Building, Building.id == Unit.building_id)
        .where(Unit.id.in_(unit_ids))
    )
    return {unit_id: name for unit_id, name in rows.all()}


async def invited_units(ctx: Context, event: Event) -> list[Unit]:
    """The person's homes in the event's compound that it invites (its buildings, or all)."""
    units = [r.unit for r in ctx.actor.residencies if r.compound_id == event.compound_id]
    if not event.buildings:
        return units
    names = await unit_buildings(ctx, {u.id for u in units})
    return [u for u in units if names.get(u.id) in event.buildings]


async def residents_groups(ctx: Context, compound_id: int) -> list[int]:
    rows = await ctx.session.scalars(
        select(ChatBinding.chat_id).where(
            ChatBinding.compound_id == compound_id, ChatBinding.purpose == ChatPurpose.RESIDENTS
        )
    )
    return list(rows)


def group_ref(event_id: int) -> str:
    """The ref of the event's post in the residents' group, edited when it changes."""
    return f"event:{event_id}"
