"""The managers' emergency broadcast and its roll-call, through the engine: composing with a
preview (nothing sent before confirming), urgent delivery before bulk notices, at night and to
people who muted notices, the pinned group post, answers filling the board by building (edited
at most every few seconds, always ending current), one case per person needing help, forged
and stale presses refused, re-send only to the silent, the all-clear, the CSV export, drills
marked everywhere, and non-managers refused."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from bot.commands.export import write_csv
from bot.engine.bulk import open_broadcast, queue
from bot.engine.replies import Send
from bot.i18n import translate
from bot.scheduler import DeadlineScheduler
from bot.settings import Settings
from handlers.emergencies.rollcall import AnswerPress, ManageAction, ManagePress
from storage import demo
from storage.db import Database
from storage.models import (
    AuditEntry,
    BroadcastKind,
    Case,
    CaseKind,
    Compound,
    Person,
    RollCall,
    RollCallAnswer,
    RollCallAnswerKind,
)
from tests.cases.conftest import NEIGHBOUR_RESIDENT, add_neighbour_compound
from tests.harness import Harness, Sent, demo_compound, in_demo_compound
from tests.scheduler.support import Clock

# 王芳 (zh, building 1), David Chen (en, building 2), 陈建国 and 陈小雨 (zh, building 3, one home).
WANG, DAVID, CHEN, XIAOYU = 1001, 1002, 1003, 1004
RESIDENTS = (WANG, DAVID, CHEN, XIAOYU)
PLUMBER, MANAGER, GLOBAL_MANAGER = 2001, 3001, 9001
STAFF_CHAT, GROUP = demo.STAFF_CHAT_ID, demo.RESIDENT_GROUP_ID
# 23:30 in Shanghai: inside the default quiet hours (22:00-07:00).
NIGHT = datetime(2026, 3, 2, 15, 30, tzinfo=UTC)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def h(
    db: Database, settings: Settings, clock: Clock, sqlite_templates
) -> AsyncIterator[Harness]:
    harness = await Harness.create(db, settings, templates=sqlite_templates)
    harness.services.clock = clock
    yield harness


@pytest.fixture
def scheduler(h: Harness) -> DeadlineScheduler:
    """Not started: follow-up board edits fire with `fire_due(now)`, nobody waits."""
    return DeadlineScheduler(h.engine)


async def deliver(h: Harness) -> None:
    """Sends every broadcast row that is due (what the bulk sender does in the bot)."""
    while await h.engine.bulk.send_due():
        pass


async def compose(
    h: Harness,
    *,
    template: str = "火警",
    buildings: tuple[str, ...] = (),
    chat: int | None = None,
    manager: int = MANAGER,
) -> Sent:
    """A manager's /emergency up to the preview, which it returns."""
    where = chat if chat is not None else manager
    await h.say(manager, "/emergency", chat=chat)
    await h.press(manager, h.transport.last(where).data(template), chat=chat)
    if buildings:
        for name in buildings:
            await h.press(manager, h.transport.last(where).data(f"{name}号楼"), chat=chat)
        await h.press(manager, h.transport.last(where).data("完成"), chat=chat)
    else:
        await h.press(manager, h.transport.last(where).data("全小区"), chat=chat)
    await h.press(manager, h.transport.last(where).data("10 分钟"), chat=chat)
    return h.transport.last(where)


async def send_now(h: Harness, preview: Sent, *, chat: int | None = None) -> RollCall:
    await h.press(MANAGER, preview.data("立即发送"), chat=chat)
    async with h.services.db.read() as session:
        roll = await session.scalar(select(RollCall).order_by(RollCall.id.desc()))
    assert roll is not None
    return roll


def emergency_messages(h: Harness, chat_id: int) -> list[Sent]:
    return [s for s in h.transport.to(chat_id) if s.buttons and "rk:" in (s.buttons[0][0][1] or "")]


def control(h: Harness) -> Sent:
    """The manager's message with re-send and all-clear."""
    return next(s for s in reversed(h.transport.to(MANAGER)) if "rm:" in str(s.buttons))


def board(h: Harness) -> Sent:
    return next(s for s in h.transport.to(STAFF_CHAT) if s.text.startswith("📋"))


async def answer(h: Harness, user: int, roll: RollCall, kind: RollCallAnswerKind) -> None:
    await h.press(user, AnswerPress(roll.id, kind).pack())


async def test_preview_counts_and_sends_nothing_before_confirming(h: Harness) -> None:
    preview = await compose(h)
    # 4 residents with the bot in 3 homes (陈建国 and 陈小雨 share one) + 2 roster homes.
    assert "全小区" in preview.text and "3 户、4 位" in preview.text
    assert translate("zh", "rollcall-template-fire") in preview.text
    await deliver(h)
    assert all(not h.transport.to(r) for r in RESIDENTS)
    assert not h.transport.to(GROUP)

    await h.press(MANAGER, preview.data("取消"))
    await deliver(h)
    assert all(not h.transport.to(r) for r in RESIDENTS)
    async with h.services.db.read() as session:
        assert await session.scalar(select(func.count()).select_from(RollCall)) == 0


async def test_it_reaches_every_resident_in_their_language_and_pins_the_group_post(
    h: Harness,
) -> None:
    roll = await send_now(h, await compose(h))
    await deliver(h)
    for resident in RESIDENTS:
        (message,) = emergency_messages(h, resident)
        locale = "en" if resident == DAVID else "zh"
        assert translate(locale, "rollcall-template-fire") in message.text
        labels = [row[0][0] for row in message.buttons]
        assert labels == [
            translate(locale, "rollcall-btn-safe"),
            translate(locale, "rollcall-btn-help"),
            translate(locale, "rollcall-btn-away"),
        ]
    (post,) = h.transport.to(GROUP)
    assert translate("zh", "rollcall-template-fire") in post.text
    assert post.pinned
    # The board and the manager's message with its buttons.
    assert f"平安报备 {roll.id}" in board(h).text and "❔ 未回复 4（共 4 人）" in board(h).text
    assert control(h).data("再次发给") and control(h).data("解除警报")


async def test_it_goes_out_before_a_queued_bulk_notice(h: Harness) -> None:
    async with h.services.db.write() as session:
        compound = await session.scalar(demo_compound())
        assert compound is not None
        notice = await open_broadcast(
            session,
            compound=compound,
            kind=BroadcastKind.NOTICE,
            subject="notice:test",
            title="草坪养护",
            now=h.services.clock(),
        )
        assert notice is not None
        messages = [Send(chat_id=r, text="本周六草坪养护") for r in RESIDENTS]
        assert await queue(session, notice, messages, h.services.clock(), compound=compound)
    await send_now(h, await compose(h))
    await deliver(h)
    private = [s for s in h.transport.sent if s.chat_id in RESIDENTS]
    kinds = ["notice" if s.text == "本周六草坪养护" else "emergency" for s in private]
    assert kinds[:4] == ["emergency"] * 4
    assert "notice" in kinds  # the notice still goes out, after


async def test_it_ignores_quiet_hours_and_mutes(h: Harness, clock: Clock) -> None:
    clock.now = NIGHT
    async with h.services.db.write() as session:
        person = await session.scalar(select(Person).where(Person.telegram_id == WANG))
        assert person is not None
        person.muted = ["community", "maintenance"]
    await send_now(h, await compose(h))
    await deliver(h)
    for resident in RESIDENTS:
        assert len(emergency_messages(h, resident)) == 1


async def test_answers_fill_the_board_by_building_at_most_every_few_seconds(
    h: Harness, clock: Clock, scheduler: DeadlineScheduler
) -> None:
    roll = await send_now(h, await compose(h))
    await deliver(h)
    # The first answer shows on the board at once.
    await answer(h, WANG, roll, RollCallAnswerKind.SAFE)
    assert "1号楼：✅ 1 · 🆘 0 · 🏠 0 · ❔ 0" in board(h).text
    edits_before = len(h.transport.edits)
    # A burst right after: held for one follow-up edit.
    await answer(h, DAVID, roll, RollCallAnswerKind.AWAY)
    await answer(h, CHEN, roll, RollCallAnswerKind.HELP)
    board_edits = [e for e in h.transport.edits[edits_before:] if e[0] == STAFF_CHAT]
    assert board_edits == []
    assert "❔ 未回复 3" in board(h).text

    clock.advance(seconds=5)
    assert await scheduler.fire_due(clock.now) == 1  # one follow-up for the whole burst
    text = board(h).text
    assert "1号楼：✅ 1 · 🆘 0 · 🏠 0 · ❔ 0" in text
    assert "2号楼：✅ 0 · 🆘 0 · 🏠 1 · ❔ 0" in text
    assert "3号楼：✅ 0 · 🆘 1 · 🏠 0 · ❔ 1" in text
    assert "• 3-2-1102 陈建国" in text
    assert "✅ 安全 1 · 🆘 需要帮助 1 · 🏠 不在家 1 · ❔ 未回复 1（共 4 人）" in text

    # Long enough after the last edit: the next answer edits the board at once.
    clock.advance(seconds=6)
    await answer(h, XIAOYU, roll, RollCallAnswerKind.SAFE)
    assert "3号楼：✅ 1 · 🆘 1 · 🏠 0 · ❔ 0" in board(h).text
    # And one within the interval is shown by the follow-up: the board ends current.
    clock.advance(seconds=1)
    await answer(h, WANG, roll, RollCallAnswerKind.HELP)
    assert "1号楼：✅ 1" in board(h).text
    clock.advance(seconds=5)
    assert await scheduler.fire_due(clock.now) == 1
    assert "1号楼：✅ 0 · 🆘 1" in board(h).text


async def test_a_later_answer_replaces_the_earlier_and_is_recorded(h: Harness) -> None:
    roll = await send_now(h, await compose(h))
    await deliver(h)
    await answer(h, WANG, roll, RollCallAnswerKind.SAFE)
    assert h.transport.toasts[-1].text == translate("zh", "rollcall-answered-safe")
    await answer(h, WANG, roll, RollCallAnswerKind.AWAY)
    async with h.services.db.read() as session:
        rows = (
            await session.scalars(
                select(RollCallAnswer)
                .join(Person, Person.id == RollCallAnswer.person_id)
                .where(Person.telegram_id == WANG)
            )
        ).all()
        audits = (
            await session.scalars(
                select(AuditEntry)
                .where(AuditEntry.action == "rollcall.answer")
                .order_by(AuditEntry.id)
            )
        ).all()
    assert [r.answer for r in rows] == [RollCallAnswerKind.AWAY]
    assert [(a.detail["previous"], a.detail["answer"]) for a in audits] == [
        (None, "safe"),
        ("safe", "away"),
    ]


async def test_need_help_opens_one_emergency_case(h: Harness) -> None:
    roll = await send_now(h, await compose(h))
    await deliver(h)
    await answer(h, CHEN, roll, RollCallAnswerKind.HELP)
    await answer(h, CHEN, roll, RollCallAnswerKind.HELP)
    async with h.services.db.read() as session:
        cases = (await session.scalars(select(Case).where(in_demo_compound()))).all()
    (case,) = cases
    assert case.kind is CaseKind.EMERGENCY and case.building == "3"
    assert case.unit_id is not None and "陈建国" in case.description
    replies = [s.text for s in h.transport.to(CHEN) if case.number in s.text]
    assert any(translate("zh", "rollcall-answered-help", number=case.number) in t for t in replies)
    # Its card reaches the staff chat like any emergency.
    assert any(case.number in s.text for s in h.transport.to(STAFF_CHAT))


async def test_forged_and_stale_presses_are_refused(h: Harness) -> None:
    await add_neighbour_compound(h)
    roll = await send_now(h, await compose(h, buildings=("1",)))
    await deliver(h)
    refused = translate("zh", "rollcall-refused-not-asked")
    # Not in the audience (building 3), staff, another compound's resident, no such roll-call.
    forged = ((CHEN, roll.id), (PLUMBER, roll.id), (NEIGHBOUR_RESIDENT, roll.id), (WANG, 999))
    for user, roll_call_id in forged:
        await h.press(user, AnswerPress(roll_call_id, RollCallAnswerKind.SAFE).pack())
        assert h.transport.toasts[-1].text == refused and h.transport.toasts[-1].alert
    # A resident pressing the manager's buttons.
    await h.press(WANG, ManagePress(roll.id, ManageAction.SEND_ALL_CLEAR).pack())
    assert h.transport.toasts[-1].text == translate("zh", "common-not-allowed")
    async with h.services.db.read() as session:
        answered = await session.scalar(
            select(func.count())
            .select_from(RollCallAnswer)
            .where(RollCallAnswer.answer.is_not(None))
        )
        closed = await session.scalar(select(RollCall.closed_at))
    assert answered == 0 and closed is None


async def test_resend_goes_only_to_those_who_have_not_answered(h: Harness, clock: Clock) -> None:
    roll = await send_now(h, await compose(h))
    await deliver(h)
    await answer(h, WANG, roll, RollCallAnswerKind.SAFE)
    await answer(h, CHEN, roll, RollCallAnswerKind.AWAY)
    await h.press(MANAGER, control(h).data("再次发给"))
    assert "起可以再次发送" in h.transport.toasts[-1].text
    await deliver(h)
    assert all(len(emergency_messages(h, r)) == 1 for r in RESIDENTS)

    clock.advance(minutes=10)
    await h.press(MANAGER, control(h).data("再次发给"))
    await deliver(h)
    assert [len(emergency_messages(h, r)) for r in RESIDENTS] == [1, 2, 1, 2]
    reminder = emergency_messages(h, DAVID)[-1]
    assert reminder.text.startswith("🔁") and "Reminder" in reminder.text
    assert "再次发给 2 位" in board(h).text


async def test_all_clear_closes_it_and_the_export_keeps_it(h: Harness, clock: Clock) -> None:
    roll = await send_now(h, await compose(h))
    await deliver(h)
    await answer(h, WANG, roll, RollCallAnswerKind.SAFE)
    clock.advance(minutes=3)
    await answer(h, CHEN, roll, RollCallAnswerKind.HELP)
    await h.press(MANAGER, control(h).data("解除警报"))
    await h.say(MANAGER, "火已扑灭，大家可以回家了。")
    preview = h.transport.last(MANAGER)
    assert "火已扑灭" in preview.text
    await h.press(MANAGER, preview.data("发送解除通知"))
    await deliver(h)
    for resident in RESIDENTS:
        assert "火已扑灭，大家可以回家了。" in h.transport.last(resident).text
    assert "火已扑灭" in h.transport.last(GROUP).text
    assert "已发送解除通知" in board(h).text
    # Answers after the all-clear are refused; the roll-call is kept.
    await answer(h, DAVID, roll, RollCallAnswerKind.SAFE)
    assert h.transport.toasts[-1].text == translate("en", "rollcall-refused-closed")

    out = io.StringIO()
    async with h.services.db.read() as session:
        assert await write_csv(session, roll.id, out) == 4
    lines = out.getvalue().splitlines()
    assert lines[0] == "unit,building,person,phone,answer,answered_at,kind"
    assert lines[1] == "1-1-0301,1,王芳,,safe,2026-03-02T09:00:00+08:00,emergency"
    assert lines[2] == "2-1-0502,2,David Chen,,,,emergency"
    assert "3-2-1102,3,陈建国,,help,2026-03-02T09:03:00+08:00,emergency" in lines


async def test_a_drill_is_marked_as_one_everywhere(h: Harness) -> None:
    preview = await compose(h, template="演练")
    assert "【演练】" in preview.text
    roll = await send_now(h, preview)
    await deliver(h)
    assert roll.drill
    assert emergency_messages(h, WANG)[0].text.startswith("🚨 【演练】")
    assert "[DRILL]" in emergency_messages(h, DAVID)[0].text
    assert "【演练】" in h.transport.last(GROUP).text
    assert "【演练】" in board(h).text
    out = io.StringIO()
    async with h.services.db.read() as session:
        await write_csv(session, roll.id, out)
    assert all(line.endswith(",drill") for line in out.getvalue().splitlines()[1:])


async def test_an_edited_text_goes_out_as_edited(h: Harness) -> None:
    preview = await compose(h, template="停电")
    await h.press(MANAGER, preview.data("修改内容"))
    assert translate("zh", "rollcall-template-power") in h.transport.last(MANAGER).text
    await h.say(MANAGER, "3号楼配电房检修，今晚20:00-22:00停电。")
    preview = h.transport.last(MANAGER)
    assert "3号楼配电房检修" in preview.text
    await send_now(h, preview)
    await deliver(h)
    assert "3号楼配电房检修" in emergency_messages(h, DAVID)[0].text


async def test_from_the_staff_chat_for_chosen_buildings(h: Harness) -> None:
    preview = await compose(h, buildings=("2", "3"), chat=STAFF_CHAT)
    assert "2, 3号楼" in preview.text and "2 户、3 位" in preview.text
    await send_now(h, preview, chat=STAFF_CHAT)
    await deliver(h)
    assert not emergency_messages(h, WANG)
    assert all(emergency_messages(h, r) for r in (DAVID, CHEN, XIAOYU))


async def test_non_managers_are_refused_politely(h: Harness) -> None:
    await h.say(WANG, "/emergency")
    assert h.transport.last(WANG).text == translate("zh", "rollcall-not-manager")
    await h.say(PLUMBER, "/emergency", chat=STAFF_CHAT)
    assert h.transport.last(STAFF_CHAT).text == translate("zh", "rollcall-not-manager")
    await h.say(DAVID, "/emergency", lang="en")
    assert h.transport.last(DAVID).text == translate("en", "rollcall-not-manager")
    await h.say(MANAGER, "/emergency", chat=GROUP)
    assert h.transport.last(GROUP).text == translate("zh", "rollcall-where")
    # A manager listed in MANAGER_IDS may.
    await h.say(GLOBAL_MANAGER, "/emergency")
    assert h.transport.last(GLOBAL_MANAGER).data("火警")
    async with h.services.db.read() as session:
        assert await session.scalar(select(func.count()).select_from(RollCall)) == 0
        assert await session.scalar(select(Compound.id).where(Compound.code == demo.CODE))
