"""`/checkin`: staff at the door. They pick the event (today's, or the only one), then type
the code a household shows (`7KQ3`) or press its name; the door list shows who came and who
is still expected. `/cancel` leaves.
"""

from __future__ import annotations

from datetime import timedelta

from bot.engine.context import Context
from bot.engine.replies import Button, keyboard
from handlers.events.common import (
    CHECKIN_FLOW,
    EventAction,
    EventPress,
    event_button,
    staff_event,
    when,
)
from handlers.events.manage import attendee_name
from storage.models import Event, EventStatus, SignupStatus
from storage.repos.events import attendees, check_in, recent, signup_by_id

CHECKING_IN = "checking_in"
# Events that ended this long ago can still be checked in to (a late list at the door).
AFTER_END = timedelta(hours=6)
# At most this many name buttons under the door list; the rest check in by code.
MAX_NAME_BUTTONS = 40


async def start(ctx: Context) -> None:
    """/checkin: staff only; the events on now or soon, or the door list of the only one."""
    compound = ctx.compound
    if compound is None or not ctx.actor.is_staff(compound.id):
        ctx.say("event-refused-not-staff")
        return
    now = ctx.services.clock()
    events = [
        e
        for e in await recent(ctx.session, compound.id, now - AFTER_END)
        if e.status is EventStatus.PUBLISHED
    ]
    if not events:
        ctx.say("event-checkin-none")
        return
    if len(events) == 1:
        await open_door(ctx, events[0])
        return
    rows = [
        [event_button(ctx, f"{e.title} · {when(ctx, e)}", EventAction.CHECKIN, e.id)]
        for e in events
    ]
    ctx.say("event-checkin-choose", keyboard(*rows))


async def on_checkin_press(ctx: Context, press: EventPress) -> None:
    """The event picked, or a name pressed on the door list."""
    event = await staff_event(ctx, press.event_id)
    if event is None:
        return
    if event.status is not EventStatus.PUBLISHED:
        ctx.toast(ctx.t("event-refused-over"), alert=True)
        return
    if press.action is EventAction.CHECKIN:
        await open_door(ctx, event)
        return
    signup = await signup_by_id(ctx.session, press.arg)
    if signup is None or signup.event_id != event.id or signup.status is not SignupStatus.CONFIRMED:
        ctx.toast(ctx.t("common-button-invalid"), alert=True)
        return
    _, already = await check_in(
        ctx.session, event.id, signup.code, by=ctx.person.id, now=ctx.services.clock()
    )
    ctx.conversation.begin(CHECKIN_FLOW, CHECKING_IN, event_id=event.id)
    key = "event-checkin-again" if already else "event-checkin-done"
    await _door_list(
        ctx, event, ctx.t(key, name=attendee_name(signup), count=signup.people), edit=True
    )


async def open_door(ctx: Context, event: Event) -> None:
    ctx.conversation.begin(CHECKIN_FLOW, CHECKING_IN, event_id=event.id)
    await _door_list(ctx, event, ctx.t("event-checkin-how"))


async def checking_in(ctx: Context) -> None:
    """A typed code: that household is marked as come."""
    event_id = ctx.conversation.data.get("event_id")
    event = await staff_event(ctx, event_id) if isinstance(event_id, int) else None
    if event is None or event.status is not EventStatus.PUBLISHED:
        ctx.conversation.finish()
        ctx.say("event-refused-over")
        return
    code = (ctx.event.text or "").strip().upper()
    if not code:
        ctx.say("event-checkin-how")
        return
    signup, already = await check_in(
        ctx.session, event.id, code, by=ctx.person.id, now=ctx.services.clock()
    )
    if signup is None:
        await _door_list(ctx, event, ctx.t("event-code-unknown", code=code[:12]))
        return
    key = "event-checkin-again" if already else "event-checkin-done"
    await _door_list(ctx, event, ctx.t(key, name=attendee_name(signup), count=signup.people))


async def _door_list(ctx: Context, event: Event, note: str, *, edit: bool = False) -> None:
    """Who came and who is expected, with a button per household still expected."""
    confirmed = await attendees(ctx.session, event.id, statuses=(SignupStatus.CONFIRMED,))
    came = [s for s in confirmed if s.checked_in_at is not None]
    expected = [s for s in confirmed if s.checked_in_at is None]
    text = ctx.t(
        "event-door",
        note=note,
        title=event.title,
        came=len(came),
        households=len(confirmed),
        people=sum(s.people for s in came),
        names="\n".join(f"✅ {attendee_name(s)} ×{s.people}" for s in came) or "—",
    )
    rows: list[list[Button]] = [
        [event_button(ctx, f"{attendee_name(s)} ×{s.people}", EventAction.ARRIVED, event.id, s.id)]
        for s in expected[:MAX_NAME_BUTTONS]
    ]
    if edit:
        ctx.edit(text, keyboard(*rows))
    else:
        ctx.reply(text, keyboard(*rows))
