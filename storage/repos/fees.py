"""Bills, what was paid against them, and the office's ledger: the queries the fee view,
the managers' figures, the reminders and the arrears export share. Amounts are whole cents."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Select, and_, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import (
    Bill,
    Building,
    ChatBinding,
    ChatPurpose,
    FeeDisclosure,
    FeeItem,
    FeeReminder,
    LedgerEntry,
    OutboxMessage,
    OutboxStatus,
    Payment,
    Unit,
)


@dataclass(frozen=True, slots=True)
class BillLine:
    """One bill of a unit with what has been paid against it so far."""

    bill_id: int
    unit_id: int
    unit: str
    building: str
    period: str
    item: FeeItem
    amount: int
    paid: int
    due_on: date
    payment_link: str | None

    @property
    def owed(self) -> int:
        """What is still to pay (never below zero: an overpayment is not a credit here)."""
        return max(0, self.amount - self.paid)


def _lines() -> Select[Bill, str, str, Any]:
    paid = (
        select(
            Payment.unit_id,
            Payment.period,
            Payment.item,
            func.sum(Payment.amount_cents).label("paid"),
        )
        .group_by(Payment.unit_id, Payment.period, Payment.item)
        .subquery()
    )
    return (
        select(Bill, Unit.label, Building.name, func.coalesce(paid.c.paid, 0))
        .join(Unit, Unit.id == Bill.unit_id)
        .join(Building, Building.id == Unit.building_id)
        .outerjoin(
            paid,
            and_(
                paid.c.unit_id == Bill.unit_id,
                paid.c.period == Bill.period,
                paid.c.item == Bill.item,
            ),
        )
    )


async def _run(session: AsyncSession, query: Select[Bill, str, str, Any]) -> list[BillLine]:
    rows = (await session.execute(query)).all()
    return [
        BillLine(
            bill_id=bill.id,
            unit_id=bill.unit_id,
            unit=label,
            building=building,
            period=bill.period,
            item=bill.item,
            amount=bill.amount_cents,
            paid=int(paid),
            due_on=bill.due_on,
            payment_link=bill.payment_link,
        )
        for bill, label, building, paid in rows
    ]


async def unit_bills(
    session: AsyncSession, unit_id: int, *, since: date | None = None
) -> list[BillLine]:
    """Every bill of one unit (due on or after `since`), oldest first."""
    query = _lines().where(Bill.unit_id == unit_id)
    if since is not None:
        query = query.where(Bill.due_on >= since)
    return await _run(session, query.order_by(Bill.due_on, Bill.item))


async def unpaid_bills(
    session: AsyncSession, compound_id: int, *, unit_ids: set[int] | None = None
) -> list[BillLine]:
    """Bills of the compound (or of these units) with something still to pay."""
    query = _lines().where(Bill.compound_id == compound_id)
    if unit_ids is not None:
        query = query.where(Bill.unit_id.in_(unit_ids))
    lines = await _run(session, query.order_by(Bill.unit_id, Bill.due_on, Bill.item))
    return [line for line in lines if line.owed > 0]


async def bills_due_between(
    session: AsyncSession, compound_id: int, start: date, end: date
) -> list[BillLine]:
    """Bills of the compound due from `start` up to (not including) `end`."""
    query = _lines().where(Bill.compound_id == compound_id, Bill.due_on >= start, Bill.due_on < end)
    return await _run(session, query.order_by(Bill.due_on))


async def ledger(session: AsyncSession, compound_id: int, month: str) -> list[LedgerEntry]:
    """The ledger lines of one month ("2026-11"), income first, then by amount."""
    rows = await session.scalars(
        select(LedgerEntry)
        .where(LedgerEntry.compound_id == compound_id, LedgerEntry.month == month)
        .order_by(LedgerEntry.kind.desc(), LedgerEntry.amount_cents.desc(), LedgerEntry.category)
    )
    return list(rows)


async def disclosure(session: AsyncSession, compound_id: int, month: str) -> FeeDisclosure | None:
    return await session.scalar(
        select(FeeDisclosure).where(
            FeeDisclosure.compound_id == compound_id, FeeDisclosure.month == month
        )
    )


async def reminded_since(session: AsyncSession, compound_id: int, since: datetime) -> set[int]:
    """Units of the compound that were sent (or are being sent) a reminder since `since`."""
    rows = await session.scalars(
        select(FeeReminder.unit_id).where(
            FeeReminder.compound_id == compound_id,
            FeeReminder.queued_at >= since,
            FeeReminder.withdrawn_at.is_(None),
        )
    )
    return set(rows)


async def withdraw_reminders(session: AsyncSession, unit_ids: set[int], now: datetime) -> int:
    """Cancels the reminders of these units whose messages have not all gone out yet (a
    payment arrived): their outbox rows still waiting become cancelled. Returns how many
    reminders were withdrawn."""
    if not unit_ids:
        return 0
    reminders = (
        await session.scalars(
            select(FeeReminder).where(
                FeeReminder.unit_id.in_(unit_ids),
                FeeReminder.withdrawn_at.is_(None),
                FeeReminder.broadcast_id.is_not(None),
            )
        )
    ).all()
    withdrawn = 0
    for reminder in reminders:
        result = await session.execute(
            update(OutboxMessage)
            .where(
                OutboxMessage.broadcast_id == reminder.broadcast_id,
                OutboxMessage.status == OutboxStatus.PENDING,
            )
            .values(status=OutboxStatus.CANCELLED)
        )
        if result.rowcount:  # type: ignore[attr-defined]
            reminder.withdrawn_at = now
            withdrawn += 1
    return withdrawn


async def residents_groups(session: AsyncSession, compound_id: int) -> list[int]:
    """The compound's residents' group chats."""
    rows = await session.scalars(
        select(ChatBinding.chat_id).where(
            ChatBinding.compound_id == compound_id,
            ChatBinding.purpose == ChatPurpose.RESIDENTS,
        )
    )
    return list(rows)
