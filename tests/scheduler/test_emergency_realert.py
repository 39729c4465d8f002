"""An emergency nobody has taken is posted again to the staff chat and to every manager every
few minutes, and the re-alerts stop the moment a staff member presses Take."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import func, select

from bot.i18n import translate
from bot.scheduler import DeadlineScheduler
from handlers.cases.sla import EMERGENCY_REALERT
from storage.models import Case, Deadline, DeadlineKind
from tests.harness import Harness
from tests.scheduler.support import (
    GLOBAL_MANAGER,
    MANAGER,
    PLUMBER,
    RESIDENT,
    STAFF_CHAT,
    Clock,
    take,
    texts,
)


async def report_emergency(h: Harness, text: str = "3号楼电梯着火了，楼道全是烟") -> Case:
    """An emergency as a resident types it in private: the router sends it to the flow."""
    await h.say(RESIDENT, text)
    async with h.services.db.read() as session:
        case = await session.scalar(select(Case).order_by(Case.id.desc()).limit(1))
        assert case is not None
        return case


def realerts(h: Harness, chat_id: int, number: str, key: str) -> list[str]:
    header = translate("zh", key, number=number, minutes=0).split("0", 1)[0]
    return [text for text in texts(h, chat_id) if text.startswith(header)]


async def test_realerts_repeat_until_taken_then_stop(
    h: Harness, scheduler: DeadlineScheduler, clock: Clock
) -> None:
    case = await report_emergency(h)
    start = clock.now

    for round_ in (1, 2):
        assert await scheduler.fire_due(start + EMERGENCY_REALERT * round_) >= 1
        staff = realerts(h, STAFF_CHAT, case.number, "emergency-realert-staff")
        assert len(staff) == round_
        assert f"{5 * round_} 分钟" in staff[-1]
        for manager in (MANAGER, GLOBAL_MANAGER):
            assert len(realerts(h, manager, case.number, "emergency-realert-manager")) == round_
    # Each re-alert in the staff chat carries the Take button, so it can be taken from there.
    latest = h.transport.to(STAFF_CHAT)[-1]
    assert latest.data("接单")

    clock.now = start + EMERGENCY_REALERT * 2
    await take(h, case.number)
    # The card and both re-alerts are edited in place: they show who has it, and no Take.
    shown = [sent for sent in h.transport.to(STAFF_CHAT) if sent.text.startswith("🚨")]
    assert len(shown) == 3
    for sent in shown:
        assert "李师傅" in sent.text
        assert not any("接单" in label for row in sent.buttons for label, _ in row)

    sent_before = len(h.transport.sent)
    assert await scheduler.fire_due(start + EMERGENCY_REALERT * 10) == 0
    assert len(h.transport.sent) == sent_before
    async with h.services.db.read() as session:
        pending = await session.scalar(
            select(func.count(Deadline.id)).where(
                Deadline.case_id == case.id,
                Deadline.kind == DeadlineKind.EMERGENCY_REALERT,
                Deadline.fired_at.is_(None),
                Deadline.cancelled.is_(False),
            )
        )
    assert pending == 0


async def test_each_realert_plans_exactly_the_next_one(
    h: Harness, scheduler: DeadlineScheduler, clock: Clock
) -> None:
    case = await report_emergency(h)
    start = clock.now
    for round_ in (1, 2, 3):
        await scheduler.fire_due(start + EMERGENCY_REALERT * round_)
    async with h.services.db.read() as session:
        rows = (
            await session.scalars(
                select(Deadline)
                .where(Deadline.case_id == case.id, Deadline.kind == DeadlineKind.EMERGENCY_REALERT)
                .order_by(Deadline.due_at)
            )
        ).all()
    assert [row.due_at - start for row in rows] == [EMERGENCY_REALERT * n for n in (1, 2, 3, 4)]
    assert [row.fired_at is not None for row in rows] == [True, True, True, False]


async def test_a_realert_is_armed_in_the_running_scheduler(
    h: Harness, scheduler: DeadlineScheduler, clock: Clock
) -> None:
    """The engine arms what an event creates; a re-alert arms the next one itself."""
    clock.now = datetime.now(UTC)  # real time: APScheduler keeps real time, and must wait here
    await scheduler.start()
    h.services.timers = scheduler
    try:
        case = await report_emergency(h)
        async with h.services.db.read() as session:
            first = await session.scalar(
                select(Deadline.id).where(
                    Deadline.case_id == case.id, Deadline.kind == DeadlineKind.EMERGENCY_REALERT
                )
            )
        assert first in scheduler.armed()
        await scheduler.fire(first, clock.now + EMERGENCY_REALERT)
        async with h.services.db.read() as session:
            later = set(
                await session.scalars(
                    select(Deadline.id).where(
                        Deadline.case_id == case.id,
                        Deadline.kind == DeadlineKind.EMERGENCY_REALERT,
                        Deadline.fired_at.is_(None),
                    )
                )
            )
        assert len(later) == 1 and later <= scheduler.armed()
        assert PLUMBER not in {s.chat_id for s in h.transport.sent}  # staff chat, not private
    finally:
        await scheduler.stop()
