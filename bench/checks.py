"""After a bench run: nothing lost, nothing doubled, in the store or in what was delivered."""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from typing import TYPE_CHECKING

from sqlalchemy import select

from bench.world import STAFF_CHAT
from storage.db import Database
from storage.models import Case, CaseEvent, CaseStatus, Deadline, DeadlineKind, Person, SentMessage
from storage.repos.cases import card_ref, resident_ref

if TYPE_CHECKING:
    from bench.cases import Run

LIFECYCLE = ["created", "assigned", "started", "resolved"]
# Take, Start and Resolve each edit the card in place once.
CARD_EDITS = 3
# The resident hears of each of those three changes once.
RESIDENT_TOLD = 3
NUMBER = re.compile(r"\b[RCQE]-\d{8}-\d{3,}\b")


async def verify(db: Database, run: Run, *, armed: set[int], errors: int) -> list[str]:
    """Every problem found, in words; empty when the run was clean."""
    problems: list[str] = []
    expected = len(run.filed)
    async with db.read() as session:
        cases = list(await session.scalars(select(Case).order_by(Case.id)))
        trail: defaultdict[int, list[str]] = defaultdict(list)
        for case_id, kind in await session.execute(
            select(CaseEvent.case_id, CaseEvent.kind).order_by(CaseEvent.id)
        ):
            trail[case_id].append(kind)
        deadlines = list(await session.scalars(select(Deadline)))
        stored_cards = Counter(
            await session.scalars(select(SentMessage.ref).where(SentMessage.ref.like("case:%")))
        )
        owners = dict(
            (await session.execute(select(Case.id, Person.telegram_id).join(Case.resident))).all()
        )

    def check(ok: bool, what: str) -> None:
        if not ok:
            problems.append(what)

    check(len(cases) == expected, f"{len(cases)} cases stored, {expected} filed")
    check(len({c.number for c in cases}) == len(cases), "two cases share a number")
    check(len({c.resident_id for c in cases}) == expected, "a resident has no case, or two")
    not_resolved = [c.number for c in cases if c.status is not CaseStatus.RESOLVED]
    check(not not_resolved, f"not resolved: {not_resolved[:5]}")
    wrong = {c.number: trail[c.id] for c in cases if trail[c.id] != LIFECYCLE}
    check(not wrong, f"transitions lost or doubled: {list(wrong.items())[:3]}")

    pending = [d for d in deadlines if d.fired_at is None and not d.cancelled]
    fired = [d for d in deadlines if d.fired_at is not None]
    per_case = Counter((d.case_id, d.kind) for d in pending)
    check(
        per_case == Counter({(c.id, DeadlineKind.AUTO_CLOSE): 1 for c in cases}),
        "pending deadlines are not exactly one auto-close per resolved case",
    )
    check(not fired, f"{len(fired)} deadlines fired although none was due")
    unarmed = {d.id for d in pending} - armed
    check(not unarmed, f"{len(unarmed)} pending deadlines have no timer")

    transport = run.transport
    filed = set(run.filed)
    cards = Counter(s.ref for s in transport.sent if s.chat_id == STAFF_CHAT and s.ref)
    staff_lines: Counter[str] = Counter()
    resident_lines: Counter[str] = Counter()
    resident_told: Counter[str | None] = Counter()
    for sent in transport.sent:
        numbers = set(NUMBER.findall(sent.text))
        if sent.chat_id == STAFF_CHAT:
            staff_lines.update(numbers)
        else:
            resident_lines.update(numbers)
            if sent.ref:
                resident_told[sent.ref] += 1
    for case in cases:
        card = card_ref(case.id)
        check(cards[card] == 1, f"{case.number}: {cards[card]} cards in the staff chat")
        check(stored_cards[card] == 1, f"{case.number}: card remembered {stored_cards[card]}x")
        check(
            transport.edits[card] == CARD_EDITS,
            f"{case.number}: card edited {transport.edits[card]}x",
        )
        told = resident_told[resident_ref(case.id)]
        check(told == RESIDENT_TOLD, f"{case.number}: resident told {told}x")
        check(owners[case.id] in filed, f"{case.number}: not filed by a resident who filed")
    # Whatever else mentions a case (prompts, confirmations), it is the same for every case.
    for where, lines in (("staff chat", staff_lines), ("residents", resident_lines)):
        spread = Counter(lines[c.number] for c in cases)
        check(len(spread) == 1, f"{where}: messages per case differ: {dict(spread)}")
    check(
        len(transport.toasts) == run.presses,
        f"{run.presses} presses, {len(transport.toasts)} answers",
    )
    check(run.refused == run.races, f"{run.races} take races, {run.refused} refused")
    check(errors == 0, f"{errors} errors logged")
    del problems[20:]
    return problems
