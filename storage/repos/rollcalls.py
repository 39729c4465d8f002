"""Roll-calls of emergency broadcasts: who was asked, who answered what, by building.

A roll-call's answer rows are written when it goes out, one per person asked, with no answer
yet: whether a press comes from someone asked is a row lookup, and "not answered" is a count.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import and_, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Person, RollCall, RollCallAnswer, RollCallAnswerKind


@dataclass(frozen=True, slots=True)
class Asked:
    """One person a roll-call goes to, with the home it names them by."""

    person_id: int
    unit_id: int | None
    unit_label: str
    building: str


@dataclass(slots=True)
class BuildingTally:
    """How one building answered so far."""

    building: str
    safe: int = 0
    help: int = 0
    away: int = 0
    silent: int = 0  # asked, not answered yet

    @property
    def asked(self) -> int:
        return self.safe + self.help + self.away + self.silent


@dataclass(frozen=True, slots=True)
class ExportRow:
    unit: str
    building: str
    person: str
    phone: str
    answer: RollCallAnswerKind | None
    answered_at: datetime | None


@dataclass(slots=True)
class Tally:
    """The whole roll-call: per building in building order, and who needs help."""

    buildings: list[BuildingTally] = field(default_factory=list)
    # (name, unit label, phone or "") of everyone whose latest answer is "need help".
    need_help: list[tuple[str, str, str]] = field(default_factory=list)

    @property
    def total(self) -> BuildingTally:
        whole = BuildingTally("")
        for one in self.buildings:
            whole.safe += one.safe
            whole.help += one.help
            whole.away += one.away
            whole.silent += one.silent
        return whole


def board_ref(roll_call_id: int) -> str:
    """The staff chat's board message, edited in place as answers come in."""
    return f"rollcall-board:{roll_call_id}"


def control_ref(roll_call_id: int) -> str:
    """The manager's message with the re-send and all-clear buttons."""
    return f"rollcall-control:{roll_call_id}"


async def add(session: AsyncSession, roll_call: RollCall, asked: Iterable[Asked]) -> None:
    """Stores a roll-call about to go out and one unanswered row per person asked."""
    session.add(roll_call)
    await session.flush()
    for one in asked:
        session.add(
            RollCallAnswer(
                roll_call_id=roll_call.id,
                person_id=one.person_id,
                unit_id=one.unit_id,
                unit_label=one.unit_label,
                building=one.building,
            )
        )


async def get(session: AsyncSession, roll_call_id: int) -> RollCall | None:
    return await session.get(RollCall, roll_call_id)


async def answer_of(
    session: AsyncSession, roll_call_id: int, person_id: int
) -> RollCallAnswer | None:
    """The person's row in the roll-call; None when they were not asked."""
    return await session.scalar(
        select(RollCallAnswer).where(
            RollCallAnswer.roll_call_id == roll_call_id, RollCallAnswer.person_id == person_id
        )
    )


async def silent_person_ids(session: AsyncSession, roll_call_id: int) -> set[int]:
    """Everyone asked who has not answered yet."""
    rows = await session.scalars(
        select(RollCallAnswer.person_id).where(
            RollCallAnswer.roll_call_id == roll_call_id, RollCallAnswer.answer.is_(None)
        )
    )
    return set(rows)


async def tally(session: AsyncSession, roll_call_id: int) -> Tally:
    """The answers by building (buildings in name order, numbers numerically) and who
    needs help, with their unit and phone."""
    rows = (
        await session.execute(
            select(RollCallAnswer, Person.name, Person.phone)
            .join(Person, Person.id == RollCallAnswer.person_id)
            .where(RollCallAnswer.roll_call_id == roll_call_id)
            .order_by(RollCallAnswer.unit_label, RollCallAnswer.id)
        )
    ).all()
    by_building: dict[str, BuildingTally] = {}
    result = Tally()
    for row, name, phone in rows:
        one = by_building.setdefault(row.building, BuildingTally(row.building))
        if row.answer is RollCallAnswerKind.SAFE:
            one.safe += 1
        elif row.answer is RollCallAnswerKind.HELP:
            one.help += 1
            result.need_help.append((name or "—", row.unit_label or "—", phone or ""))
        elif row.answer is RollCallAnswerKind.AWAY:
            one.away += 1
        else:
            one.silent += 1
    result.buildings = sorted(by_building.values(), key=lambda b: _building_key(b.building))
    return result


def _building_key(name: str) -> tuple[int, int, str]:
    return (0, int(name), "") if name.isdigit() else (1, 0, name)


async def export_rows(session: AsyncSession, roll_call_id: int) -> list[ExportRow]:
    """Everyone asked, by unit: who, their phone, their latest answer and when."""
    rows = (
        await session.execute(
            select(RollCallAnswer, Person.name, Person.phone)
            .join(Person, Person.id == RollCallAnswer.person_id)
            .where(RollCallAnswer.roll_call_id == roll_call_id)
            .order_by(RollCallAnswer.unit_label, Person.name, RollCallAnswer.id)
        )
    ).all()
    return [
        ExportRow(
            unit=row.unit_label,
            building=row.building,
            person=name or "",
            phone=phone or "",
            answer=row.answer,
            answered_at=row.answered_at,
        )
        for row, name, phone in rows
    ]


async def claim_board_edit(
    session: AsyncSession, roll_call_id: int, now: datetime, every: timedelta
) -> bool:
    """Marks the board as owing the latest answers, and takes the right to edit it now when
    it was last edited `every` ago or more. One conditional UPDATE: two processes (or two
    transactions) answering at once cannot both take it, so the board is edited at most once
    per `every`; whoever does not take it leaves the board marked for the follow-up."""
    await session.execute(
        update(RollCall).where(RollCall.id == roll_call_id).values(board_dirty=True)
    )
    taken = await session.execute(
        update(RollCall)
        .where(
            RollCall.id == roll_call_id,
            or_(RollCall.board_edited_at.is_(None), RollCall.board_edited_at <= now - every),
        )
        .values(board_edited_at=now, board_dirty=False)
        .execution_options(synchronize_session=False)
    )
    return bool(taken.rowcount)  # type: ignore[attr-defined]


async def claim_dirty_board(session: AsyncSession, roll_call_id: int, now: datetime) -> bool:
    """The follow-up edit: takes the board when answers came in since its last edit."""
    taken = await session.execute(
        update(RollCall)
        .where(and_(RollCall.id == roll_call_id, RollCall.board_dirty.is_(True)))
        .values(board_edited_at=now, board_dirty=False)
        .execution_options(synchronize_session=False)
    )
    return bool(taken.rowcount)  # type: ignore[attr-defined]


async def asked_person_ids(session: AsyncSession, roll_call_id: int) -> set[int]:
    """Everyone the roll-call went to."""
    rows = await session.scalars(
        select(RollCallAnswer.person_id).where(RollCallAnswer.roll_call_id == roll_call_id)
    )
    return set(rows)
