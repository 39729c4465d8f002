"""What happens when a case deadline comes due, as staff, managers and residents see it.

- response reminder: the staff chat (in the case's topic) is reminded to take a case nobody
  has acknowledged yet;
- response breach: still unacknowledged, the case escalates to managers;
- resolution reminder: the assignee is reminded in private (the staff chat when nobody has it);
- resolution breach: still unresolved, the case escalates to managers;
- emergency re-alert: an unacknowledged emergency is posted again to the staff chat and to every
  manager, and the next re-alert is planned, until a staff member takes it;
- auto-close: a resolved case the resident did not confirm closes, and they are told.

A deadline whose reason has passed (the case was taken, resolved, closed) is claimed and does
nothing. Nothing here sends: the messages are collected for delivery after the commit.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.engine.replies import Outbound, Send
from bot.i18n import locale_for, translate
from bot.settings import Settings
from handlers.cases import rules, sla
from handlers.cases.announce import Announcer
from handlers.cases.cards import local_time, staff_card_buttons, staff_card_text
from storage.models import Case, CaseStatus, Compound, Deadline, DeadlineKind
from storage.repos import deadlines as deadline_repo
from storage.repos.cases import OPEN_STATUSES, card_ref, load_case, staff_thread
from storage.repos.compounds import staff_chat

log = logging.getLogger(__name__)


@dataclass(slots=True)
class Fired:
    """What firing one row produced: messages to deliver and new rows to arm."""

    out: list[Outbound] = field(default_factory=list)
    armed: list[Deadline] = field(default_factory=list)


Action = Callable[[Announcer, Case, Compound, datetime], Awaitable[list[Deadline]]]


async def fire(
    session: AsyncSession, settings: Settings, row_id: int, now: datetime
) -> Fired | None:
    """Claims the row and does what it stands for; None when someone else already fired it
    (or it was cancelled). Call inside one write transaction."""
    found = (
        await session.execute(select(Deadline.case_id, Deadline.kind).where(Deadline.id == row_id))
    ).first()
    if found is None:
        return None
    case_id, kind = found
    # The case is locked before the row is claimed: staff actions lock the case and then
    # cancel its rows, so taking them in the same order means the two never deadlock.
    case = await load_case(session, case_id, lock=True)
    if case is None or not await deadline_repo.claim(session, row_id, now):
        return None
    compound = await session.get(Compound, case.compound_id)
    assert compound is not None
    announcer = Announcer(session, settings)
    armed = await ACTIONS[kind](announcer, case, compound, now)
    await session.flush()
    log.info(
        "deadline %d fired: %s of %s, %d message(s)", row_id, kind, case.number, len(announcer.out)
    )
    return Fired(announcer.out, armed)


def _unacknowledged(case: Case) -> bool:
    return case.acknowledged_at is None and case.status.is_open


async def _response_reminder(
    a: Announcer, case: Case, compound: Compound, now: datetime
) -> list[Deadline]:
    """Asks the staff chat to take a case that is nearing its response deadline."""
    if _unacknowledged(case):
        due = local_time(case.response_due, compound)
        text = translate(compound.locale, "case-reminder-response", number=case.number, due=due)
        await a.to_staff_chat(case, compound, text)
    return []


async def _response_breach(
    a: Announcer, case: Case, compound: Compound, now: datetime
) -> list[Deadline]:
    """Nobody took the case in time: managers, the staff chat and the card all show it."""
    if _unacknowledged(case):
        await a.changed(rules.escalate(a.session, case, now, breach="response"))
    return []


async def _resolve_reminder(
    a: Announcer, case: Case, compound: Compound, now: datetime
) -> list[Deadline]:
    """Reminds the assignee in private that their case is nearly due."""
    if case.status not in OPEN_STATUSES:
        return []
    due = local_time(case.resolve_due, compound)
    assignee = case.assignee
    if assignee is not None and assignee.telegram_id is not None:
        locale = locale_for(assignee, compound, a.settings.default_locale)
        text = translate(locale, "case-reminder-resolve", number=case.number, due=due)
        a.out.append(Send(chat_id=assignee.telegram_id, text=text))
    else:
        text = translate(
            compound.locale, "deadline-reminder-resolve-unassigned", number=case.number, due=due
        )
        await a.to_staff_chat(case, compound, text)
    return []


async def _resolve_breach(
    a: Announcer, case: Case, compound: Compound, now: datetime
) -> list[Deadline]:
    """The case is still unresolved at its deadline: it escalates to managers."""
    if case.status in OPEN_STATUSES:
        await a.changed(rules.escalate(a.session, case, now, breach="resolve"))
    return []


async def _emergency_realert(
    a: Announcer, case: Case, compound: Compound, now: datetime
) -> list[Deadline]:
    """Posts an unanswered emergency again, with its Take button, to the staff chat and to
    every manager, and plans the next re-alert."""
    if not _unacknowledged(case):
        return []
    minutes = max(1, int((now - case.created_at).total_seconds() // 60))
    chat = await staff_chat(a.session, compound.id)
    if chat is not None:
        header = translate(
            compound.locale, "emergency-realert-staff", number=case.number, minutes=minutes
        )
        a.out.append(
            Send(
                chat_id=chat.chat_id,
                text=header + "\n\n" + staff_card_text(case, compound),
                buttons=staff_card_buttons(case, compound),
                thread_id=await staff_thread(a.session, case.id, chat.chat_id),
                # Under the card's name, so that every re-alert is edited with the card and
                # loses its Take button once someone has taken the case.
                ref=card_ref(case.id),
            )
        )
    await a.to_managers(case, compound, "emergency-realert-manager", card=True)
    return [sla.plan_realert(a.session, case, now)]


async def _auto_close(
    a: Announcer, case: Case, compound: Compound, now: datetime
) -> list[Deadline]:
    """Closes a resolved case the resident never confirmed and tells them so."""
    if case.status is CaseStatus.RESOLVED:
        change = await rules.auto_close(a.session, case, now)
        if change is not None:
            await a.changed(change)
    return []


ACTIONS: dict[DeadlineKind, Action] = {
    DeadlineKind.RESPONSE_REMINDER: _response_reminder,
    DeadlineKind.RESPONSE_BREACH: _response_breach,
    DeadlineKind.RESOLVE_REMINDER: _resolve_reminder,
    DeadlineKind.RESOLVE_BREACH: _resolve_breach,
    DeadlineKind.EMERGENCY_REALERT: _emergency_realert,
    DeadlineKind.AUTO_CLOSE: _auto_close,
}
