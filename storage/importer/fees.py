"""`courtyard import bills|payments|ledger`: what each unit owes, what it paid, and the office's
monthly accounts (docs/imports.md). Amounts are read as text into whole cents ("590.7" is
59070): never through a float.

- bills: compound, unit, period (`2026-11` or a quarter `2026-Q4`), item, amount, due
  (`2026-11-15`); optional payment_link. Key: compound, unit, period, item.
- payments: compound, unit, period, item, amount, paid_at, reference. Key: compound and
  reference, so importing the same statement twice adds nothing; a bill may be paid in parts.
  A payment names a bill that is already imported.
- ledger: compound, month, kind (`income`/`expense`), category, amount; optional note. Key:
  compound, month, kind, category.
"""

from __future__ import annotations

import re
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, tzinfo
from zoneinfo import ZoneInfo

from sqlalchemy import select

from storage import fee_settings
from storage.importer.base import ImportContext, Importer, Outcome, assign
from storage.importer.cells import Cells
from storage.importer.table import Row
from storage.models import Bill, FeeItem, LedgerEntry, LedgerKind, Payment, Unit
from storage.repos import fees as fee_repo

MAX_CENTS = 10**12  # ten billion in any currency: a typo, not a bill
_AMOUNT = re.compile(r"[0-9]{1,10}(?:\.[0-9]{1,2})?")
_MONTH = re.compile(r"(?P<year>20[0-9]{2})-(?P<month>0[1-9]|1[0-2])")
_QUARTER = re.compile(r"(?P<year>20[0-9]{2})-Q(?P<quarter>[1-4])", re.IGNORECASE)
_DAY = re.compile(r"20[0-9]{2}-[0-9]{2}-[0-9]{2}")
_MOMENT = re.compile(r"(20[0-9]{2}-[0-9]{2}-[0-9]{2})(?:[ T]([0-9]{1,2}:[0-9]{2}))?")
# Items as offices write them, in either language.
ITEM_NAMES = {
    **{item.value: item for item in FeeItem},
    "物业费": FeeItem.MANAGEMENT,
    "停车费": FeeItem.PARKING,
    "车位费": FeeItem.PARKING,
    "水费": FeeItem.WATER,
    "电费": FeeItem.ELECTRICITY,
    "公摊": FeeItem.SHARED,
    "公摊费": FeeItem.SHARED,
    "垃圾费": FeeItem.GARBAGE,
    "其他": FeeItem.OTHER,
}
LEDGER_KINDS = {"income": LedgerKind.INCOME, "收入": LedgerKind.INCOME}
LEDGER_KINDS |= {"expense": LedgerKind.EXPENSE, "支出": LedgerKind.EXPENSE}


def cents(cells: Cells, column: str) -> int | None:
    """A positive amount with at most two decimals, in whole cents; None when bad."""
    value = cells.required(column, max_length=32)
    if not value:
        return None
    plain = value.replace(",", "")
    if not _AMOUNT.fullmatch(plain):
        cells.fail(f"{column} {value!r} is not an amount such as 590.70 (no currency sign)")
        return None
    whole, _, part = plain.partition(".")
    amount = int(whole) * 100 + int((part + "00")[:2])
    if not 0 < amount < MAX_CENTS:
        cells.fail(f"{column} {value!r} must be above 0")
        return None
    return amount


def period(cells: Cells, column: str = "period", *, quarters: bool = True) -> str | None:
    """`2026-11`, or a quarter `2026-Q4` where `quarters`; None when bad."""
    value = cells.required(column, max_length=16)
    if not value:
        return None
    if _MONTH.fullmatch(value):
        return value
    found = _QUARTER.fullmatch(value)
    if found and quarters:
        return f"{found['year']}-Q{found['quarter']}"
    shape = "a month such as 2026-11 or a quarter such as 2026-Q4" if quarters else "a month"
    cells.fail(f"{column} {value!r} is not {shape}")
    return None


def day(cells: Cells, column: str) -> date | None:
    value = cells.required(column, max_length=16)
    if not value:
        return None
    try:
        if not _DAY.fullmatch(value):
            raise ValueError(value)
        return date.fromisoformat(value)
    except ValueError:
        cells.fail(f"{column} {value!r} is not a date such as 2026-11-15")
        return None


def item(cells: Cells) -> FeeItem | None:
    value = cells.required("item", max_length=32)
    if not value:
        return None
    found = ITEM_NAMES.get(value.lower())
    if found is None:
        names = ", ".join(i.value for i in FeeItem)
        cells.fail(
            f"item {value!r} is not one of: {names} (or 物业费, 停车费, 水费, 电费, 公摊, 垃圾费)"
        )
    return found


class _UnitImporter:
    """Finds a row's unit in its compound (units must be imported first)."""

    units: dict[tuple[int, str], int]

    async def load_units(self, ctx: ImportContext, compound_ids: list[int]) -> None:
        found = await ctx.session.execute(
            select(Unit.compound_id, Unit.label, Unit.id).where(Unit.compound_id.in_(compound_ids))
        )
        self.units = {(compound_id, label): unit_id for compound_id, label, unit_id in found}

    def unit(self, cells: Cells, compound_id: int | None, code: str | None) -> int | None:
        label = cells.unit_label("unit")
        if compound_id is None or not label:
            return None
        unit_id = self.units.get((compound_id, label))
        if unit_id is None:
            cells.fail(f"unit {label} does not exist in compound {code} (import units first)")
        return unit_id


@dataclass(frozen=True, slots=True)
class BillRow:
    compound_id: int
    unit_id: int
    period: str
    item: FeeItem
    amount: int
    due_on: date
    payment_link: str | None

    @property
    def key(self) -> Hashable:
        return (self.unit_id, self.period, self.item)


class BillImporter(_UnitImporter, Importer[BillRow]):
    """Creates bills or updates them by unit, period and item."""

    kind = "bills"
    required = ("compound", "unit", "period", "item", "amount", "due")
    optional = ("payment_link",)
    noun = "bill (unit, period and item)"

    async def prepare(self, rows: Sequence[Row]) -> None:
        await super().prepare(rows)
        await self.load_units(self.ctx, [c.id for c in self.compounds.values()])
        ids = set(self.units.values())
        found = await self.ctx.session.scalars(select(Bill).where(Bill.unit_id.in_(ids)))
        self.bills = {(b.unit_id, b.period, b.item): b for b in found}

    def parse(self, cells: Cells) -> BillRow | None:
        compound = self.compound(cells)
        unit_id = self.unit(
            cells, compound.id if compound else None, compound.code if compound else None
        )
        bill_period, bill_item = period(cells), item(cells)
        amount, due_on = cents(cells, "amount"), day(cells, "due")
        link = cells.optional("payment_link", max_length=500)
        if link and not re.fullmatch(r"https://\S+", link):
            cells.fail(f"payment_link {link!r} is not an https:// address")
        if cells.reasons or None in (compound, unit_id, bill_period, bill_item, amount, due_on):
            return None
        assert compound and unit_id and bill_period and bill_item and amount and due_on
        return BillRow(compound.id, unit_id, bill_period, bill_item, amount, due_on, link)

    async def finish(self) -> list[str]:
        """Compounds with bills get their daily reminder job (handlers/fees/reminders.py)."""
        for compound in self.compounds.values():
            await fee_settings.schedule_reminders(self.ctx.session, compound, self.ctx.now)
        return []

    async def apply(self, row: BillRow) -> tuple[Outcome, int]:
        bill = self.bills.get((row.unit_id, row.period, row.item))
        if bill is None:
            self.ctx.session.add(
                Bill(
                    compound_id=row.compound_id,
                    unit_id=row.unit_id,
                    period=row.period,
                    item=row.item,
                    amount_cents=row.amount,
                    due_on=row.due_on,
                    payment_link=row.payment_link,
                    created_at=self.ctx.now,
                )
            )
            return Outcome.CREATED, row.compound_id
        changed = assign(
            bill,
            amount_cents=row.amount,
            due_on=row.due_on,
            payment_link=row.payment_link or bill.payment_link,
        )
        return (Outcome.UPDATED if changed else Outcome.UNCHANGED), row.compound_id


@dataclass(frozen=True, slots=True)
class PaymentRow:
    compound_id: int
    unit_id: int
    period: str
    item: FeeItem
    amount: int
    paid_at: datetime
    reference: str

    @property
    def key(self) -> Hashable:
        return (self.compound_id, self.reference)


class PaymentImporter(_UnitImporter, Importer[PaymentRow]):
    """Records payments by reference; one already recorded is left as it is."""

    kind = "payments"
    required = ("compound", "unit", "period", "item", "amount", "paid_at", "reference")
    optional = ()
    noun = "reference"

    def __init__(self, ctx: ImportContext) -> None:
        super().__init__(ctx)
        # Units a payment of this import went to: their pending reminders are looked at after.
        self.paid_units: set[int] = set()

    async def prepare(self, rows: Sequence[Row]) -> None:
        await super().prepare(rows)
        compound_ids = [c.id for c in self.compounds.values()]
        await self.load_units(self.ctx, compound_ids)
        ids = set(self.units.values())
        bills = await self.ctx.session.execute(
            select(Bill.unit_id, Bill.period, Bill.item).where(Bill.unit_id.in_(ids))
        )
        self.bills = {tuple(row) for row in bills}
        found = await self.ctx.session.scalars(
            select(Payment).where(Payment.compound_id.in_(compound_ids))
        )
        self.payments = {(p.compound_id, p.reference): p for p in found}

    def parse(self, cells: Cells) -> PaymentRow | None:
        compound = self.compound(cells)
        unit_id = self.unit(
            cells, compound.id if compound else None, compound.code if compound else None
        )
        bill_period, bill_item = period(cells), item(cells)
        amount = cents(cells, "amount")
        paid_at = self._moment(cells, ZoneInfo(compound.timezone) if compound else UTC)
        reference = cells.required("reference", max_length=64)
        if (
            unit_id
            and bill_period
            and bill_item
            and (unit_id, bill_period, bill_item) not in self.bills
        ):
            cells.fail(
                f"no {bill_item.value} bill for {bill_period} of that unit (import bills first)"
            )
        if compound and reference and amount and unit_id:
            stored = self.payments.get((compound.id, reference))
            if stored is not None and (
                stored.unit_id,
                stored.period,
                stored.item,
                stored.amount_cents,
            ) != (unit_id, bill_period, bill_item, amount):
                cells.fail(f"reference {reference!r} is already recorded for another payment")
        if cells.reasons or None in (compound, unit_id, bill_period, bill_item, amount, paid_at):
            return None
        assert compound and unit_id and bill_period and bill_item and amount and paid_at
        return PaymentRow(compound.id, unit_id, bill_period, bill_item, amount, paid_at, reference)

    def _moment(self, cells: Cells, zone: tzinfo) -> datetime | None:
        value = cells.required("paid_at", max_length=32)
        if not value:
            return None
        found = _MOMENT.fullmatch(value)
        try:
            if found is None:
                raise ValueError(value)
            moment = datetime.fromisoformat(f"{found[1]} {found[2] or '12:00'}")
        except ValueError:
            cells.fail(f"paid_at {value!r} is not a date such as 2026-11-20 (or 2026-11-20 14:30)")
            return None
        local = moment.replace(tzinfo=zone)
        if local.astimezone(UTC) > self.ctx.now:
            cells.fail(f"paid_at {value} is in the future")
            return None
        return local.astimezone(UTC)

    async def apply(self, row: PaymentRow) -> tuple[Outcome, int]:
        if (row.compound_id, row.reference) in self.payments:
            return Outcome.UNCHANGED, row.compound_id
        self.ctx.session.add(
            Payment(
                compound_id=row.compound_id,
                unit_id=row.unit_id,
                period=row.period,
                item=row.item,
                amount_cents=row.amount,
                paid_at=row.paid_at,
                reference=row.reference,
                created_at=self.ctx.now,
            )
        )
        self.paid_units.add(row.unit_id)
        return Outcome.CREATED, row.compound_id

    async def finish(self) -> list[str]:
        """A household that paid gets no reminder that was still waiting to go out."""
        await self.ctx.session.flush()
        cancelled = await fee_repo.withdraw_reminders(
            self.ctx.session, self.paid_units, self.ctx.now
        )
        return [f"reminders withdrawn: {cancelled}"] if cancelled else []


@dataclass(frozen=True, slots=True)
class LedgerRow:
    compound_id: int
    month: str
    kind: LedgerKind
    category: str
    amount: int
    note: str

    @property
    def key(self) -> Hashable:
        return (self.compound_id, self.month, self.kind, self.category)


class LedgerImporter(Importer[LedgerRow]):
    """The office's monthly income and expenses by category, for the financial disclosure."""

    kind = "ledger"
    required = ("compound", "month", "kind", "category", "amount")
    optional = ("note",)
    noun = "month, kind and category"

    async def prepare(self, rows: Sequence[Row]) -> None:
        await super().prepare(rows)
        ids = [c.id for c in self.compounds.values()]
        found = await self.ctx.session.scalars(
            select(LedgerEntry).where(LedgerEntry.compound_id.in_(ids))
        )
        self.entries = {(e.compound_id, e.month, e.kind, e.category): e for e in found}

    def parse(self, cells: Cells) -> LedgerRow | None:
        compound = self.compound(cells)
        month = period(cells, "month", quarters=False)
        kind_text = cells.required("kind", max_length=16)
        kind = LEDGER_KINDS.get(kind_text.lower()) if kind_text else None
        if kind_text and kind is None:
            cells.fail(f"kind {kind_text!r} is not one of: income, expense (or 收入, 支出)")
        category = cells.required("category", max_length=64)
        amount = cents(cells, "amount")
        note = cells.optional("note", max_length=200) or ""
        if cells.reasons or None in (compound, month, kind, amount) or not category:
            return None
        assert compound and month and kind and amount
        return LedgerRow(compound.id, month, kind, category, amount, note)

    async def apply(self, row: LedgerRow) -> tuple[Outcome, int]:
        entry = self.entries.get((row.compound_id, row.month, row.kind, row.category))
        if entry is None:
            self.ctx.session.add(
                LedgerEntry(
                    compound_id=row.compound_id,
                    month=row.month,
                    kind=row.kind,
                    category=row.category,
                    amount_cents=row.amount,
                    note=row.note,
                )
            )
            return Outcome.CREATED, row.compound_id
        changed = assign(entry, amount_cents=row.amount, note=row.note or entry.note)
        return (Outcome.UPDATED if changed else Outcome.UNCHANGED), row.compound_id
