"""Staff and managers run a published event: who comes (units and head counts), a new time or
place (everyone signed up is told, and the group post changes), a message to the attendees,
cancelling it (everyone is told), and after it, turnout and no-shows.

Every button here is checked against the presser: staff of the event's compound only.
The writing steps (a new time, a new place, a message) are a small conversation holding the
event's id; `/cancel` leaves it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime

from bot.engine.context import Context
from bot.engine.replies import Button, Edit, Keyboard, keyboard
from bot.i18n import translate
from handlers.events.common import (
    ADMIN_FLOW,
    EventAction,
    EventPress,
    card,
    event_button,
    group_ref,
    moment,
    staff_event,
    when,
)
from handlers.events.create import PLACE_MAX, read_end, read_moment
from handlers.events.delivery import cancel_reminders, schedule_reminders, tell_signed_up
from handlers.widgets import typed_text
from storage.models import Compound, Event, EventSignup, EventStatus, SignupStatus
from storage.repos import audit
from storage.repos.events import attendees, get_event, taken

EDITING_TIME, EDITING_PLACE, WRITING_MESSAGE = "editing_time", "editing_place", "writing_message"
MESSAGE_MAX = 1000
_RANGE = re.compile(r"\s*(?:到|至|~|～|—|–|\bto\b)\s*", re.IGNORECASE)


async def on_manage_press(ctx: Context, press: EventPress) -> None:
    event = await staff_event(ctx, press.event_id)
    if event is None:
        return
    match press.action:
        case EventAction.MANAGE:
            await show_manage(ctx, event)
        case EventAction.ATTENDEES:
            await show_attendees(ctx, event)
        case EventAction.EDIT_TIME | EventAction.EDIT_PLACE | EventAction.MESSAGE:
            if not _still_on(ctx, event):
                return
            step = {
                EventAction.EDIT_TIME: EDITING_TIME,
                EventAction.EDIT_PLACE: EDITING_PLACE,
                EventAction.MESSAGE: WRITING_MESSAGE,
            }[press.action]
            ctx.conversation.begin(ADMIN_FLOW, step, event_id=event.id)
            ctx.say(f"event-ask-{step.replace('_', '-')}", title=event.title)
        case EventAction.CANCEL:
            if not _still_on(ctx, event):
                return
            ctx.say(
                "event-cancel-event-confirm",
                keyboard(
                    [
                        event_button(
                            ctx,
                            ctx.t("event-btn-cancel-event-yes"),
                            EventAction.CANCEL_YES,
                            event.id,
                        ),
                        event_button(
                            ctx, ctx.t("event-btn-cancel-no"), EventAction.MANAGE, event.id
                        ),
                    ]
                ),
                title=event.title,
            )
        case EventAction.CANCEL_YES:
            if not _still_on(ctx, event):
                return
            await cancel_event(ctx, event)


def _still_on(ctx: Context, event: Event) -> bool:
    if event.status is EventStatus.PUBLISHED and event.ends_at > ctx.services.clock():
        return True
    ctx.toast(ctx.t("event-refused-over"), alert=True)
    return False


async def show_manage(ctx: Context, event: Event) -> None:
    """The event's card for staff: sign-ups so far, or, once it has begun, who came."""
    count = await taken(ctx.session, event.id)
    signups = await attendees(ctx.session, event.id)
    parts = [card(ctx, event, count), summary(ctx, event, signups)]
    rows: list[list[Button]] = [
        [event_button(ctx, ctx.t("event-btn-attendees"), EventAction.ATTENDEES, event.id)]
    ]
    if event.status is EventStatus.PUBLISHED and event.ends_at > ctx.services.clock():
        rows += [
            [
                event_button(ctx, ctx.t("event-btn-edit-time"), EventAction.EDIT_TIME, event.id),
                event_button(ctx, ctx.t("event-btn-edit-place"), EventAction.EDIT_PLACE, event.id),
            ],
            [
                event_button(ctx, ctx.t("event-btn-message"), EventAction.MESSAGE, event.id),
                event_button(ctx, ctx.t("event-btn-checkin"), EventAction.CHECKIN, event.id),
            ],
            [event_button(ctx, ctx.t("event-btn-cancel-event"), EventAction.CANCEL, event.id)],
        ]
    ctx.reply("\n\n".join(parts), keyboard(*rows))


def summary(ctx: Context, event: Event, signups: list[EventSignup]) -> str:
    """Households and people confirmed and waiting; once the event has begun, turnout and
    the households that did not come."""
    confirmed = [s for s in signups if s.status is SignupStatus.CONFIRMED]
    waiting = [s for s in signups if s.status is SignupStatus.WAITLISTED]
    came = [s for s in confirmed if s.checked_in_at is not None]
    lines = [
        ctx.t(
            "event-summary-signups",
            households=len(confirmed),
            people=sum(s.people for s in confirmed),
            waiting=len(waiting),
            waiting_people=sum(s.people for s in waiting),
        )
    ]
    if event.starts_at <= ctx.services.clock() or came:
        lines.append(
            ctx.t(
                "event-summary-turnout",
                came=len(came),
                households=len(confirmed),
                people=sum(s.people for s in came),
                percent=round(100 * len(came) / len(confirmed)) if confirmed else 0,
            )
        )
    if event.starts_at <= ctx.services.clock():
        missing = [attendee_name(s) for s in confirmed if s.checked_in_at is None]
        separator = ctx.t("event-list-separator")
        lines.append(ctx.t("event-summary-no-shows", names=separator.join(missing) or "—"))
    return "\n".join(lines)


def attendee_name(signup: EventSignup) -> str:
    return f"{signup.unit.label} {signup.person.name}".strip()


async def show_attendees(ctx: Context, event: Event) -> None:
    """Every household signed up, with its unit and head count, then the waitlist."""
    signups = await attendees(ctx.session, event.id)
    confirmed = [s for s in signups if s.status is SignupStatus.CONFIRMED]
    waiting = [s for s in signups if s.status is SignupStatus.WAITLISTED]
    lines = [
        ctx.t(
            "event-attendee-line",
            number=i,
            name=attendee_name(s),
            count=s.people,
            code=s.code,
            came="✅" if s.checked_in_at else "",
        )
        for i, s in enumerate(confirmed, 1)
    ]
    waits = [
        ctx.t("event-waiting-line", number=i, name=attendee_name(s), count=s.people)
        for i, s in enumerate(waiting, 1)
    ]
    ctx.say(
        "event-attendees",
        keyboard([event_button(ctx, ctx.t("event-btn-manage"), EventAction.MANAGE, event.id)]),
        title=event.title,
        confirmed="\n".join(lines) or "—",
        waiting="\n".join(waits) or "—",
        people=sum(s.people for s in confirmed),
        capacity=event.capacity,
        id=event.id,
    )


async def _admin_event(ctx: Context) -> Event | None:
    """The event the writing step is about, while the person may still run it."""
    event_id = ctx.conversation.data.get("event_id")
    event = await get_event(ctx.session, event_id) if isinstance(event_id, int) else None
    if event is None or not ctx.actor.is_staff(event.compound_id) or not _still_on(ctx, event):
        ctx.conversation.finish()
        ctx.say("event-refused-over")
        return None
    return event


async def editing_time(ctx: Context) -> None:
    """`10-03 19:00 到 22:00`: the new start and end; everyone signed up is told."""
    event = await _admin_event(ctx)
    if event is None:
        return
    compound = await _compound(ctx, event)
    now = ctx.services.clock()
    text = (ctx.event.text or "").strip()
    parts = _RANGE.split(text, maxsplit=1)
    start = read_moment(parts[0], compound.timezone, now) if len(parts) == 2 else None
    end = read_end(parts[1], start, compound.timezone, now) if start is not None else None
    if start is None or end is None:
        ctx.say("event-time-range-invalid")
        return
    if start <= now:
        ctx.say("event-time-past")
        return
    if end <= start:
        ctx.say("event-end-before-start")
        return
    old = when(ctx, event)
    event.starts_at, event.ends_at = start, end
    if event.signup_deadline > start:
        event.signup_deadline = start
    await schedule_reminders(ctx, event)
    ctx.conversation.finish()
    new = when(ctx, event)
    told = await _tell(
        ctx,
        compound,
        event,
        f"event:{event.id}:moved:{_stamp(now)}",
        lambda locale: translate(
            locale, "event-moved", title=event.title, old=old, new=_when_in(locale, ctx, event)
        ),
    )
    await _refresh_group_post(ctx, event)
    _audit(ctx, event, "event.moved")
    ctx.say("event-moved-done", title=event.title, when=new, told=told)


def _when_in(locale: str, ctx: Context, event: Event) -> str:
    """The event's time in another person's language (the compound's time zone)."""
    return translate(
        locale,
        "event-when-plain",
        start=moment(ctx, event.starts_at),
        end=moment(ctx, event.ends_at),
    )


async def editing_place(ctx: Context) -> None:
    event = await _admin_event(ctx)
    if event is None:
        return
    text = typed_text(ctx, minimum=2, limit=PLACE_MAX)
    if text is None:
        return
    compound = await _compound(ctx, event)
    old, event.place = event.place, text
    ctx.conversation.finish()
    told = await _tell(
        ctx,
        compound,
        event,
        f"event:{event.id}:place:{_stamp(ctx.services.clock())}",
        lambda locale: translate(
            locale, "event-place-changed", title=event.title, old=old, new=text
        ),
    )
    await _refresh_group_post(ctx, event)
    _audit(ctx, event, "event.place_changed")
    ctx.say("event-place-done", title=event.title, place=text, told=told)


async def writing_message(ctx: Context) -> None:
    event = await _admin_event(ctx)
    if event is None:
        return
    text = typed_text(ctx, minimum=2, limit=MESSAGE_MAX)
    if text is None:
        return
    compound = await _compound(ctx, event)
    ctx.conversation.finish()
    told = await _tell(
        ctx,
        compound,
        event,
        f"event:{event.id}:message:{_stamp(ctx.services.clock())}",
        lambda locale: translate(locale, "event-message", title=event.title, text=text),
        statuses=(SignupStatus.CONFIRMED,),
    )
    _audit(ctx, event, "event.messaged")
    ctx.say("event-message-done", title=event.title, told=told)


async def cancel_event(ctx: Context, event: Event) -> None:
    """Cancels the event: no more sign-ups or reminders; everyone signed up is told; the
    group post says so."""
    now = ctx.services.clock()
    compound = await _compound(ctx, event)
    event.status, event.cancelled_at = EventStatus.CANCELLED, now
    await cancel_reminders(ctx.session, event)
    told = await _tell(
        ctx,
        compound,
        event,
        f"event:{event.id}:cancelled",
        lambda locale: translate(
            locale, "event-cancelled-notice", title=event.title, when=_when_in(locale, ctx, event)
        ),
    )
    await _refresh_group_post(ctx, event)
    _audit(ctx, event, "event.cancelled")
    ctx.edit(ctx.t("event-cancel-event-done", title=event.title, told=told))


async def _tell(
    ctx: Context,
    compound: Compound,
    event: Event,
    subject: str,
    text: Callable[[str], str],
    *,
    statuses: tuple[SignupStatus, ...] = (SignupStatus.CONFIRMED, SignupStatus.WAITLISTED),
) -> int:
    return await tell_signed_up(
        ctx.session,
        compound,
        event,
        subject=subject,
        text=lambda locale, _signup: text(locale),
        now=ctx.services.clock(),
        created_by=ctx.person.id,
        default_locale=ctx.services.settings.default_locale,
        statuses=statuses,
    )


async def _refresh_group_post(ctx: Context, event: Event) -> None:
    """The post in the residents' group shows the event as it now is (no sign-up link once
    cancelled)."""
    count = await taken(ctx.session, event.id)
    buttons: Keyboard = ()
    if event.status is EventStatus.PUBLISHED:
        link = ctx.services.deep_link(f"events-{event.id}")
        buttons = keyboard([Button(text=ctx.t("event-btn-signup-link"), url=link)])
    ctx.out.append(
        Edit(
            text=ctx.t("event-group-post", card=card(ctx, event, count)),
            buttons=buttons,
            ref=group_ref(event.id),
        )
    )


async def _compound(ctx: Context, event: Event) -> Compound:
    compound = await ctx.session.get(Compound, event.compound_id)
    assert compound is not None  # an event is deleted with its compound
    return compound


def _audit(ctx: Context, event: Event, action: str) -> None:
    audit.record(
        ctx.session,
        action=action,
        actor_id=ctx.person.id,
        compound_id=event.compound_id,
        target=f"event:{event.id}",
    )


def _stamp(now: datetime) -> str:
    return now.strftime("%Y%m%dT%H%M%S%f")
