"""The case lifecycle and who may move it. Plain functions over the store; no messenger here.

```
submitted ─► assigned ─► in_progress ─► resolved ─► closed (rated, or auto-closed after N days)
    │            │             │             └──► reopened ─► assigned ...
    └────────────┴─────────────┴──► cancelled (by the resident while not in progress)
```
A question for staff (an inquiry) is resolved by its answer (`answer`), from submitted too.
Every change is recorded as a CaseEvent with who and when. A refused action raises
`CaseRefused` with the locale id of the reason the user is shown.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from handlers.cases import sla
from handlers.cases.categories import at_least, minimum_urgency
from storage.models import (
    Case,
    CaseEventKind,
    CaseKind,
    CaseStatus,
    Compound,
    Deadline,
    DeadlineKind,
    Person,
    StaffMember,
    Urgency,
)
from storage.repos.cases import add_event, count_filed_since, next_number
from storage.repos.people import Actor

URGE_INTERVAL = timedelta(days=1)
# What a person with no linked home may file (questions for staff) in a rolling day.
UNLINKED_DAILY_LIMIT = 3
UNLINKED_WINDOW = timedelta(days=1)
RESPONSE_KINDS = (DeadlineKind.RESPONSE_REMINDER, DeadlineKind.RESPONSE_BREACH)
RESOLVE_KINDS = (DeadlineKind.RESOLVE_REMINDER, DeadlineKind.RESOLVE_BREACH)


class CaseRefused(Exception):
    """The action is not allowed now; `reason` is a locale id to show the user."""

    def __init__(self, reason: str, **values: object) -> None:
        super().__init__(reason)
        self.reason, self.values = reason, values


@dataclass(slots=True)
class Draft:
    """What a resident filled in, before it becomes a case."""

    kind: CaseKind
    category: str
    description: str
    urgency: Urgency = Urgency.NORMAL
    unit_id: int | None = None
    building: str | None = None
    place: str | None = None
    photos: tuple[str, ...] = ()
    visit_window: str | None = None
    anonymous: bool = False
    mediation: bool = False
    # The emergency kinds the description names ("trapped"); they may raise the urgency.
    hazards: tuple[str, ...] = ()


@dataclass(slots=True)
class Change:
    """What happened, for the announcements that follow: staff card, resident, managers."""

    case: Case
    kind: CaseEventKind
    actor: Person | None
    deadlines: list[Deadline]
    text: str = ""
    # Photos the change brought (a resident's added detail), for the staff chat to see.
    photos: tuple[str, ...] = ()


async def open_case(
    session: AsyncSession, *, compound: Compound, resident: Person, draft: Draft, now: datetime
) -> Change:
    urgency = at_least(draft.urgency, minimum_urgency(draft.category, draft.hazards))
    case = Case(
        compound_id=compound.id,
        number=await next_number(session, compound, draft.kind, now),
        kind=draft.kind,
        category=draft.category,
        urgency=urgency,
        resident_id=resident.id,
        unit_id=draft.unit_id,
        building=draft.building,
        place=draft.place,
        description=draft.description,
        photos=list(draft.photos),
        visit_window=draft.visit_window,
        anonymous=draft.anonymous,
        mediation=draft.mediation,
        created_at=now,
        updated_at=now,
    )
    case.resident = resident
    session.add(case)
    await session.flush()
    # The card names the filer as owner, tenant or family member; a new case has not loaded it.
    await session.refresh(case, ["filer_residencies"])
    deadlines = sla.plan_deadlines(session, case, compound, now)
    add_event(session, case, kind=CaseEventKind.CREATED, actor_id=resident.id, now=now)
    await session.flush()
    return Change(case, CaseEventKind.CREATED, resident, deadlines)


async def check_unlinked_allowance(
    session: AsyncSession, actor: Actor, kind: CaseKind, now: datetime
) -> None:
    """Someone with no home linked and no staff role may ask staff a few questions a day, no
    more: a stranger must not be able to fill the staff chat. Emergencies are never limited."""
    if kind is CaseKind.EMERGENCY or actor.is_resident() or actor.staff or actor.global_manager:
        return
    filed = await count_filed_since(session, actor.person.id, kind, now - UNLINKED_WINDOW)
    if filed >= UNLINKED_DAILY_LIMIT:
        raise CaseRefused("case-refused-daily-limit", limit=UNLINKED_DAILY_LIMIT)


def _require_staff(actor: Actor, case: Case) -> None:
    if not actor.is_staff(case.compound_id):
        raise CaseRefused("case-refused-not-staff")


def _require_owner(actor: Actor, case: Case) -> None:
    if case.resident_id != actor.person.id:
        raise CaseRefused("case-refused-not-yours")


def _require_open(case: Case) -> None:
    if not case.status.is_open:
        raise CaseRefused("case-refused-closed", status=case.status.value)


def _require_assignee_or_manager(actor: Actor, case: Case) -> None:
    _require_staff(actor, case)
    if case.assignee_id != actor.person.id and not actor.is_manager(case.compound_id):
        raise CaseRefused("case-refused-not-assignee")


async def _acknowledge(session: AsyncSession, case: Case, now: datetime) -> None:
    if case.acknowledged_at is None:
        case.acknowledged_at = now
        await sla.cancel_deadlines(
            session, case.id, *RESPONSE_KINDS, DeadlineKind.EMERGENCY_REALERT
        )


async def take(session: AsyncSession, case: Case, actor: Actor, now: datetime) -> Change:
    """A staff member takes a case that nobody has, and so acknowledges it."""
    _require_staff(actor, case)
    _require_open(case)
    if case.status is not CaseStatus.SUBMITTED:
        if case.assignee_id == actor.person.id:
            raise CaseRefused("case-refused-already-yours")
        raise CaseRefused("case-refused-taken")
    case.status, case.assignee_id = CaseStatus.ASSIGNED, actor.person.id
    case.assignee = actor.person
    await _acknowledge(session, case, now)
    add_event(
        session,
        case,
        kind=CaseEventKind.ASSIGNED,
        actor_id=actor.person.id,
        now=now,
        to=actor.person.id,
    )
    return Change(case, CaseEventKind.ASSIGNED, actor.person, [])


async def assign(
    session: AsyncSession, case: Case, actor: Actor, assignee: StaffMember, now: datetime
) -> Change:
    """Staff hand a case to a named colleague; a case already in progress needs a manager."""
    _require_staff(actor, case)
    _require_open(case)
    if assignee.compound_id != case.compound_id or not assignee.active:
        raise CaseRefused("case-refused-bad-assignee")
    if case.status is CaseStatus.RESOLVED:
        raise CaseRefused("case-refused-resolved")
    if case.status is CaseStatus.IN_PROGRESS and not actor.is_manager(case.compound_id):
        raise CaseRefused("case-refused-in-progress")
    if case.status is CaseStatus.SUBMITTED:
        case.status = CaseStatus.ASSIGNED
    case.assignee_id = assignee.person_id
    case.assignee = assignee.person
    await _acknowledge(session, case, now)
    add_event(
        session,
        case,
        kind=CaseEventKind.ASSIGNED,
        actor_id=actor.person.id,
        now=now,
        to=assignee.person_id,
    )
    return Change(case, CaseEventKind.ASSIGNED, actor.person, [])


async def start(session: AsyncSession, case: Case, actor: Actor, now: datetime) -> Change:
    """Work begins. A staff member starting an untaken case takes it at the same time."""
    _require_staff(actor, case)
    _require_open(case)
    if case.status is CaseStatus.SUBMITTED:
        await take(session, case, actor, now)
    _require_assignee_or_manager(actor, case)
    if case.status is not CaseStatus.ASSIGNED:
        raise CaseRefused("case-refused-wrong-state", status=case.status.value)
    case.status = CaseStatus.IN_PROGRESS
    add_event(session, case, kind=CaseEventKind.STARTED, actor_id=actor.person.id, now=now)
    return Change(case, CaseEventKind.STARTED, actor.person, [])


async def resolve(
    session: AsyncSession, case: Case, actor: Actor, note: str, compound: Compound, now: datetime
) -> Change:
    """Marks the work done with a note the resident reads; they are asked to confirm."""
    _require_assignee_or_manager(actor, case)
    if case.status not in (CaseStatus.ASSIGNED, CaseStatus.IN_PROGRESS):
        raise CaseRefused("case-refused-wrong-state", status=case.status.value)
    case.status, case.resolved_at = CaseStatus.RESOLVED, now
    if case.mediation:
        case.outcome = note
    await _acknowledge(session, case, now)
    await sla.cancel_deadlines(session, case.id, *RESOLVE_KINDS)
    deadline = sla.plan_auto_close(session, case, compound, now)
    add_event(
        session, case, kind=CaseEventKind.RESOLVED, actor_id=actor.person.id, now=now, text=note
    )
    await session.flush()
    return Change(case, CaseEventKind.RESOLVED, actor.person, [deadline], text=note)


async def cancel(session: AsyncSession, case: Case, actor: Actor, now: datetime) -> Change:
    """The resident withdraws a case while work has not started."""
    _require_owner(actor, case)
    if case.status not in (CaseStatus.SUBMITTED, CaseStatus.ASSIGNED):
        raise CaseRefused("case-refused-cannot-cancel", status=case.status.value)
    case.status, case.closed_at = CaseStatus.CANCELLED, now
    await sla.cancel_deadlines(session, case.id, *DeadlineKind)
    add_event(session, case, kind=CaseEventKind.CANCELLED, actor_id=actor.person.id, now=now)
    return Change(case, CaseEventKind.CANCELLED, actor.person, [])


async def reopen(
    session: AsyncSession, case: Case, actor: Actor, reason: str, compound: Compound, now: datetime
) -> Change:
    """The resident says it is not fixed: back to the assignee with a fresh deadline."""
    _require_owner(actor, case)
    if case.status is not CaseStatus.RESOLVED:
        raise CaseRefused("case-refused-wrong-state", status=case.status.value)
    case.status = CaseStatus.ASSIGNED if case.assignee_id else CaseStatus.SUBMITTED
    case.resolved_at = None
    await sla.cancel_deadlines(session, case.id, DeadlineKind.AUTO_CLOSE)
    deadlines = sla.plan_resolution_deadline(session, case, compound, now)
    add_event(
        session, case, kind=CaseEventKind.REOPENED, actor_id=actor.person.id, now=now, text=reason
    )
    await session.flush()
    return Change(case, CaseEventKind.REOPENED, actor.person, deadlines, text=reason)


async def rate(
    session: AsyncSession, case: Case, actor: Actor, stars: int, now: datetime
) -> Change:
    """The resident confirms the resolution with 1–5 stars; the case closes."""
    _require_owner(actor, case)
    if not 1 <= stars <= 5:
        raise CaseRefused("case-refused-bad-rating")
    if case.status is not CaseStatus.RESOLVED:
        raise CaseRefused("case-refused-wrong-state", status=case.status.value)
    case.status, case.rating, case.closed_at = CaseStatus.CLOSED, stars, now
    await sla.cancel_deadlines(session, case.id, DeadlineKind.AUTO_CLOSE)
    add_event(
        session, case, kind=CaseEventKind.RATED, actor_id=actor.person.id, now=now, stars=stars
    )
    return Change(case, CaseEventKind.RATED, actor.person, [])


def comment_rating(
    session: AsyncSession, case: Case, actor: Actor, text: str, now: datetime
) -> Change:
    """Keeps the resident's words with their rating; staff read them too."""
    _require_owner(actor, case)
    if case.rating is None:
        raise CaseRefused("case-refused-wrong-state", status=case.status.value)
    case.rating_comment = text
    add_event(
        session,
        case,
        kind=CaseEventKind.RATING_COMMENT,
        actor_id=actor.person.id,
        now=now,
        text=text,
    )
    return Change(case, CaseEventKind.RATING_COMMENT, actor.person, [], text=text)


async def auto_close(session: AsyncSession, case: Case, now: datetime) -> Change | None:
    """Closes a resolved case the resident did not confirm in time."""
    if case.status is not CaseStatus.RESOLVED:
        return None
    case.status, case.closed_at = CaseStatus.CLOSED, now
    add_event(session, case, kind=CaseEventKind.AUTO_CLOSED, actor_id=None, now=now)
    return Change(case, CaseEventKind.AUTO_CLOSED, None, [])


def urge(session: AsyncSession, case: Case, actor: Actor, now: datetime) -> Change:
    """The resident asks staff to hurry, at most once a day."""
    _require_owner(actor, case)
    _require_open(case)
    if case.status is CaseStatus.RESOLVED:
        raise CaseRefused("case-refused-resolved")
    if case.last_urged_at is not None and now - case.last_urged_at < URGE_INTERVAL:
        raise CaseRefused("case-refused-urged-today")
    case.last_urged_at = now
    add_event(session, case, kind=CaseEventKind.URGED, actor_id=actor.person.id, now=now)
    return Change(case, CaseEventKind.URGED, actor.person, [])


def add_detail(
    session: AsyncSession,
    case: Case,
    actor: Actor,
    now: datetime,
    *,
    text: str = "",
    photos: tuple[str, ...] = (),
) -> Change:
    """The resident adds a detail or photos to an open case (also answers to staff)."""
    _require_owner(actor, case)
    _require_open(case)
    if photos:
        case.photos = [*case.photos, *photos]
    add_event(
        session,
        case,
        kind=CaseEventKind.RESIDENT_MESSAGE,
        actor_id=actor.person.id,
        now=now,
        text=text,
        photos=list(photos),
    )
    return Change(case, CaseEventKind.RESIDENT_MESSAGE, actor.person, [], text=text, photos=photos)


async def message_resident(
    session: AsyncSession, case: Case, actor: Actor, text: str, now: datetime, *, question: bool
) -> Change:
    """A staff reply or question that reaches the resident as from the property office."""
    _require_staff(actor, case)
    _require_open(case)
    await _acknowledge(session, case, now)
    kind = CaseEventKind.STAFF_QUESTION if question else CaseEventKind.STAFF_MESSAGE
    add_event(session, case, kind=kind, actor_id=actor.person.id, now=now, text=text)
    return Change(case, kind, actor.person, [], text=text)


async def answer(
    session: AsyncSession, case: Case, actor: Actor, text: str, compound: Compound, now: datetime
) -> Change:
    """Staff answer a resident's question: the resident reads it as the office's answer and the
    inquiry is resolved (they may rate it, reply, or say it is not answered). Whoever answers an
    untaken question takes it; otherwise the assignee or a manager answers."""
    _require_staff(actor, case)
    _require_open(case)
    if case.kind is not CaseKind.INQUIRY:
        raise CaseRefused("case-refused-wrong-state", status=case.status.value)
    if case.status is CaseStatus.SUBMITTED:
        await take(session, case, actor, now)
    _require_assignee_or_manager(actor, case)
    if case.status not in (CaseStatus.ASSIGNED, CaseStatus.IN_PROGRESS):
        raise CaseRefused("case-refused-wrong-state", status=case.status.value)
    case.status, case.resolved_at = CaseStatus.RESOLVED, now
    await _acknowledge(session, case, now)
    await sla.cancel_deadlines(session, case.id, *RESOLVE_KINDS)
    deadline = sla.plan_auto_close(session, case, compound, now)
    add_event(
        session, case, kind=CaseEventKind.ANSWERED, actor_id=actor.person.id, now=now, text=text
    )
    await session.flush()
    return Change(case, CaseEventKind.ANSWERED, actor.person, [deadline], text=text)


def internal_note(
    session: AsyncSession, case: Case, actor: Actor, text: str, now: datetime
) -> Change:
    """A note among staff; the resident never sees it."""
    _require_staff(actor, case)
    add_event(
        session,
        case,
        kind=CaseEventKind.NOTE,
        actor_id=actor.person.id,
        now=now,
        text=text,
        internal=True,
    )
    return Change(case, CaseEventKind.NOTE, actor.person, [], text=text)


def escalate(session: AsyncSession, case: Case, now: datetime, *, breach: str) -> Change:
    case.escalated_at = now
    add_event(session, case, kind=CaseEventKind.ESCALATED, actor_id=None, now=now, breach=breach)
    return Change(case, CaseEventKind.ESCALATED, None, [], text=breach)


def may_see_identity(actor: Actor, case: Case) -> bool:
    """Staff see an anonymous complaint without its author; managers and the author see it."""
    if not case.anonymous or case.resident_id == actor.person.id:
        return True
    return actor.is_manager(case.compound_id)


async def staff_member(
    session: AsyncSession, compound_id: int, person_id: int
) -> StaffMember | None:
    return await session.scalar(
        select(StaffMember)
        .where(
            StaffMember.compound_id == compound_id,
            StaffMember.person_id == person_id,
            StaffMember.active.is_(True),
        )
        .options(selectinload(StaffMember.person))
    )
