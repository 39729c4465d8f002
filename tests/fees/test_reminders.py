"""Reminders reach households with something to pay, on the compound's days, at most once a
week, never in a group, never in quiet hours, and stop the moment a payment is imported."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from bot.scheduler import DeadlineScheduler
from handlers.fees.reminders import JOB
from storage import demo, fee_settings
from storage.importer import Defaults, import_table, parse_table
from storage.models import FeeReminder, OutboxMessage, OutboxStatus, Unit
from storage.repos import jobs as job_repo
from storage.repos.fees import unit_bills
from tests.harness import Harness

WANG, DAVID, CHEN, FAMILY = 1001, 1002, 1003, 1004
ZONE = ZoneInfo("Asia/Shanghai")


async def _oldest_unpaid(h: Harness, label: str):  # type: ignore[no-untyped-def]
    async with h.services.db.read() as session:
        unit = await session.scalar(select(Unit).where(Unit.label == label))
        assert unit is not None
        bills = [b for b in await unit_bills(session, unit.id) if b.owed > 0]
    assert bills
    return bills[0]


def _at(day, hour: int, minute: int = 0) -> datetime:  # type: ignore[no-untyped-def]
    return datetime.combine(day, time(hour, minute), tzinfo=ZONE)


async def _run_job(h: Harness, now: datetime) -> None:
    """Fires the compound's reminder job at `now` and sends what is due by then."""
    h.services.clock = lambda: now
    async with h.services.db.write() as session:
        await job_repo.schedule(session, JOB, demo.CODE, now)
    await DeadlineScheduler(h.engine).fire_due(now)
    await _drain(h)


async def _drain(h: Harness) -> None:
    while await h.engine.bulk.send_due():
        pass


def _reminders(h: Harness, chat: int) -> list[str]:
    return [s.text for s in h.transport.to(chat) if "温馨提示" in s.text or "reminder" in s.text]


async def test_a_household_in_arrears_is_reminded_and_not_again_within_a_week(
    harness: Harness,
) -> None:
    bill = await _oldest_unpaid(harness, "1-1-0301")
    await harness.say(3001, "/setting fee_reminders -7,0,15,16,17", lang="zh")
    await _run_job(harness, _at(bill.due_on + timedelta(days=15), 9, 30))
    sent = _reminders(harness, WANG)
    assert len(sent) == 1
    assert "1-1-0301" in sent[0] and "¥" in sent[0]
    assert demo.KB_VALUES["payment_channels"]["zh"] in sent[0]
    # Nothing about it in the groups, nor to another household.
    for chat in (demo.RESIDENT_GROUP_ID, demo.STAFF_CHAT_ID, DAVID):
        assert not _reminders(harness, chat)
    # Day 16 and 17 are reminder days too, but the household was reminded this week.
    await _run_job(harness, _at(bill.due_on + timedelta(days=16), 9, 30))
    await _run_job(harness, _at(bill.due_on + timedelta(days=17), 9, 30))
    assert len(_reminders(harness, WANG)) == 1


async def test_the_job_schedules_tomorrows(harness: Harness) -> None:
    bill = await _oldest_unpaid(harness, "1-1-0301")
    now = _at(bill.due_on + timedelta(days=3), 9, 30)
    await _run_job(harness, now)
    async with harness.services.db.read() as session:
        due = await job_repo.due(session, now + timedelta(days=1))
    assert due, "tomorrow's reminder job is scheduled"


async def test_quiet_hours_hold_it_and_a_payment_imported_meanwhile_stops_it(
    harness: Harness,
) -> None:
    bill = await _oldest_unpaid(harness, "3-2-1102")
    await harness.say(3001, "/setting fee_reminders 0", lang="zh")
    late_evening = _at(bill.due_on, 23, 0)  # on the day, in quiet hours (22:00–07:00)
    await _run_job(harness, late_evening)
    assert not _reminders(harness, CHEN), "held until the morning"
    async with harness.services.db.read() as session:
        reminder = await session.scalar(select(FeeReminder))
        assert reminder is not None
        rows = list(
            await session.scalars(
                select(OutboxMessage).where(OutboxMessage.broadcast_id == reminder.broadcast_id)
            )
        )
    # The family member too, as owners' households do; each row is a private chat.
    assert {r.chat_id for r in rows} == {CHEN, FAMILY}
    assert all(r.status is OutboxStatus.PENDING for r in rows)
    # The office imports the payment that night.
    amount = f"{bill.owed // 100}.{bill.owed % 100:02d}"
    csv = (
        "compound,unit,period,item,amount,paid_at,reference\n"
        f"sunny,3-2-1102,{bill.period},{bill.item.value},{amount},"
        f"{bill.due_on.isoformat()} 22:30,BANK-777\n"
    )
    async with harness.services.db.write() as session:
        summary = await import_table(
            session,
            "payments",
            parse_table(csv.encode(), name="payments.csv"),
            defaults=Defaults(),
            now=late_evening + timedelta(minutes=30),
            source="payments.csv",
        )
    assert summary.created == 1 and "reminders withdrawn: 1" in str(summary)
    harness.services.clock = lambda: _at(bill.due_on + timedelta(days=1), 8, 0)
    await _drain(harness)
    assert not _reminders(harness, CHEN) and not _reminders(harness, FAMILY)
    async with harness.services.db.read() as session:
        statuses = set(
            await session.scalars(
                select(OutboxMessage.status).where(
                    OutboxMessage.broadcast_id == reminder.broadcast_id
                )
            )
        )
        withdrawn = await session.scalar(select(FeeReminder.withdrawn_at))
    assert statuses == {OutboxStatus.CANCELLED} and withdrawn is not None


@pytest.mark.parametrize("allowed", [True, False])
async def test_tenants_are_reminded_only_where_they_may_see_bills(
    harness: Harness, allowed: bool
) -> None:
    await harness.say(3001, f"/setting tenants_see_bills {'yes' if allowed else 'no'}", lang="zh")
    async with harness.services.db.write() as session:
        unit = await session.scalar(select(Unit).where(Unit.label == "2-1-0502"))
        assert unit is not None
        bills = await unit_bills(session, unit.id)
    # David's home is paid up; a new bill due today makes it a household to remind.
    csv = "compound,unit,period,item,amount,due\nsunny,2-1-0502,2030-01,other,12.34,2030-01-15\n"
    async with harness.services.db.write() as session:
        await import_table(
            session,
            "bills",
            parse_table(csv.encode(), name="bills.csv"),
            defaults=Defaults(),
            now=_at(bills[-1].due_on, 9),
            source="bills.csv",
        )
    await harness.say(3001, "/setting fee_reminders 0", lang="zh")
    await _run_job(harness, _at(datetime(2030, 1, 15).date(), 9, 30))
    got = [s.text for s in harness.transport.to(DAVID) if "12.34" in s.text]
    assert bool(got) is allowed


async def test_the_daily_job_is_scheduled_at_start_for_compounds_with_bills(
    harness: Harness,
) -> None:
    now = harness.services.clock()
    async with harness.services.db.write() as session:
        assert await fee_settings.schedule_all_reminders(session, now) == 1
        assert await fee_settings.schedule_all_reminders(session, now) == 0
        due = await job_repo.due(session, now + timedelta(days=1))
    assert len(due) == 1
