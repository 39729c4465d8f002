"""Messages to many people about an event, through the mass-delivery outbox (bot/engine/bulk.py):
the announcement to the audience, what attendees are told when the event changes, and the
reminders a day and two hours before.

Each goes out as a broadcast with a subject of its own, so firing twice sends once. A private
message is held until the end of the compound's quiet hours unless the broadcast is urgent.
The day-before reminder always waits for the morning. The two-hours-before reminder, a change
of time or place, a cancellation and a manager's message are not urgent either, but when the
quiet hours would hold them past the start of the event they are sent at once (marked urgent):
news of an event is worth nothing after it began, and an evening event at 22:30 would
otherwise be announced the next morning.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.engine.bulk import open_broadcast, queue
from bot.engine.context import Context
from bot.engine.jobs import JobContext
from bot.engine.replies import Button, Send, keyboard
from bot.i18n import locale_for, translate
from handlers.events.common import EventAction, EventPress
from storage.models import (
    BroadcastKind,
    Compound,
    Event,
    EventSignup,
    EventStatus,
    ScheduledJob,
    SignupStatus,
)
from storage.quiet_hours import hold_until
from storage.repos import jobs
from storage.repos.audience import AudienceSpec, Topic, recipients
from storage.repos.events import attendees, get_event

REMINDER_JOB = "event-reminder"
# How long before the start each reminder goes, by the suffix of its job subject.
REMINDERS = {"day": timedelta(days=1), "2h": timedelta(hours=2)}

# The text of one message in the recipient's language, for their household's sign-up.
Text = Callable[[str, EventSignup], str]


def _stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%MZ")


def urgent_before_start(compound: Compound, event: Event, now: datetime) -> bool:
    """Whether the quiet hours would hold a message until the event has begun."""
    held = hold_until(compound, now)
    return held is not None and held >= event.starts_at


def show_button(text: str, event_id: int) -> Button:
    return Button(text=text, data=EventPress(EventAction.SHOW, event_id).pack())


async def announce(
    session: AsyncSession,
    compound: Compound,
    event: Event,
    *,
    now: datetime,
    created_by: int | None,
    default_locale: str,
) -> int:
    """Tells everyone the event invites, privately, with a button to sign up; returns how many
    messages were queued (0 when it was announced already)."""
    broadcast = await open_broadcast(
        session,
        compound=compound,
        kind=BroadcastKind.EVENT,
        subject=f"event:{event.id}:announce",
        title=event.title,
        now=now,
        created_by=created_by,
    )
    if broadcast is None:
        return 0
    people = await recipients(
        session,
        compound,
        AudienceSpec(buildings=tuple(event.buildings)),
        topic=Topic.EVENTS,
        default_locale=default_locale,
    )
    messages = [
        Send(
            chat_id=person.telegram_id,
            text=translate(person.locale, "event-announce", title=event.title),
            buttons=keyboard(
                [show_button(translate(person.locale, "event-btn-details"), event.id)]
            ),
        )
        for person in people
    ]
    return await queue(session, broadcast, messages, now, compound=compound)


async def tell_signed_up(
    session: AsyncSession,
    compound: Compound,
    event: Event,
    *,
    subject: str,
    text: Text,
    now: datetime,
    created_by: int | None,
    default_locale: str,
    statuses: Iterable[SignupStatus] = (SignupStatus.CONFIRMED, SignupStatus.WAITLISTED),
    urgent: bool | None = None,
) -> int:
    """Sends `text` to every household signed up (the person who signed it up); returns how
    many messages were queued."""
    broadcast = await open_broadcast(
        session,
        compound=compound,
        kind=BroadcastKind.EVENT,
        subject=subject,
        title=event.title,
        now=now,
        urgent=urgent_before_start(compound, event, now) if urgent is None else urgent,
        created_by=created_by,
    )
    if broadcast is None:
        return 0
    signups = await attendees(session, event.id, statuses=tuple(statuses))
    messages = [
        Send(chat_id=chat_id, text=text(locale, signup))
        for chat_id, locale, signup in _chats(signups, compound, default_locale)
    ]
    return await queue(session, broadcast, messages, now, compound=compound)


def _chats(
    signups: list[EventSignup], compound: Compound, default_locale: str
) -> list[tuple[int, str, EventSignup]]:
    """One message per person (someone who signed up two homes hears it once)."""
    seen: dict[int, tuple[int, str, EventSignup]] = {}
    for signup in signups:
        person = signup.person
        if person.telegram_id is not None and person.telegram_id not in seen:
            locale = locale_for(person, compound, default_locale)
            seen[person.telegram_id] = (person.telegram_id, locale, signup)
    return list(seen.values())


async def schedule_reminders(ctx: Context, event: Event) -> None:
    """The day-before and two-hours-before reminders (those still ahead), armed after the
    commit; a new time replaces the earlier ones (and moving back to a time revives its
    reminder, whose row is unique per time)."""
    now = ctx.services.clock()
    for which, before in REMINDERS.items():
        subject = f"{event.id}:{which}"
        await jobs.cancel(ctx.session, REMINDER_JOB, subject)
        due = event.starts_at - before
        if due <= now:
            continue
        if not await ctx.schedule(REMINDER_JOB, subject, due):
            await ctx.session.execute(
                update(ScheduledJob)
                .where(
                    ScheduledJob.kind == REMINDER_JOB,
                    ScheduledJob.subject == subject,
                    ScheduledJob.due_at == due,
                    ScheduledJob.fired_at.is_(None),
                )
                .values(cancelled=False)
            )


async def cancel_reminders(session: AsyncSession, event: Event) -> None:
    for which in REMINDERS:
        await jobs.cancel(session, REMINDER_JOB, f"{event.id}:{which}")


async def on_reminder(job: JobContext) -> None:
    """Reminds confirmed households of an event still on; one that was cancelled, moved (its
    new reminders are other rows) or has begun is left alone."""
    event_id, _, which = job.job.subject.partition(":")
    if which not in REMINDERS or not event_id.isdigit():
        return
    event = await get_event(job.session, int(event_id))
    if event is None or event.status is not EventStatus.PUBLISHED or event.starts_at <= job.now:
        return
    if which == "day" and job.now >= event.starts_at - REMINDERS["2h"]:
        return  # fired late (the bot was down): the two-hours-before reminder says it
    compound = await job.session.get(Compound, event.compound_id)
    if compound is None:
        return
    settings = job.services.settings
    zone_name = compound.timezone or settings.timezone
    await tell_signed_up(
        job.session,
        compound,
        event,
        # The start in the subject: a moved event is reminded again at its new time.
        subject=f"event-reminder:{event.id}:{which}:{_stamp(event.starts_at)}",
        text=lambda locale, signup: _reminder_text(locale, signup, which, event, zone_name),
        now=job.now,
        created_by=None,
        default_locale=settings.default_locale,
        statuses=(SignupStatus.CONFIRMED,),
        # The day before waits for the morning; two hours before must not wait past the start.
        urgent=False if which == "day" else urgent_before_start(compound, event, job.now),
    )


def _reminder_text(
    locale: str, signup: EventSignup, which: str, event: Event, zone_name: str
) -> str:
    start = event.starts_at.astimezone(ZoneInfo(zone_name))
    return translate(
        locale,
        f"event-reminder-{which}",
        title=event.title,
        time=start.strftime("%m-%d %H:%M"),
        code=signup.code,
        place=event.place,
    )
