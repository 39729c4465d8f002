"""Linking a home: the rules for a resident's request and for the staff decision on it.

Plain functions over the store, like `handlers.cases.rules`: they know nothing of the chat.
A refusal carries the text id that explains it (`ResidencyRefused`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Person, Residency, ResidencyRole, ResidencyStatus, Unit
from storage.repos import audit
from storage.repos import residencies as residency_repo
from storage.repos.people import Actor

NAME_MAX = 60


class ResidencyRefused(Exception):
    """The request or decision cannot be made; `reason` is the text id that says why."""

    def __init__(self, reason: str, **values: object) -> None:
        super().__init__(reason)
        self.reason = reason
        self.values = values


@dataclass(frozen=True, slots=True)
class Decided:
    """A decided request: the residency, now approved or rejected."""

    residency: Residency
    approved: bool


def registered_name(text: str) -> str:
    """The name as on the property register, spaces tidied; refused when empty or too long."""
    name = " ".join(text.split())
    if not name or len(name) > NAME_MAX:
        raise ResidencyRefused("onboarding-name-invalid", limit=NAME_MAX)
    return name


async def check_requestable(session: AsyncSession, actor: Actor, unit: Unit) -> None:
    """Refuses a request for a home the person already has, or already asked for."""
    if unit.id in actor.unit_ids():
        raise ResidencyRefused("onboarding-already-bound", unit=unit.label)
    if await residency_repo.has_pending_request(session, actor.person.id, unit.id):
        raise ResidencyRefused("onboarding-request-pending", unit=unit.label)


async def request_residency(
    session: AsyncSession,
    actor: Actor,
    *,
    compound_id: int,
    unit: Unit,
    role: ResidencyRole,
    name: str,
) -> Residency:
    """Records a pending request for staff to decide, after checking it may be made."""
    await check_requestable(session, actor, unit)
    residency = Residency(
        compound_id=compound_id,
        unit_id=unit.id,
        person_id=actor.person.id,
        role=role,
        status=ResidencyStatus.PENDING,
        source="request",
        registered_name=name,
    )
    session.add(residency)
    await session.flush()
    audit.record(
        session,
        action="residency.requested",
        actor_id=actor.person.id,
        compound_id=compound_id,
        target=f"residency:{residency.id}",
        unit=unit.label,
        name=name,
    )
    return residency


async def decide(
    session: AsyncSession, actor: Actor, residency_id: int, *, approve: bool, now: datetime
) -> Decided:
    """Approves or rejects a pending request. Only staff of the unit's compound may, and
    only once: a request someone else decided is refused with who decided it."""
    residency = await residency_repo.residency_for_decision(session, residency_id)
    if residency is None:
        raise ResidencyRefused("common-button-invalid")
    if not actor.is_staff(residency.compound_id):
        raise ResidencyRefused("common-not-allowed")
    if residency.status is not ResidencyStatus.PENDING:
        decider = await session.get(Person, residency.decided_by) if residency.decided_by else None
        raise ResidencyRefused(
            "onboarding-already-decided",
            status=residency.status.value,
            by=decider.name if decider else "",
        )
    residency.status = ResidencyStatus.APPROVED if approve else ResidencyStatus.REJECTED
    residency.decided_by, residency.decided_at = actor.person.id, now
    audit.record(
        session,
        action="residency.approved" if approve else "residency.rejected",
        actor_id=actor.person.id,
        compound_id=residency.compound_id,
        target=f"residency:{residency.id}",
    )
    return Decided(residency, approve)
