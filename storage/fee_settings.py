"""A compound's fee settings: currency, the late-fee rule its service contract states (or
none), whether tenants see their unit's bills, and when residents are reminded.

Kept in `Compound.settings["fees"]`; set with `courtyard import settings` or a manager's
`/setting KEY VALUE` through `storage.compound_settings` (the same check for both):

- `currency`: a three-letter code, `CNY` when unset;
- `late_fee`: `none` (the default: no late fee is shown or charged) or a daily rate on the
  overdue amount as the contract states it, `0.05%/day`, optionally with days of grace
  (`0.05%/day after 30 days`). The late fee is never more than the overdue amount itself;
- `tenants_see_bills`: `yes` or `no` (owners and their family always see them);
- `fee_reminders`: days relative to the due date on which households in arrears are
  reminded, `-7,0,15` by default (a week before, on the day, fifteen days after), or `off`.

Amounts are whole cents throughout; the late fee is computed in integers (parts per million).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Bill, Compound, ScheduledJob
from storage.repos import jobs as job_repo

CURRENCY, LATE_FEE, TENANTS, REMINDERS = (
    "currency",
    "late_fee",
    "tenants_see_bills",
    "fee_reminders",
)
KEYS = (CURRENCY, LATE_FEE, TENANTS, REMINDERS)
DEFAULT_CURRENCY = "CNY"
DEFAULT_REMINDERS = (-7, 0, 15)
# How amounts are written per currency; any other code is written before the amount.
SYMBOLS = {"CNY": "¥", "HKD": "HK$", "USD": "$", "EUR": "€", "GBP": "£", "SGD": "S$"}
_RATE = re.compile(
    r"(?P<rate>[0-9]{1,2}(?:\.[0-9]{1,4})?)\s*%\s*(?:/|per\s+)\s*day"
    r"(?:\s+after\s+(?P<grace>[0-9]{1,3})\s+days?)?",
    re.IGNORECASE,
)
YES, NO = ("yes", "true", "1", "on", "是"), ("no", "false", "0", "off", "否")


# The daily job that reminds households (handlers/fees/reminders.py), one per compound, and
# the local time it decides the day's reminders: office hours, never in quiet hours.
REMINDER_JOB = "fee-reminders"
REMINDER_RUN_AT = time(9, 30)


def next_reminder_run(compound: Compound, now: datetime) -> datetime:
    """The next REMINDER_RUN_AT in the compound's zone after `now`."""
    zone = ZoneInfo(compound.timezone)
    local = now.astimezone(zone)
    at = datetime.combine(local.date(), REMINDER_RUN_AT, tzinfo=zone)
    if at <= local:
        at = datetime.combine(local.date() + timedelta(days=1), REMINDER_RUN_AT, tzinfo=zone)
    return at


async def schedule_reminders(session: AsyncSession, compound: Compound, now: datetime) -> None:
    """Makes sure the compound's daily reminder job is scheduled (once per time)."""
    await job_repo.schedule(session, REMINDER_JOB, compound.code, next_reminder_run(compound, now))


async def schedule_all_reminders(session: AsyncSession, now: datetime) -> int:
    """Every compound with bills gets its daily reminder job, if it has none pending (at
    start: the demo's bills, or a job lost with an old database). Returns how many were added."""
    with_bills = select(Bill.compound_id).distinct()
    pending = set(
        await session.scalars(
            select(ScheduledJob.subject).where(
                ScheduledJob.kind == REMINDER_JOB,
                ScheduledJob.fired_at.is_(None),
                ScheduledJob.cancelled.is_(False),
            )
        )
    )
    added = 0
    for compound in await session.scalars(select(Compound).where(Compound.id.in_(with_bills))):
        if compound.code not in pending:
            await schedule_reminders(session, compound, now)
            added += 1
    return added


class BadFeeSetting(ValueError):
    """The value cannot be read; the message says what is wrong, as the operator reads it."""


@dataclass(frozen=True, slots=True)
class LateFee:
    """A daily rate in parts per million of the overdue amount, after `grace_days`."""

    ppm_per_day: int
    grace_days: int = 0

    def charge(self, overdue_cents: int, due_on: date, today: date) -> int:
        """The late fee on `overdue_cents` due on `due_on`, as of `today`, in whole cents
        (rounded down), at most the overdue amount."""
        days = (today - due_on).days - self.grace_days
        if days <= 0 or overdue_cents <= 0:
            return 0
        return min(overdue_cents, overdue_cents * self.ppm_per_day * days // 1_000_000)

    def describe(self, locale: str) -> str:
        rate = _percent(self.ppm_per_day)
        if locale == "zh":
            grace = f"，逾期{self.grace_days}天后起算" if self.grace_days else ""
            return f"逾期未缴金额每日 {rate}%{grace}，最多不超过欠费本金"
        grace = f" after {self.grace_days} days" if self.grace_days else ""
        return f"{rate}% of the overdue amount per day{grace}, never more than the amount itself"


@dataclass(frozen=True, slots=True)
class FeeSettings:
    currency: str = DEFAULT_CURRENCY
    late_fee: LateFee | None = None
    tenants_see_bills: bool = False
    reminder_days: tuple[int, ...] = DEFAULT_REMINDERS

    def money(self, cents: int) -> str:
        """`¥1,234.50`: exact to the cent, from integers only."""
        sign = "-" if cents < 0 else ""
        whole, part = divmod(abs(cents), 100)
        symbol = SYMBOLS.get(self.currency)
        number = f"{whole:,}.{part:02d}"
        return f"{sign}{symbol}{number}" if symbol else f"{sign}{number} {self.currency}"


def _percent(ppm: int) -> str:
    whole, part = divmod(ppm, 10_000)
    return f"{whole}.{part:04d}".rstrip("0").rstrip(".")


def of(compound: Compound) -> FeeSettings:
    """The compound's fee settings, with the defaults for what it has not set."""
    stored: dict[str, Any] = (compound.settings or {}).get("fees") or {}
    late = stored.get(LATE_FEE)
    return FeeSettings(
        currency=stored.get(CURRENCY) or DEFAULT_CURRENCY,
        late_fee=LateFee(int(late["ppm_per_day"]), int(late.get("grace_days", 0)))
        if isinstance(late, dict)
        else None,
        tenants_see_bills=bool(stored.get(TENANTS, False)),
        reminder_days=tuple(stored[REMINDERS])
        if isinstance(stored.get(REMINDERS), list)
        else DEFAULT_REMINDERS,
    )


def parse(name: str, text: str) -> Any:
    """The stored form of one fee setting's value; BadFeeSetting when it cannot be read."""
    value = " ".join(text.split())
    if name == CURRENCY:
        if not re.fullmatch(r"[A-Za-z]{3}", value):
            raise BadFeeSetting(f"currency {value!r} is not a three-letter code such as CNY")
        return value.upper()
    if name == LATE_FEE:
        if value.lower() in ("none", "no", "0", "无"):
            return None
        found = _RATE.fullmatch(value)
        if found is None:
            raise BadFeeSetting(
                f"late_fee {value!r}: write none, or a daily rate such as 0.05%/day "
                "(optionally 0.05%/day after 30 days)"
            )
        whole, _, part = found["rate"].partition(".")
        ppm = int(whole) * 10_000 + int((part + "0000")[:4])
        if ppm <= 0:
            raise BadFeeSetting("late_fee: a rate of 0 is none")
        return {"ppm_per_day": ppm, "grace_days": int(found["grace"] or 0)}
    if name == TENANTS:
        if value.lower() in YES:
            return True
        if value.lower() in NO:
            return False
        raise BadFeeSetting(f"tenants_see_bills {value!r}: write yes or no")
    if name == REMINDERS:
        if value.lower() in ("off", "none", "no"):
            return []
        try:
            days = sorted({int(part) for part in re.split(r"[,，\s]+", value) if part})
        except ValueError:
            raise BadFeeSetting(
                f"fee_reminders {value!r}: days around the due date such as -7,0,15, or off"
            ) from None
        if not days or any(not -60 <= day <= 365 for day in days):
            raise BadFeeSetting("fee_reminders: each day from -60 to 365")
        return days
    raise BadFeeSetting(f"unknown fee setting {name!r}")


def store(compound: Compound, name: str, value: Any) -> bool:
    """Sets one fee setting on the compound (the late-fee rule also becomes the text the
    knowledge base answers with); True when anything changed."""
    settings = dict(compound.settings or {})
    fees = {**(settings.get("fees") or {}), name: value}
    settings["fees"] = fees
    if name == LATE_FEE:
        rule = LateFee(value["ppm_per_day"], value["grace_days"]) if value else None
        kb = dict(settings.get("kb") or {})
        kb[LATE_FEE] = (
            {"zh": rule.describe("zh"), "en": rule.describe("en")}
            if rule
            else {"zh": "本小区不收取滞纳金", "en": "no late fee is charged in this compound"}
        )
        settings["kb"] = kb
    if settings == (compound.settings or {}):
        return False
    # A new dict: the ORM notices a JSON change only on assignment.
    compound.settings = settings
    return True
