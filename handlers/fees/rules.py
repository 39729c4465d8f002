"""Fee rules: whose bills a person may see, what a household owes now, and the managers'
figures (collection rate, arrears by age, the month's disclosure). Plain functions over the
store; amounts are whole cents, rates are computed from integers.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from storage import fee_settings
from storage.fee_settings import FeeSettings
from storage.models import Compound, FeeItem, LedgerKind, ResidencyRole, Unit
from storage.repos import fees as fee_repo
from storage.repos.fees import BillLine
from storage.repos.people import Actor

HISTORY = timedelta(days=366)
# Arrears by how long they are overdue: under 30 days, 30–90, over 90.
AGE_BUCKETS = ("lt30", "30to90", "gt90")


def today(compound: Compound, now: datetime) -> date:
    """The compound's calendar day at `now`: bills fall due by local dates."""
    return now.astimezone(ZoneInfo(compound.timezone)).date()


def visible_units(actor: Actor, compound: Compound) -> list[Unit]:
    """The homes in this compound whose bills the person may see: owners and their family
    always, tenants where the compound allows it."""
    allowed = fee_settings.of(compound).tenants_see_bills
    units: dict[int, Unit] = {}
    for residency in actor.residencies:
        if residency.compound_id != compound.id:
            continue
        if residency.role is ResidencyRole.TENANT and not allowed:
            continue
        units.setdefault(residency.unit_id, residency.unit)
    return sorted(units.values(), key=lambda unit: unit.label)


def may_see(actor: Actor, compound: Compound, unit_id: int) -> bool:
    """Checked on every press: a button naming another unit is refused."""
    return any(unit.id == unit_id for unit in visible_units(actor, compound))


@dataclass(frozen=True, slots=True)
class OwedLine:
    line: BillLine
    overdue_days: int  # 0 when not yet due
    late_fee: int


@dataclass(slots=True)
class Statement:
    """What one household owes now and its last twelve months."""

    unit: Unit
    settings: FeeSettings
    owed: list[OwedLine]
    history: list[BillLine]

    @property
    def total(self) -> int:
        return sum(o.line.owed for o in self.owed)

    @property
    def late_fees(self) -> int:
        return sum(o.late_fee for o in self.owed)

    @property
    def overdue_since(self) -> date | None:
        overdue = [o.line.due_on for o in self.owed if o.overdue_days > 0]
        return min(overdue) if overdue else None

    @property
    def links(self) -> list[tuple[BillLine, str]]:
        """Payment links of the unpaid bills, one per address."""
        seen: dict[str, BillLine] = {}
        for o in self.owed:
            if o.line.payment_link:
                seen.setdefault(o.line.payment_link, o.line)
        return [(line, link) for link, line in seen.items()]


async def statement(
    session: AsyncSession, compound: Compound, unit: Unit, now: datetime
) -> Statement:
    settings = fee_settings.of(compound)
    day = today(compound, now)
    lines = await fee_repo.unit_bills(session, unit.id)
    owed = []
    for line in lines:
        if line.owed <= 0:
            continue
        days = max(0, (day - line.due_on).days)
        late = settings.late_fee.charge(line.owed, line.due_on, day) if settings.late_fee else 0
        owed.append(OwedLine(line, days, late))
    history = [line for line in lines if line.due_on >= day - HISTORY and line.due_on <= day]
    return Statement(unit=unit, settings=settings, owed=owed, history=history)


# ── Managers' figures ──


def rate(paid: int, billed: int) -> str:
    """'93.4%' (rounded down to a tenth of a percent, from integers); '—' with nothing billed."""
    if billed <= 0:
        return "—"
    tenths = paid * 1000 // billed
    return f"{tenths // 10}.{tenths % 10}%"


@dataclass(slots=True)
class Collection:
    """Billed and collected (up to each bill's amount) for bills due in a window."""

    start: date
    end: date
    billed: int = 0
    paid: int = 0
    by_building: dict[str, list[int]] = field(default_factory=lambda: defaultdict(lambda: [0, 0]))
    by_item: dict[FeeItem, list[int]] = field(default_factory=lambda: defaultdict(lambda: [0, 0]))

    def add(self, line: BillLine) -> None:
        paid = min(line.paid, line.amount)
        self.billed += line.amount
        self.paid += paid
        for totals in (self.by_building[line.building], self.by_item[line.item]):
            totals[0] += line.amount
            totals[1] += paid

    @property
    def rate(self) -> str:
        return rate(self.paid, self.billed)


class BadPeriod(ValueError):
    """Not a month (2026-11) or a quarter (2026-Q4)."""


def window(period: str) -> tuple[date, date]:
    """The due dates a period covers: `2026-11` is November, `2026-Q4` October to December."""
    year, _, part = period.partition("-")
    try:
        if part.upper().startswith("Q"):
            quarter = int(part[1:])
            if not 1 <= quarter <= 4:
                raise ValueError(period)
            first, months = 3 * quarter - 2, 3
        else:
            first, months = int(part), 1
        start = date(int(year), first, 1)
    except ValueError:
        raise BadPeriod(period) from None
    end_month = first + months
    end = date(int(year) + (end_month - 1) // 12, (end_month - 1) % 12 + 1, 1)
    return start, end


def month_of(day: date) -> str:
    return f"{day.year}-{day.month:02d}"


def previous_month(day: date) -> str:
    return month_of(day.replace(day=1) - timedelta(days=1))


async def collection(session: AsyncSession, compound: Compound, period: str) -> Collection:
    start, end = window(period)
    result = Collection(start, end)
    for line in await fee_repo.bills_due_between(session, compound.id, start, end):
        result.add(line)
    return result


@dataclass(slots=True)
class Arrears:
    """What is overdue now, by age, and the households concerned."""

    buckets: dict[str, int] = field(default_factory=lambda: dict.fromkeys(AGE_BUCKETS, 0))
    households: set[int] = field(default_factory=set)
    lines: list[tuple[BillLine, int]] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(self.buckets.values())


def age_bucket(days: int) -> str:
    return "lt30" if days < 30 else "30to90" if days <= 90 else "gt90"


async def arrears(session: AsyncSession, compound: Compound, now: datetime) -> Arrears:
    day = today(compound, now)
    result = Arrears()
    for line in await fee_repo.unpaid_bills(session, compound.id):
        days = (day - line.due_on).days
        if days <= 0:
            continue
        result.buckets[age_bucket(days)] += line.owed
        result.households.add(line.unit_id)
        result.lines.append((line, days))
    return result


@dataclass(slots=True)
class Disclosure:
    """One month's accounts as residents read them."""

    month: str
    income: list[tuple[str, int]]
    expenses: list[tuple[str, int]]
    collection: Collection
    # The twelve months up to this one: (month, billed, collected).
    trend: list[tuple[str, int, int]]

    @property
    def income_total(self) -> int:
        return sum(amount for _, amount in self.income)

    @property
    def expense_total(self) -> int:
        return sum(amount for _, amount in self.expenses)

    @property
    def balance(self) -> int:
        return self.income_total - self.expense_total

    @property
    def empty(self) -> bool:
        return not (self.income or self.expenses)

    def as_record(self) -> dict[str, object]:
        """What is kept with the published disclosure."""
        return {
            "income": self.income,
            "expenses": self.expenses,
            "billed": self.collection.billed,
            "collected": self.collection.paid,
        }


async def disclosure(session: AsyncSession, compound: Compound, month: str) -> Disclosure:
    entries = await fee_repo.ledger(session, compound.id, month)
    trend = []
    start, _ = window(month)
    for back in range(11, -1, -1):
        year, index = divmod(start.year * 12 + start.month - 1 - back, 12)
        label = f"{year}-{index + 1:02d}"
        figures = await collection(session, compound, label)
        trend.append((label, figures.billed, figures.paid))
    return Disclosure(
        month=month,
        income=[(e.category, e.amount_cents) for e in entries if e.kind is LedgerKind.INCOME],
        expenses=[(e.category, e.amount_cents) for e in entries if e.kind is LedgerKind.EXPENSE],
        collection=await collection(session, compound, month),
        trend=trend,
    )
