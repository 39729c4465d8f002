"""Response and resolution deadlines per category and urgency, and the rows that time them.

Defaults: emergencies in minutes, urgent requests in hours, normal ones in days. A compound
overrides any of them in its settings:
`{"sla": {"repair.lift": {"normal": {"response": 60, "resolve": 1440}}}}` (minutes).
Normal requests count the compound's office hours (storage/working_hours.py): eight
hours filed at night are due eight office hours later. Urgent ones and emergencies count every
minute of the day.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from storage import working_hours
from storage.models import Case, CaseKind, Compound, Deadline, DeadlineKind, Urgency

# (response, resolve) in minutes.
DEFAULTS: dict[Urgency, tuple[int, int]] = {
    Urgency.EMERGENCY: (15, 4 * 60),
    Urgency.URGENT: (2 * 60, 24 * 60),
    Urgency.NORMAL: (24 * 60, 3 * 24 * 60),
}
KIND_DEFAULTS: dict[CaseKind, dict[Urgency, tuple[int, int]]] = {
    CaseKind.COMPLAINT: {Urgency.NORMAL: (24 * 60, 7 * 24 * 60)},
    CaseKind.INQUIRY: {Urgency.NORMAL: (8 * 60, 2 * 24 * 60)},
}
CATEGORY_DEFAULTS: dict[str, dict[Urgency, tuple[int, int]]] = {
    # A lift out of service strands the elderly upstairs: faster than other normal repairs.
    "repair.lift": {Urgency.NORMAL: (4 * 60, 24 * 60)},
}
EMERGENCY_REALERT = timedelta(minutes=5)
AUTO_CLOSE_DAYS = 3
MIN_REMINDER_LEAD = timedelta(minutes=5)


@dataclass(frozen=True, slots=True)
class Windows:
    response: timedelta
    resolve: timedelta


def windows(case: Case, compound: Compound) -> Windows:
    key = f"{case.kind.value}.{case.category}"
    response, resolve = DEFAULTS[case.urgency]
    for table in (KIND_DEFAULTS.get(case.kind, {}), CATEGORY_DEFAULTS.get(key, {})):
        if case.urgency in table:
            response, resolve = table[case.urgency]
    override = ((compound.settings or {}).get("sla") or {}).get(key, {}).get(case.urgency.value)
    if override:
        response = int(override.get("response", response))
        resolve = int(override.get("resolve", resolve))
    return Windows(timedelta(minutes=response), timedelta(minutes=resolve))


def counts_office_hours(case: Case, compound: Compound) -> bool:
    """Normal requests wait for the office to open; urgent ones and emergencies do not."""
    return case.urgency is Urgency.NORMAL and not working_hours.of(compound).always


def due_after(case: Case, compound: Compound, start: datetime, span: timedelta) -> datetime:
    """`span` after `start`: in office hours for normal requests, round the clock otherwise."""
    if not counts_office_hours(case, compound):
        return start + span
    return working_hours.of(compound).add(start, span, ZoneInfo(compound.timezone))


def auto_close_after(compound: Compound) -> timedelta:
    return timedelta(days=int((compound.settings or {}).get("auto_close_days", AUTO_CLOSE_DAYS)))


def _reminder(case: Case, compound: Compound, window: timedelta, now: datetime) -> datetime | None:
    """A reminder a quarter of the window before the deadline (counted as the deadline is), if
    that is still ahead."""
    lead = max(window / 4, MIN_REMINDER_LEAD)
    if lead >= window:
        return None
    return due_after(case, compound, now, window - lead)


def plan_deadlines(
    session: AsyncSession, case: Case, compound: Compound, now: datetime
) -> list[Deadline]:
    """Sets the case's due times and adds the deadline rows that watch them."""
    w = windows(case, compound)
    case.response_due = due_after(case, compound, now, w.response)
    case.resolve_due = due_after(case, compound, now, w.resolve)
    rows = [
        Deadline(case_id=case.id, kind=DeadlineKind.RESPONSE_BREACH, due_at=case.response_due),
        Deadline(case_id=case.id, kind=DeadlineKind.RESOLVE_BREACH, due_at=case.resolve_due),
    ]
    for kind, window in (
        (DeadlineKind.RESPONSE_REMINDER, w.response),
        (DeadlineKind.RESOLVE_REMINDER, w.resolve),
    ):
        at = _reminder(case, compound, window, now)
        if at is not None:
            rows.append(Deadline(case_id=case.id, kind=kind, due_at=at))
    if case.urgency is Urgency.EMERGENCY:
        rows.append(
            Deadline(
                case_id=case.id, kind=DeadlineKind.EMERGENCY_REALERT, due_at=now + EMERGENCY_REALERT
            )
        )
    session.add_all(rows)
    return rows


def plan_resolution_deadline(
    session: AsyncSession, case: Case, compound: Compound, now: datetime
) -> list[Deadline]:
    """A reopened case gets a fresh resolution window."""
    w = windows(case, compound)
    case.resolve_due = due_after(case, compound, now, w.resolve)
    rows = [Deadline(case_id=case.id, kind=DeadlineKind.RESOLVE_BREACH, due_at=case.resolve_due)]
    at = _reminder(case, compound, w.resolve, now)
    if at is not None:
        rows.append(Deadline(case_id=case.id, kind=DeadlineKind.RESOLVE_REMINDER, due_at=at))
    session.add_all(rows)
    return rows


def plan_auto_close(
    session: AsyncSession, case: Case, compound: Compound, now: datetime
) -> Deadline:
    row = Deadline(
        case_id=case.id, kind=DeadlineKind.AUTO_CLOSE, due_at=now + auto_close_after(compound)
    )
    session.add(row)
    return row


def plan_realert(session: AsyncSession, case: Case, now: datetime) -> Deadline:
    row = Deadline(
        case_id=case.id, kind=DeadlineKind.EMERGENCY_REALERT, due_at=now + EMERGENCY_REALERT
    )
    session.add(row)
    return row


async def cancel_deadlines(session: AsyncSession, case_id: int, *kinds: DeadlineKind) -> None:
    """Stops pending deadlines that no longer apply (the case was answered, resolved, ...)."""
    await session.execute(
        update(Deadline)
        .where(
            Deadline.case_id == case_id,
            Deadline.kind.in_(kinds),
            Deadline.fired_at.is_(None),
            Deadline.cancelled.is_(False),
        )
        .values(cancelled=True)
    )
