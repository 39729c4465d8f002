"""A notice going out: each time is one broadcast (subject `notice:<id>:<time>`, so a time
fires once however often it is reached for), one outbox row per resident in their own
language and one for the residents' group; then the next time of a recurrence is scheduled.

Notices are never urgent: the foundation holds their private messages through the compound's
quiet hours. One exception is worth making: an outage notice due in quiet hours about an
outage that starts before they end goes out urgent, or residents would learn of the outage
after it began.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.engine.bulk import cancel as cancel_rows
from bot.engine.bulk import open_broadcast, progress, queue
from bot.engine.replies import Send
from handlers.notices.texts import render, title
from handlers.notices.timing import Schedule, latest_passed, next_time, still_current
from storage.models import (
    Broadcast,
    BroadcastKind,
    ChatBinding,
    ChatPurpose,
    Compound,
    Notice,
    NoticeCategory,
    NoticeChannel,
    NoticeStatus,
    Person,
)
from storage.quiet_hours import hold_until
from storage.repos import jobs
from storage.repos.audience import AudienceSpec, Recipient, Topic, household_count, recipients
from storage.repos.notices import audience_of

JOB = "notice"
# How long a notice other than an outage stays on the board (/notices) after it went out.
SHOWN_FOR = timedelta(days=7)

TOPICS = {
    NoticeCategory.WATER_OUTAGE: Topic.OUTAGE,
    NoticeCategory.POWER_OUTAGE: Topic.OUTAGE,
    NoticeCategory.MAINTENANCE: Topic.MAINTENANCE,
    NoticeCategory.SAFETY: Topic.SAFETY,
    NoticeCategory.COMMUNITY: Topic.COMMUNITY,
    NoticeCategory.FEES: Topic.FEES,
    NoticeCategory.OTHER: Topic.OTHER,
}


def spec_of(notice: Notice) -> AudienceSpec:
    buildings, units, owners_only = audience_of(notice)
    return AudienceSpec(buildings=buildings, units=units, owners_only=owners_only)


def subject(notice_id: int, slot: datetime) -> str:
    return f"notice:{notice_id}:{slot.astimezone(UTC).strftime('%Y-%m-%dT%H:%MZ')}"


def subject_prefix(notice_id: int) -> str:
    return f"notice:{notice_id}:"


async def resident_group(session: AsyncSession, compound_id: int) -> ChatBinding | None:
    return await session.scalar(
        select(ChatBinding).where(
            ChatBinding.compound_id == compound_id, ChatBinding.purpose == ChatPurpose.RESIDENTS
        )
    )


async def readers(
    session: AsyncSession, notice: Notice, compound: Compound, default_locale: str
) -> list[Recipient]:
    """The residents who receive it privately (none when it is not sent privately); people
    who muted its topic are left out by the audience query."""
    if NoticeChannel.PRIVATE.value not in notice.channels:
        return []
    return await recipients(
        session,
        compound,
        spec_of(notice),
        topic=TOPICS[NoticeCategory(notice.category)],
        default_locale=default_locale,
    )


async def households(session: AsyncSession, notice: Notice, compound: Compound) -> int:
    return await household_count(session, compound, spec_of(notice))


def urgent_outage(notice: Notice, compound: Compound, now: datetime) -> bool:
    """An outage notice due in quiet hours about an outage starting before they end."""
    if not NoticeCategory(notice.category).is_outage or notice.starts_at is None:
        return False
    held_until = hold_until(compound, now)
    return held_until is not None and notice.starts_at < held_until


async def go_out(
    session: AsyncSession,
    notice: Notice,
    compound: Compound,
    slot: datetime,
    now: datetime,
    *,
    default_locale: str,
    progress_chat_id: int | None = None,
) -> int | None:
    """Queues the notice's time `slot`: every reader's message and the group post. Returns
    the rows queued; None when that time went out already."""
    broadcast = await open_broadcast(
        session,
        compound=compound,
        kind=BroadcastKind.NOTICE,
        subject=subject(notice.id, slot),
        title=title(compound.locale, notice),
        now=now,
        urgent=urgent_outage(notice, compound, now),
        created_by=notice.author_id,
        progress_chat_id=progress_chat_id,
    )
    if broadcast is None:
        return None
    photos = (notice.photo,) if notice.photo else ()
    messages = [
        Send(chat_id=r.telegram_id, text=render(r.locale, notice, compound), photos=photos)
        for r in await readers(session, notice, compound, default_locale)
    ]
    if NoticeChannel.GROUP.value in notice.channels:
        group = await resident_group(session, compound.id)
        if group is not None:
            text = render(compound.locale, notice, compound)
            messages.append(Send(chat_id=group.chat_id, text=text, photos=photos))
    queued = await queue(session, broadcast, messages, now, compound=compound)
    notice.runs += 1
    notice.last_run_at = now
    shown = notice.ends_at if notice.ends_at is not None else now + SHOWN_FOR
    if notice.shown_until is None or shown > notice.shown_until:
        notice.shown_until = shown
    return queued


@dataclass(frozen=True, slots=True)
class Fired:
    """What one firing of a notice's job did: rows queued (None: nothing sent), and the next
    time scheduled (None: no more)."""

    queued: int | None
    following: datetime | None


async def fire(
    session: AsyncSession,
    notice: Notice,
    compound: Compound,
    due: datetime,
    now: datetime,
    *,
    default_locale: str,
) -> Fired:
    """A notice's job came due (perhaps late, after a restart). A one-off goes out unless its
    outage is over; a recurrence sends its latest passed time if still current (once, however
    many were missed), and names its next time for the caller to schedule."""
    if notice.status is not NoticeStatus.SCHEDULED:
        return Fired(None, None)
    schedule = Schedule.model_validate(notice.schedule)
    zone = compound.timezone
    progress_chat = await _author_chat(session, notice)
    queued: int | None = None
    if not schedule.recurring:
        if notice.ends_at is None or notice.ends_at > now:
            queued = await go_out(
                session,
                notice,
                compound,
                due,
                now,
                default_locale=default_locale,
                progress_chat_id=progress_chat,
            )
        notice.status = NoticeStatus.SENT if notice.runs else NoticeStatus.ENDED
        notice.next_run_at = None
        return Fired(queued, None)
    slot = latest_passed(schedule, zone, due, now)
    if still_current(schedule, zone, slot, now):
        queued = await go_out(
            session,
            notice,
            compound,
            slot,
            now,
            default_locale=default_locale,
            progress_chat_id=progress_chat,
        )
    following = next_time(schedule, zone, now)
    notice.next_run_at = following
    if following is None:
        notice.status = NoticeStatus.SENT if notice.runs else NoticeStatus.ENDED
    return Fired(queued, following)


async def _author_chat(session: AsyncSession, notice: Notice) -> int | None:
    if notice.author_id is None:
        return None
    return await session.scalar(select(Person.telegram_id).where(Person.id == notice.author_id))


@dataclass(frozen=True, slots=True)
class Figures:
    """How a notice's messages fared, over every time it went out."""

    sent: int = 0
    delivered: int = 0
    blocked: int = 0
    failed: int = 0
    waiting: int = 0


async def broadcasts_of(session: AsyncSession, notice_id: int) -> list[Broadcast]:
    rows = await session.scalars(
        select(Broadcast)
        .where(Broadcast.subject.startswith(subject_prefix(notice_id), autoescape=True))
        .order_by(Broadcast.id)
    )
    return list(rows)


async def figures(session: AsyncSession, notice_id: int) -> Figures:
    totals = Figures()
    for broadcast in await broadcasts_of(session, notice_id):
        p = await progress(session, broadcast.id)
        totals = Figures(
            sent=totals.sent + p.total - p.cancelled,
            delivered=totals.delivered + p.delivered,
            blocked=totals.blocked + p.blocked,
            failed=totals.failed + p.failed,
            waiting=totals.waiting + p.waiting,
        )
    return totals


def cancellable(notice: Notice, numbers: Figures) -> bool:
    """Still scheduled, or still going out."""
    return notice.status is NoticeStatus.SCHEDULED or (
        notice.status is not NoticeStatus.CANCELLED and numbers.waiting > 0
    )


async def cancel_notice(session: AsyncSession, notice: Notice, now: datetime) -> int:
    """Stops the notice: its next time is dropped, messages not yet sent are not sent, and
    it leaves the board. Returns the messages stopped."""
    notice.status = NoticeStatus.CANCELLED
    notice.cancelled_at = now
    notice.next_run_at = None
    await jobs.cancel(session, JOB, str(notice.id))
    stopped = 0
    for broadcast in await broadcasts_of(session, notice.id):
        if broadcast.finished_at is None:
            stopped += await cancel_rows(session, broadcast.id, now)
    return stopped
