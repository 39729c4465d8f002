"""The demo compound's money: a year of bills for every home, payments, some arrears, and the
office's monthly accounts, relative to the day the demo is seeded.

Every home pays the management fee quarterly (2.2 yuan per m² a month, due on the 15th of the
quarter's first month) and water monthly (due on the 15th of the next month); a few rent a
parking space. Most homes pay within a few weeks; about one in twelve has fallen behind. The
demo's residents are placed on purpose: 王芳 (1-1-0301) owes this quarter's management fee and
last month's water, David Chen (2-1-0502, a tenant) is up to date, 陈建国 (3-2-1102) has owed
since last summer. Seeding again adds nothing (bills are found by unit, period and item).
The daily reminder job is scheduled when the bot or the console starts (bot/app.py).
"""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Bill, Compound, FeeItem, LedgerEntry, LedgerKind, Payment, Unit

RATE_CENTS_PER_M2_MONTH = 220
PARKING_CENTS = 30_000
PARKING_UNITS = frozenset({"1-1-0301", "3-2-1102", "2-2-1201"})
PAID_UP = frozenset({"2-1-0502"})
OWES_CURRENT = frozenset({"1-1-0301"})
OWES_SINCE_SUMMER = frozenset({"3-2-1102"})
LINK = "https://pay.example.com/sunny/{unit}/{period}"
INCOME = (("物业费收入", 0.86), ("停车费收入", 0.09), ("公共收益（广告、场地）", 0.05))
EXPENSES = (
    ("人员工资", 0.42),
    ("保洁绿化", 0.16),
    ("秩序维护", 0.14),
    ("设施设备维保", 0.12),
    ("公共水电能耗", 0.09),
    ("办公及其他", 0.05),
)


def _month_start(day: date, back: int) -> date:
    year, index = divmod(day.year * 12 + day.month - 1 - back, 12)
    return date(year, index + 1, 1)


def _bills(units: dict[str, Unit], today: date) -> list[tuple[Unit, str, FeeItem, int, date]]:
    bills = []
    for label, unit in sorted(units.items()):
        area = int((unit.area_m2 or 89.5) * 10)  # tenths of a square metre
        rng = random.Random(label)
        for back in range(12, -1, -1):
            month = _month_start(today, back)
            period = f"{month.year}-{month.month:02d}"
            if month.month % 3 == 1:
                quarter = f"{month.year}-Q{(month.month - 1) // 3 + 1}"
                amount = area * RATE_CENTS_PER_M2_MONTH * 3 // 10
                bills.append((unit, quarter, FeeItem.MANAGEMENT, amount, month.replace(day=15)))
            due = _month_start(month, -1).replace(day=15)
            if back >= 1:
                water = 2_500 + rng.randrange(0, 6_000)
                bills.append((unit, period, FeeItem.WATER, water, due))
                if label in PARKING_UNITS:
                    bills.append((unit, period, FeeItem.PARKING, PARKING_CENTS, due))
    return bills


def _paid_on(label: str, item: FeeItem, due: date, today: date, rng: random.Random) -> date | None:
    """When the home paid this bill, or None while it is unpaid."""
    if label in PAID_UP:
        day = due - timedelta(days=rng.randrange(1, 10))
        return min(day, today)
    if label in OWES_SINCE_SUMMER and due >= today - timedelta(days=150):
        return None
    if label in OWES_CURRENT and due >= today - timedelta(days=60):
        return None
    # About one home in twelve has fallen behind for the last few months.
    behind = random.Random(f"behind:{label}").random() < 0.08
    if behind and due >= today - timedelta(days=120):
        return None
    day = due + timedelta(days=rng.randrange(-12, 25))
    return day if day <= today else None


async def seed_fees(
    session: AsyncSession, compound: Compound, units: dict[str, Unit], *, now: datetime
) -> None:
    if await session.scalar(select(Bill.id).where(Bill.compound_id == compound.id).limit(1)):
        return
    zone = ZoneInfo(compound.timezone)
    today = now.astimezone(zone).date()
    bill_rows, payment_rows = [], []
    collected: dict[str, int] = {}
    for unit, period, item, amount, due in _bills(units, today):
        bill_rows.append(
            {
                "compound_id": compound.id,
                "unit_id": unit.id,
                "period": period,
                "item": item,
                "amount_cents": amount,
                "due_on": due,
                "payment_link": LINK.format(unit=unit.label, period=period)
                if item is FeeItem.MANAGEMENT
                else None,
                "created_at": now,
            }
        )
        rng = random.Random(f"{unit.label}:{period}:{item.value}")
        paid_on = _paid_on(unit.label, item, due, today, rng)
        if paid_on is None:
            continue
        paid_at = datetime(paid_on.year, paid_on.month, paid_on.day, 10, tzinfo=zone)
        payment_rows.append(
            {
                "compound_id": compound.id,
                "unit_id": unit.id,
                "period": period,
                "item": item,
                "amount_cents": amount,
                "paid_at": min(paid_at.astimezone(UTC), now),
                "reference": f"DEMO-{unit.label}-{period}-{item.value}",
                "created_at": now,
            }
        )
        month = f"{paid_on.year}-{paid_on.month:02d}"
        collected[month] = collected.get(month, 0) + amount
    await session.execute(insert(Bill), bill_rows)
    await session.execute(insert(Payment), payment_rows)
    await session.execute(insert(LedgerEntry), _ledger(compound, today, collected))


def _ledger(compound: Compound, today: date, collected: dict[str, int]) -> list[dict[str, object]]:
    """Income follows what was collected each month; expenses are a steady budget."""
    rows: list[dict[str, object]] = []
    for back in range(12, 0, -1):
        month = _month_start(today, back)
        label = f"{month.year}-{month.month:02d}"
        rng = random.Random(f"ledger:{label}")
        fees = collected.get(label, 0)
        income_total = fees * 100 // 86
        for category, share in INCOME:
            amount = fees if category == INCOME[0][0] else int(income_total * share)
            rows.append(_entry(compound, label, LedgerKind.INCOME, category, amount))
        budget = 3_000_000 + rng.randrange(-200_000, 200_000)
        for category, share in EXPENSES:
            amount = int(budget * share) + rng.randrange(0, 20_000)
            rows.append(_entry(compound, label, LedgerKind.EXPENSE, category, amount))
    return rows


def _entry(
    compound: Compound, month: str, kind: LedgerKind, category: str, amount: int
) -> dict[str, object]:
    return {
        "compound_id": compound.id,
        "month": month,
        "kind": kind,
        "category": category,
        "amount_cents": max(amount, 100),
        "note": "",
    }
