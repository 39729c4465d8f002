"""Bills, payments and ledger through `courtyard import`, on every backend: exact to the cent,
partial payments, idempotent by reference, every bad line named and nothing imported."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from storage.db import Database
from storage.importer import ImportFailed, import_file
from storage.models import Bill, LedgerEntry, Payment, ScheduledJob, Unit
from storage.repos.fees import unit_bills
from tests.storage.test_importer import EXAMPLES, import_examples, snapshot, write


async def _ready(db: Database) -> None:
    await import_examples(db, "compounds", "units")
    await import_file(db, "bills", EXAMPLES / "bills.csv")


async def test_bills_and_payments_import_exactly_to_the_cent(
    any_db: Database, tmp_path: Path
) -> None:
    await _ready(any_db)
    summary = await import_file(any_db, "payments", EXAMPLES / "payments.csv")
    assert (summary.created, summary.unchanged) == (4, 0)
    async with any_db.read() as session:
        amounts = set(await session.scalars(select(Bill.amount_cents)))
        unit = await session.scalar(select(Unit).where(Unit.label == "1-1-0301"))
        assert unit is not None
        lines = {(b.period, b.item.value): b for b in await unit_bills(session, unit.id)}
        # The first bills import scheduled the compound's daily reminders.
        assert await session.scalar(select(ScheduledJob.subject)) == "maple"
    assert {75180, 63840, 101052, 4860, 30000} <= amounts
    q4 = lines[("2026-Q4", "management")]
    assert (q4.amount, q4.paid, q4.owed) == (75180, 40000, 35180)  # a partial payment
    assert lines[("2026-Q3", "management")].owed == 0

    # Paying the rest in two parts, and the same statement again: counted once.
    rest = write(
        tmp_path,
        "compound,unit,period,item,amount,paid_at,reference\n"
        "maple,1-1-0301,2026-Q4,management,0.01,2026-11-02,WX-1\n"
        "maple,1-1-0301,2026-Q4,management,351.79,2026-11-03 18:00,WX-2\n",
    )
    assert (await import_file(any_db, "payments", rest)).created == 2
    assert (await import_file(any_db, "payments", rest)).unchanged == 2
    async with any_db.read() as session:
        q4_now = next(b for b in await unit_bills(session, unit.id) if b.period == "2026-Q4")
        assert q4_now.owed == 0 and q4_now.paid == 75180
        assert await session.scalar(select(Payment.id).where(Payment.reference == "WX-2"))


async def test_every_bad_line_is_named_and_nothing_is_imported(
    any_db: Database, tmp_path: Path
) -> None:
    await _ready(any_db)
    before = await snapshot(any_db)
    bad = write(
        tmp_path,
        "compound,unit,period,item,amount,paid_at,reference\n"
        "maple,1-1-0301,2026-Q4,management,100,2026-11-01,OK-1\n"
        "maple,1-1-0301,2026-Q1,management,100,2026-11-01,R-2\n"
        "maple,9-9-9999,2026-Q4,management,1.005,yesterday,R-3\n"
        "maple,1-1-0302,2026-Q4,management,-5,2099-01-01,R-4\n"
        "maple,1-1-0302,2026-Q4,management,5,2026-10-01,OK-1\n",
    )
    with pytest.raises(ImportFailed) as failed:
        await import_file(any_db, "payments", bad)
    problems = [str(p) for p in failed.value.problems]
    assert problems == [
        "line 3: no management bill for 2026-Q1 of that unit (import bills first)",
        "line 4: unit 9-9-9999 does not exist in compound maple (import units first); "
        "amount '1.005' is not an amount such as 590.70 (no currency sign); "
        "paid_at 'yesterday' is not a date such as 2026-11-20 (or 2026-11-20 14:30)",
        "line 5: amount '-5' is not an amount such as 590.70 (no currency sign); "
        "paid_at 2099-01-01 is in the future",
        "line 6: the same reference as line 2",
    ]
    assert await snapshot(any_db) == before


async def test_a_reference_already_recorded_for_another_payment_is_refused(
    any_db: Database, tmp_path: Path
) -> None:
    await _ready(any_db)
    await import_file(any_db, "payments", EXAMPLES / "payments.csv")
    clash = write(
        tmp_path,
        "compound,unit,period,item,amount,paid_at,reference\n"
        "maple,1-1-0302,2026-Q4,management,1,2026-10-14,WX-20261012-3381\n",
    )
    with pytest.raises(ImportFailed) as failed:
        await import_file(any_db, "payments", clash)
    assert "already recorded for another payment" in str(failed.value)


async def test_the_ledger_imports_and_updates_by_month_kind_and_category(
    any_db: Database, tmp_path: Path
) -> None:
    await import_examples(any_db, "compounds")
    assert (await import_file(any_db, "ledger", EXAMPLES / "ledger.csv")).created == 8
    changed = write(
        tmp_path,
        'compound,month,kind,category,amount\nmaple,2026-11,支出,人员工资,"98,300.10"\n',
    )
    summary = await import_file(any_db, "ledger", changed)
    assert (summary.created, summary.updated) == (0, 1)
    async with any_db.read() as session:
        wages = await session.scalar(
            select(LedgerEntry.amount_cents).where(LedgerEntry.category == "人员工资")
        )
    assert wages == 9830010
