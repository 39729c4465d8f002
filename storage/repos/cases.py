"""Cases in the store: numbering, the event trail, followers, lookups and listings."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from storage.models import (
    Case,
    CaseCounter,
    CaseEvent,
    CaseEventKind,
    CaseFollower,
    CaseKind,
    CaseStatus,
    Compound,
    Person,
    SentMessage,
    Urgency,
)
from storage.repos.counters import upsert_increment

NUMBER_PREFIX = {
    CaseKind.REPAIR: "R",
    CaseKind.COMPLAINT: "C",
    CaseKind.INQUIRY: "Q",
    CaseKind.EMERGENCY: "E",
}
OPEN_STATUSES = (CaseStatus.SUBMITTED, CaseStatus.ASSIGNED, CaseStatus.IN_PROGRESS)
URGENCY_ORDER = {Urgency.EMERGENCY: 0, Urgency.URGENT: 1, Urgency.NORMAL: 2}


def card_ref(case_id: int) -> str:
    """The name under which a case's staff card is remembered, so it can be edited in place."""
    return f"case:{case_id}"


def resident_ref(case_id: int) -> str:
    """Messages to the resident about a case; a reply to one of them goes to the case."""
    return f"case:{case_id}:resident"


async def next_number(
    session: AsyncSession, compound: Compound, kind: CaseKind, now: datetime
) -> str:
    """R-20261127-007: kind, the compound's local date, the day's running number.

    The counter is bumped with one atomic upsert, so concurrent filings never share a number.
    """
    day = now.astimezone(ZoneInfo(compound.timezone)).strftime("%Y%m%d")
    last = await upsert_increment(
        session, CaseCounter.last, key={"compound_id": compound.id, "day": day}
    )
    return f"{NUMBER_PREFIX[kind]}-{day}-{last:03d}"


def add_event(
    session: AsyncSession,
    case: Case,
    *,
    kind: CaseEventKind,
    actor_id: int | None,
    now: datetime,
    text: str = "",
    internal: bool = False,
    **data: object,
) -> CaseEvent:
    event = CaseEvent(
        case_id=case.id,
        actor_id=actor_id,
        kind=kind,
        text=text,
        internal=internal,
        data=dict(data),
        at=now,
    )
    session.add(event)
    case.updated_at = now
    return event


async def load_case(session: AsyncSession, case_id: int, *, lock: bool = False) -> Case | None:
    statement = (
        select(Case)
        .where(Case.id == case_id)
        .options(selectinload(Case.resident), selectinload(Case.assignee), selectinload(Case.unit))
    )
    if lock:
        statement = statement.with_for_update()
    return await session.scalar(statement)


async def case_for_staff_message(
    session: AsyncSession, *, chat_id: int, reply_to: int | None, thread_id: int | None
) -> Case | None:
    """The case a staff message in the staff chat belongs to: a reply to its card, or a
    message in its forum topic."""
    if reply_to is not None:
        ref = await session.scalar(
            select(SentMessage.ref).where(
                SentMessage.chat_id == chat_id, SentMessage.message_id == reply_to
            )
        )
        if ref and ref.startswith("case:"):
            return await load_case(session, int(ref.split(":")[1]))
    if thread_id is not None:
        ref = await session.scalar(
            select(SentMessage.ref)
            .where(
                SentMessage.chat_id == chat_id,
                SentMessage.thread_id == thread_id,
                SentMessage.ref.like("case:%"),
            )
            .limit(1)
        )
        if ref:
            return await load_case(session, int(ref.split(":")[1]))
    return None


async def staff_thread(session: AsyncSession, case_id: int, chat_id: int) -> int | None:
    """The forum topic of a case in the staff chat, if its card opened one."""
    return await session.scalar(
        select(SentMessage.thread_id)
        .where(
            SentMessage.ref == card_ref(case_id),
            SentMessage.chat_id == chat_id,
            SentMessage.thread_id.is_not(None),
        )
        .limit(1)
    )


async def case_for_resident_reply(
    session: AsyncSession, *, chat_id: int, reply_to: int
) -> Case | None:
    ref = await session.scalar(
        select(SentMessage.ref).where(
            SentMessage.chat_id == chat_id, SentMessage.message_id == reply_to
        )
    )
    if ref and ref.startswith("case:") and ref.endswith(":resident"):
        return await load_case(session, int(ref.split(":")[1]))
    return None


async def follower_ids(session: AsyncSession, case_id: int) -> list[int]:
    rows = await session.scalars(
        select(Person.telegram_id)
        .join(CaseFollower, CaseFollower.person_id == Person.id)
        .where(CaseFollower.case_id == case_id, Person.telegram_id.is_not(None))
    )
    return [r for r in rows if r is not None]


async def add_follower(session: AsyncSession, case_id: int, person_id: int) -> bool:
    exists = await session.scalar(
        select(CaseFollower.id).where(
            CaseFollower.case_id == case_id, CaseFollower.person_id == person_id
        )
    )
    if exists is not None:
        return False
    session.add(CaseFollower(case_id=case_id, person_id=person_id))
    return True


async def open_duplicates(
    session: AsyncSession, *, compound_id: int, building: str, category: str
) -> list[Case]:
    """Open common-area cases of the same kind of fault in the same building."""
    rows = await session.scalars(
        select(Case)
        .where(
            Case.compound_id == compound_id,
            Case.building == building,
            Case.category == category,
            Case.unit_id.is_(None),
            Case.status.in_(OPEN_STATUSES),
        )
        .order_by(Case.created_at.desc())
        .limit(3)
    )
    return list(rows)


async def recent_open_case(
    session: AsyncSession,
    *,
    compound_id: int,
    resident_id: int,
    kind: CaseKind,
    since: datetime,
) -> Case | None:
    """The resident's latest open case of `kind` in the compound opened at or after `since`,
    loaded and locked for an update (a follow-up message joins it)."""
    case_id = await session.scalar(
        select(Case.id)
        .where(
            Case.compound_id == compound_id,
            Case.resident_id == resident_id,
            Case.kind == kind,
            Case.status.in_(OPEN_STATUSES),
            Case.created_at >= since,
        )
        .order_by(Case.created_at.desc())
        .limit(1)
    )
    return await load_case(session, case_id, lock=True) if case_id is not None else None


async def open_cases(
    session: AsyncSession, compound_id: int, *, assignee_id: int | None = None, limit: int = 30
) -> list[Case]:
    """Open cases, most urgent first, then oldest first."""
    statement = (
        select(Case)
        .where(Case.compound_id == compound_id, Case.status.in_(OPEN_STATUSES))
        .options(selectinload(Case.assignee))
    )
    if assignee_id is not None:
        statement = statement.where(Case.assignee_id == assignee_id)
    rows = list(await session.scalars(statement))
    rows.sort(key=lambda c: (URGENCY_ORDER[c.urgency], c.created_at))
    return rows[:limit]


async def cases_of_resident(
    session: AsyncSession, person_id: int, *, limit: int = 10
) -> list[Case]:
    followed = select(CaseFollower.case_id).where(CaseFollower.person_id == person_id)
    rows = await session.scalars(
        select(Case)
        .where((Case.resident_id == person_id) | Case.id.in_(followed))
        .order_by(Case.created_at.desc())
        .limit(limit)
    )
    return list(rows)


async def count_filed_since(
    session: AsyncSession, person_id: int, kind: CaseKind, since: datetime
) -> int:
    """How many cases of `kind` the person filed from `since` on."""
    found = await session.scalar(
        select(func.count(Case.id)).where(
            Case.resident_id == person_id, Case.kind == kind, Case.created_at >= since
        )
    )
    return int(found or 0)


async def resident_visible_events(
    session: AsyncSession, case_id: int, kinds: tuple[str, ...]
) -> list[CaseEvent]:
    """The case's events of `kinds` that are not internal notes, oldest first."""
    rows = await session.scalars(
        select(CaseEvent)
        .where(
            CaseEvent.case_id == case_id,
            CaseEvent.internal.is_(False),
            CaseEvent.kind.in_(kinds),
        )
        .order_by(CaseEvent.id)
    )
    return list(rows)
