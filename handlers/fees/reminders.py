"""Fee reminders: a daily job per compound ("fee-reminders", subject the compound's code) that
reminds households with something to pay, on the compound's days around each due date.

Which households: a unit with an unpaid bill whose due date is one of the compound's reminder
days away (`fee_reminders`, by default 7 days before, on the day, and 15 days after), and
that was not reminded in the last seven days. Each household's reminder is a broadcast of its
own (kind FEE_REMINDER, subject `fee-reminder:UNIT:DAY`: firing twice sends once) to the
private chats of its residents who may see its bills (never a group), through the bulk sender:
held until the compound's quiet hours end. It states the amount and how to pay, and never
names anyone else. A payment imported before a reminder went out withdraws it
(`storage.repos.fees.withdraw_reminders`, called by the payments import): the household's
waiting rows are cancelled, so a paid household is not reminded.

The job reschedules itself for the next day; importing bills (or seeding the demo) schedules
the first one.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.engine.bulk import open_broadcast, queue
from bot.engine.jobs import JobContext
from bot.engine.registry import Flows
from bot.engine.replies import Send
from bot.i18n import Translator
from handlers.fees.view import day_text, item_name
from knowledge.loader import load_placeholders
from storage import fee_settings
from storage.models import BroadcastKind, Compound, FeeReminder, ResidencyRole
from storage.repos import fees as fee_repo
from storage.repos.audience import AudienceSpec, Topic, recipients
from storage.repos.fees import BillLine

JOB = fee_settings.REMINDER_JOB
ONCE_PER = timedelta(days=7)


def due_households(
    unpaid: list[BillLine], today: date, days: tuple[int, ...]
) -> dict[int, list[BillLine]]:
    """Units to remind today (a bill's due date is one of `days` away), with all they owe."""
    by_unit: dict[int, list[BillLine]] = defaultdict(list)
    for line in unpaid:
        by_unit[line.unit_id].append(line)
    return {
        unit_id: lines
        for unit_id, lines in by_unit.items()
        if any((today - line.due_on).days in days for line in lines)
    }


async def remind(session: AsyncSession, compound: Compound, now: datetime, locale: str) -> int:
    """Queues today's reminders of one compound; returns how many households."""
    settings = fee_settings.of(compound)
    if not settings.reminder_days:
        return 0
    today = now.astimezone(ZoneInfo(compound.timezone)).date()
    unpaid = await fee_repo.unpaid_bills(session, compound.id)
    due = due_households(unpaid, today, settings.reminder_days)
    recent = await fee_repo.reminded_since(session, compound.id, now - ONCE_PER)
    kb = (compound.settings or {}).get("kb") or {}
    reminded = 0
    for unit_id, lines in sorted(due.items()):
        if unit_id in recent:
            continue
        label = lines[0].unit
        people = [
            r
            for r in await recipients(
                session,
                compound,
                AudienceSpec(units=(label,)),
                topic=Topic.FEES,
                default_locale=locale,
            )
            if r.unit_id == unit_id
            and (r.role is not ResidencyRole.TENANT or settings.tenants_see_bills)
        ]
        if not people:
            continue
        broadcast = await open_broadcast(
            session,
            compound=compound,
            kind=BroadcastKind.FEE_REMINDER,
            subject=f"fee-reminder:{unit_id}:{today.isoformat()}",
            title=f"{label} {today.isoformat()}",
            now=now,
        )
        if broadcast is None:
            continue
        owed = sum(line.owed for line in lines)
        messages = []
        for person in people:
            t = Translator(person.locale)
            text = t(
                "fees-reminder",
                unit=label,
                amount=settings.money(owed),
                lines="\n".join(
                    t(
                        "fees-line-due",
                        period=line.period,
                        item=item_name(t, line.item),
                        amount=settings.money(line.owed),
                        due=day_text(person.locale, line.due_on),
                    )
                    for line in lines
                ),
                channels=load_placeholders().value("payment_channels", person.locale, kb) or "",
            )
            messages.append(Send(chat_id=person.telegram_id, text=text))
        await queue(session, broadcast, messages, now, compound=compound)
        session.add(
            FeeReminder(
                compound_id=compound.id,
                unit_id=unit_id,
                broadcast_id=broadcast.id,
                owed_cents=owed,
                queued_at=now,
            )
        )
        reminded += 1
    return reminded


async def on_job(job: JobContext) -> None:
    """Today's reminders for the job's compound, then tomorrow's job."""
    compound = await job.session.scalar(select(Compound).where(Compound.code == job.job.subject))
    if compound is None:
        return
    await remind(job.session, compound, job.now, job.services.settings.default_locale)
    await job.schedule(JOB, compound.code, fee_settings.next_reminder_run(compound, job.now))


def register(flows: Flows) -> None:
    flows.job(JOB, on_job)
