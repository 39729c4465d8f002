"""Residents: the upcoming events, signing a household up, its sign-ups, changes and
cancelling.

`/events` (the menu's entry, free text such as "最近有什么活动", and the sign-up link under the
group post, `/start events-ID`) lists the events that invite one of the person's homes, with
the places left. An event's card offers one button per head count; a full event puts the
household on its waitlist and says its place in it. A household's sign-up shows its check-in
code, and buttons to change the head count or cancel. Places given back go at once to the
first waiting households that fit, and they are told.

Signing up needs a linked home: someone with none is offered to link one.
"""

from __future__ import annotations

from sqlalchemy import select

from bot.engine.context import Context
from bot.engine.replies import Button, keyboard
from bot.i18n import locale_for, translate
from handlers.drafts import run_command
from handlers.events.common import (
    EventAction,
    EventPress,
    SignupAction,
    SignupPress,
    card,
    event_button,
    invited_units,
    may_manage,
    moment,
    places_line,
    signup_button,
    when,
)
from handlers.widgets import in_rows
from storage.models import Event, EventSignup, EventStatus, Person, SignupStatus
from storage.repos.events import (
    cancel_signup,
    change_people,
    get_event,
    household_signup,
    lock_event,
    sign_up,
    signup_by_id,
    signups_of_units,
    taken,
    taken_by_event,
    upcoming,
    waitlist_position,
)


async def list_events(ctx: Context) -> None:
    """/events: the upcoming events with places left; `/events ID` opens one."""
    arg = ctx.event.args.strip()
    if arg:
        if not arg.isdigit() or int(arg) >= 2**31:
            ctx.say("event-not-found")
            return
        await show_event(ctx, int(arg))
        return
    compound = ctx.compound
    events = await upcoming(ctx.session, compound.id, ctx.services.clock()) if compound else []
    staff = compound is not None and may_manage(ctx, compound.id)
    if not staff:
        events = [e for e in events if await _invites(ctx, e)]
    if not events:
        ctx.say("event-none", _mine_keyboard(ctx))
        return
    counts = await taken_by_event(ctx.session, [e.id for e in events])
    lines = [
        ctx.t(
            "event-list-line",
            title=e.title,
            when=when(ctx, e),
            place=e.place,
            places=places_line(ctx, e, counts[e.id]),
        )
        for e in events
    ]
    buttons = [event_button(ctx, e.title, EventAction.SHOW, e.id) for e in events]
    rows = [*in_rows(buttons, 1), *_mine_rows(ctx)]
    ctx.say("event-list", keyboard(*rows), events="\n\n".join(lines))


async def _invites(ctx: Context, event: Event) -> bool:
    """Whether the event is for this person: one of their homes is invited, or they have
    no home yet (they see what linking one would open)."""
    if not ctx.actor.is_resident(event.compound_id):
        return not event.buildings
    return bool(await invited_units(ctx, event))


def _mine_rows(ctx: Context) -> list[list[Button]]:
    if not ctx.actor.is_resident():
        return []
    return [[event_button(ctx, ctx.t("event-btn-mine"), EventAction.MINE, 0)]]


def _mine_keyboard(ctx: Context) -> tuple[tuple[Button, ...], ...]:
    return keyboard(*_mine_rows(ctx))


async def visible_event(ctx: Context, event_id: int) -> Event | None:
    """The event when it belongs to the person's compound; otherwise they are told."""
    event = await get_event(ctx.session, event_id)
    compounds = set(ctx.actor.compound_ids())
    if ctx.compound is not None:
        compounds.add(ctx.compound.id)
    if event is None or event.compound_id not in compounds:
        ctx.say("event-not-found")
        return None
    return event


async def show_event(ctx: Context, event_id: int) -> None:
    """An event's card, the household's sign-up if any, and what they may do."""
    event = await visible_event(ctx, event_id)
    if event is None:
        return
    count = await taken(ctx.session, event.id)
    parts = [card(ctx, event, count)]
    rows: list[list[Button]] = []
    units = await invited_units(ctx, event)
    signup = await _household_signup(ctx, event, [u.id for u in units])
    now = ctx.services.clock()
    staff = may_manage(ctx, event.compound_id)
    if signup is not None:
        parts.append(await _signup_text(ctx, event, signup))
        rows += _signup_rows(ctx, event, signup)
    elif event.status is EventStatus.PUBLISHED and now < event.signup_deadline:
        if units:
            parts.append(ctx.t("event-ask-people"))
            rows += [_people_buttons(ctx, event)]
        elif staff:
            pass  # staff run the event; they sign up as residents only if they live here
        elif not ctx.actor.is_resident(event.compound_id):
            parts.append(ctx.t("event-need-home"))
        else:
            parts.append(ctx.t("event-not-invited"))
    elif event.status is EventStatus.PUBLISHED and now < event.starts_at:
        parts.append(ctx.t("event-signup-closed"))
    if staff:
        rows.append([event_button(ctx, ctx.t("event-btn-manage"), EventAction.MANAGE, event.id)])
    rows.append([event_button(ctx, ctx.t("event-btn-list"), EventAction.LIST, 0)])
    ctx.reply("\n\n".join(parts), keyboard(*rows))
    if not staff and not ctx.actor.is_resident(event.compound_id):
        await _offer_binding(ctx)


async def _offer_binding(ctx: Context) -> None:
    if "bind" in ctx.services.flows.commands:
        await run_command(ctx, "bind")


def _people_buttons(ctx: Context, event: Event) -> list[Button]:
    return [
        event_button(ctx, ctx.t("event-btn-people", count=n), EventAction.SIGNUP, event.id, n)
        for n in range(1, event.per_household + 1)
    ]


async def _household_signup(ctx: Context, event: Event, unit_ids: list[int]) -> EventSignup | None:
    for unit_id in unit_ids:
        found = await household_signup(ctx.session, event.id, unit_id)
        if found is not None and found.status is not SignupStatus.CANCELLED:
            return found
    return None


async def _signup_text(ctx: Context, event: Event, signup: EventSignup) -> str:
    if signup.status is SignupStatus.CONFIRMED:
        return ctx.t("event-yours-confirmed", count=signup.people, code=signup.code)
    position = await waitlist_position(ctx.session, signup)
    return ctx.t("event-yours-waitlisted", count=signup.people, position=position)


def _signup_rows(ctx: Context, event: Event, signup: EventSignup) -> list[list[Button]]:
    if event.status is not EventStatus.PUBLISHED or event.starts_at <= ctx.services.clock():
        return []
    return [
        [
            signup_button(ctx, ctx.t("event-btn-change"), SignupAction.PEOPLE, signup.id),
            signup_button(ctx, ctx.t("event-btn-cancel-signup"), SignupAction.CANCEL, signup.id),
        ]
    ]


async def on_event_press(ctx: Context, press: EventPress) -> None:
    """The residents' buttons: an event, a sign-up with a head count, their sign-ups, the
    list. Staff buttons go to `handlers.events.manage` (registered there)."""
    match press.action:
        case EventAction.SHOW:
            await show_event(ctx, press.event_id)
        case EventAction.SIGNUP:
            await sign_up_household(ctx, press.event_id, press.arg)
        case EventAction.MINE:
            await my_signups(ctx)
        case EventAction.LIST:
            await list_events(ctx)


async def sign_up_household(ctx: Context, event_id: int, people: int) -> None:
    """Takes places for the household, or a place on the waitlist, in one atomic step."""
    if not ctx.event.is_private:
        ctx.toast(ctx.t("common-private-only"), alert=True)
        return
    event = await lock_event(ctx.session, event_id)
    compounds = set(ctx.actor.compound_ids()) | ({ctx.compound.id} if ctx.compound else set())
    if event is None or event.compound_id not in compounds:
        ctx.toast(ctx.t("event-not-found"), alert=True)
        return
    if event.status is not EventStatus.PUBLISHED:
        ctx.say("event-refused-cancelled", title=event.title)
        return
    now = ctx.services.clock()
    if now >= event.signup_deadline:
        ctx.say("event-signup-closed")
        return
    if not 1 <= people <= event.per_household:
        ctx.toast(ctx.t("common-button-invalid"), alert=True)
        return
    if not ctx.actor.is_resident(event.compound_id):
        ctx.say("event-need-home")
        await _offer_binding(ctx)
        return
    units = await invited_units(ctx, event)
    if not units:
        ctx.say("event-not-invited")
        return
    existing = await _household_signup(ctx, event, [u.id for u in units])
    if existing is not None:
        ctx.say(
            "event-already",
            keyboard(*_signup_rows(ctx, event, existing)),
            text=await _signup_text(ctx, event, existing),
        )
        return
    change = await sign_up(
        ctx.session, event, person_id=ctx.person.id, unit_id=units[0].id, people=people, now=now
    )
    signup = change.signup
    if signup.status is SignupStatus.CONFIRMED:
        ctx.say(
            "event-signed-up",
            keyboard(*_signup_rows(ctx, event, signup)),
            title=event.title,
            when=when(ctx, event),
            place=event.place,
            count=signup.people,
            code=signup.code,
        )
    else:
        ctx.say(
            "event-waitlisted",
            keyboard(*_signup_rows(ctx, event, signup)),
            title=event.title,
            count=signup.people,
            position=await waitlist_position(ctx.session, signup),
        )


async def my_signups(ctx: Context) -> None:
    """The household's sign-ups for events that have not ended."""
    now = ctx.services.clock()
    signups = await signups_of_units(ctx.session, ctx.actor.unit_ids())
    lines, buttons = [], []
    for signup in signups:
        event = await get_event(ctx.session, signup.event_id)
        if event is None or event.ends_at <= now or event.status is not EventStatus.PUBLISHED:
            continue
        lines.append(
            ctx.t(
                "event-mine-line",
                title=event.title,
                when=when(ctx, event),
                status=await _signup_text(ctx, event, signup),
            )
        )
        buttons.append(event_button(ctx, event.title, EventAction.SHOW, event.id))
    if not lines:
        ctx.say(
            "event-mine-none",
            keyboard([event_button(ctx, ctx.t("event-btn-list"), EventAction.LIST, 0)]),
        )
        return
    ctx.say("event-mine", keyboard(*in_rows(buttons, 1)), signups="\n\n".join(lines))


async def on_signup_press(ctx: Context, press: SignupPress) -> None:
    """Changing or cancelling a sign-up: only the household's own, for an event still on."""
    signup = await signup_by_id(ctx.session, press.signup_id)
    if (
        signup is None
        or signup.unit_id not in ctx.actor.unit_ids()
        or signup.status is SignupStatus.CANCELLED
    ):
        ctx.toast(ctx.t("event-refused-signup"), alert=True)
        return
    event = await lock_event(ctx.session, signup.event_id)
    assert event is not None  # a sign-up's event is deleted with it
    now = ctx.services.clock()
    if event.status is not EventStatus.PUBLISHED or event.starts_at <= now:
        ctx.toast(ctx.t("event-refused-over"), alert=True)
        return
    match press.action:
        case SignupAction.PEOPLE:
            buttons = [
                signup_button(
                    ctx, ctx.t("event-btn-people", count=n), SignupAction.SET, signup.id, n
                )
                for n in range(1, event.per_household + 1)
                if n != signup.people
            ]
            ctx.say("event-ask-new-people", keyboard(buttons), count=signup.people)
        case SignupAction.SET:
            await _set_people(ctx, event, signup, press.arg)
        case SignupAction.CANCEL:
            ctx.say(
                "event-cancel-confirm",
                keyboard(
                    [
                        signup_button(
                            ctx, ctx.t("event-btn-cancel-yes"), SignupAction.CANCEL_YES, signup.id
                        ),
                        event_button(ctx, ctx.t("event-btn-cancel-no"), EventAction.SHOW, event.id),
                    ]
                ),
                title=event.title,
            )
        case SignupAction.CANCEL_YES:
            change = await cancel_signup(ctx.session, event, signup, now)
            ctx.edit(ctx.t("event-signup-cancelled", title=event.title))
            await tell_promoted(ctx, event, change.promoted)


async def _set_people(ctx: Context, event: Event, signup: EventSignup, people: int) -> None:
    if not 1 <= people <= event.per_household:
        ctx.toast(ctx.t("common-button-invalid"), alert=True)
        return
    now = ctx.services.clock()
    if now >= event.signup_deadline and people > signup.people:
        ctx.say("event-signup-closed")
        return
    change = await change_people(ctx.session, event, signup, people, now)
    if change is None:
        left = event.capacity - await taken(ctx.session, event.id)
        ctx.say("event-no-room-for-more", left=left, count=signup.people)
        return
    ctx.edit(
        ctx.t(
            "event-people-changed", title=event.title, text=await _signup_text(ctx, event, signup)
        )
    )
    await tell_promoted(ctx, event, [s for s in change.promoted if s.id != signup.id])
    if signup in change.promoted:
        ctx.say("event-promoted-self", title=event.title, code=signup.code)


async def tell_promoted(ctx: Context, event: Event, promoted: list[EventSignup]) -> None:
    """Tells each household moved up from the waitlist, at once, in their language."""
    if not promoted:
        return
    people = {
        p.id: p
        for p in await ctx.session.scalars(
            select(Person).where(Person.id.in_([s.person_id for s in promoted]))
        )
    }
    settings = ctx.services.settings
    for signup in promoted:
        person = people.get(signup.person_id)
        if person is None or person.telegram_id is None:
            continue
        locale = locale_for(person, ctx.compound, settings.default_locale)
        ctx.send(
            person.telegram_id,
            translate(
                locale,
                "event-promoted",
                title=event.title,
                time=moment(ctx, event.starts_at),
                place=event.place,
                count=signup.people,
                code=signup.code,
            ),
        )
