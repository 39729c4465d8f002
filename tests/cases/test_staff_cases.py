"""The staff side of cases through the engine: cards, buttons, replies, /cases, authorisation."""

from __future__ import annotations

import pytest
from sqlalchemy import select, update

from handlers.cases import rules
from handlers.cases.announce import Announcer
from handlers.cases.buttons import AssignPress, StaffAction, StaffPress
from storage import demo
from storage.models import Case, CaseEvent, CaseKind, CaseStatus, ChatBinding, Person
from tests.harness import Harness, Sent, demo_compound

RESIDENT, RESIDENT_EN, PLUMBER, LIFT_TECH, MANAGER = 1001, 1002, 2001, 2002, 3001
STAFF_CHAT = demo.STAFF_CHAT_ID


async def file_case(h: Harness, telegram_id: int, **draft: object) -> Case:
    """Files a case as the resident would have, and delivers its announcements."""
    async with h.services.db.write() as session:
        person = await session.scalar(select(Person).where(Person.telegram_id == telegram_id))
        compound = await session.scalar(demo_compound())
        assert person is not None and compound is not None
        fields = {"kind": CaseKind.REPAIR, "category": "plumbing", "description": "厨房水管漏水"}
        fields.update(draft)
        change = await rules.open_case(
            session,
            compound=compound,
            resident=person,
            draft=rules.Draft(**fields),  # type: ignore[arg-type]
            now=h.services.clock(),
        )
        announcer = Announcer(session, h.services.settings)
        await announcer.created(change)
        case = change.case
    await h.engine.deliver(announcer.out)
    return case


CARD_ICONS = ("🔧", "📣", "💬", "🚨")


def card(h: Harness) -> Sent:
    """The newest case card in the staff chat (cards start with their kind's icon)."""
    return next(s for s in reversed(h.transport.to(STAFF_CHAT)) if s.text.startswith(CARD_ICONS))


async def test_take_start_resolve_and_the_resident_hears_each_step(harness: Harness) -> None:
    case = await file_case(harness, RESIDENT_EN)
    staff_card = card(harness)
    assert case.number in staff_card.text and "David Chen" in staff_card.text

    await harness.press(PLUMBER, staff_card.data("接单"), chat=STAFF_CHAT)
    assert "李师傅" in card(harness).text  # edited in place
    assert "given to a member of staff" in harness.transport.last(RESIDENT_EN).text

    await harness.press(PLUMBER, card(harness).data("开始"), chat=STAFF_CHAT)
    assert "处理中" in card(harness).text
    assert "Work on your case" in harness.transport.last(RESIDENT_EN).text

    await harness.press(PLUMBER, card(harness).data("解决"), chat=STAFF_CHAT)
    await harness.say(PLUMBER, "已更换厨房下水管接头，测试无渗漏", chat=STAFF_CHAT)
    told = harness.transport.last(RESIDENT_EN)
    assert "has been resolved" in told.text and "已更换" in told.text
    assert told.data("★★★★★")  # rating offered
    assert "已解决" in card(harness).text

    async with harness.services.db.read() as session:
        kinds = (
            await session.scalars(
                select(CaseEvent.kind).where(CaseEvent.case_id == case.id).order_by(CaseEvent.id)
            )
        ).all()
        actors = (await session.scalars(select(CaseEvent.actor_id))).all()
    assert kinds == ["created", "assigned", "started", "resolved"]
    assert all(actor is not None for actor in actors)


async def test_residents_cannot_press_staff_buttons(harness: Harness) -> None:
    case = await file_case(harness, RESIDENT)
    for action in StaffAction:
        await harness.press(RESIDENT, StaffPress(case.id, action).pack(), chat=STAFF_CHAT)
        assert harness.transport.toasts[-1].alert
    async with harness.services.db.read() as session:
        stored = await session.get(Case, case.id)
    assert stored is not None and stored.status is CaseStatus.SUBMITTED


async def test_only_the_assignee_or_a_manager_resolves(harness: Harness) -> None:
    case = await file_case(harness, RESIDENT)
    await harness.press(PLUMBER, StaffPress(case.id, StaffAction.TAKE).pack(), chat=STAFF_CHAT)
    await harness.press(LIFT_TECH, StaffPress(case.id, StaffAction.RESOLVE).pack(), chat=STAFF_CHAT)
    assert harness.transport.toasts[-1].alert
    assert "负责人或经理" in harness.transport.toasts[-1].text

    await harness.press(MANAGER, StaffPress(case.id, StaffAction.RESOLVE).pack(), chat=STAFF_CHAT)
    await harness.say(MANAGER, "经理已协调处理完毕", chat=STAFF_CHAT)
    async with harness.services.db.read() as session:
        stored = await session.get(Case, case.id)
    assert stored is not None and stored.status is CaseStatus.RESOLVED


async def test_a_second_take_is_refused(harness: Harness) -> None:
    case = await file_case(harness, RESIDENT)
    take = StaffPress(case.id, StaffAction.TAKE).pack()
    await harness.press(PLUMBER, take, chat=STAFF_CHAT)
    await harness.press(LIFT_TECH, take, chat=STAFF_CHAT)
    assert "已有人负责" in harness.transport.toasts[-1].text


async def test_forged_case_number_is_unknown(harness: Harness) -> None:
    await harness.press(PLUMBER, StaffPress(987654, StaffAction.TAKE).pack(), chat=STAFF_CHAT)
    assert harness.transport.toasts[-1].alert


async def test_assign_by_skill_tells_the_assignee(harness: Harness) -> None:
    case = await file_case(harness, RESIDENT, category="lift", description="3号楼电梯按键失灵")
    await harness.press(MANAGER, StaffPress(case.id, StaffAction.ASSIGN).pack(), chat=STAFF_CHAT)
    picker = harness.transport.last(STAFF_CHAT)
    first_choice = picker.buttons[0][0][0]
    assert "赵师傅" in first_choice and "⭐" in first_choice  # lifts skill first
    await harness.press(MANAGER, picker.data("赵师傅"), chat=STAFF_CHAT)
    assert "赵师傅" in card(harness).text
    assert case.number in harness.transport.last(LIFT_TECH).text

    # Assigning to someone who is not staff of the compound is refused.
    await harness.press(MANAGER, AssignPress(case.id, 1).pack(), chat=STAFF_CHAT)
    assert harness.transport.toasts[-1].alert


async def test_reply_to_the_card_reaches_the_resident_but_notes_do_not(harness: Harness) -> None:
    case = await file_case(harness, RESIDENT)
    staff_card = card(harness)
    await harness.say(
        PLUMBER, "请问您明天上午在家吗？", chat=STAFF_CHAT, reply_to=staff_card.message_id
    )
    told = harness.transport.last(RESIDENT)
    assert "物业服务中心回复" in told.text and "明天上午" in told.text
    assert "李师傅" not in told.text  # the reply comes from the office, not a named person

    before = len(harness.transport.to(RESIDENT))
    await harness.press(PLUMBER, StaffPress(case.id, StaffAction.NOTE).pack(), chat=STAFF_CHAT)
    await harness.say(PLUMBER, "业主上次态度不好，注意沟通", chat=STAFF_CHAT)
    assert len(harness.transport.to(RESIDENT)) == before
    async with harness.services.db.read() as session:
        note = await session.scalar(select(CaseEvent).where(CaseEvent.kind == "note"))
    assert note is not None and note.internal

    # A resident replying to the card in the staff chat is not staff: nothing reaches anyone.
    await harness.say(RESIDENT, "hello", chat=STAFF_CHAT, reply_to=staff_card.message_id)
    assert len(harness.transport.to(RESIDENT)) == before


async def test_question_to_resident(harness: Harness) -> None:
    case = await file_case(harness, RESIDENT_EN)
    await harness.press(PLUMBER, StaffPress(case.id, StaffAction.ASK).pack(), chat=STAFF_CHAT)
    await harness.say(PLUMBER, "Is the leak under the sink or behind the wall?", chat=STAFF_CHAT)
    told = harness.transport.last(RESIDENT_EN)
    assert "asks" in told.text and "under the sink" in told.text
    assert told.data("Reply")


async def test_forum_staff_chat_gets_a_topic_per_case(harness: Harness) -> None:
    async with harness.services.db.write() as session:
        await session.execute(
            update(ChatBinding).where(ChatBinding.chat_id == STAFF_CHAT).values(is_forum=True)
        )
    harness.transport.forums.add(STAFF_CHAT)
    case = await file_case(harness, RESIDENT)
    chat, thread, title = harness.transport.topics[-1]
    assert chat == STAFF_CHAT and case.number in title
    await harness.say(PLUMBER, "下午两点上门", chat=STAFF_CHAT, thread_id=thread)
    assert "下午两点上门" in harness.transport.last(RESIDENT).text


async def test_anonymous_complaint_identity_only_for_managers(harness: Harness) -> None:
    case = await file_case(
        harness,
        RESIDENT,
        kind=CaseKind.COMPLAINT,
        category="noise",
        description="楼上每晚十二点还在拖椅子",
        anonymous=True,
        unit_id=None,
    )
    staff_card = card(harness)
    assert "王芳" not in staff_card.text and str(RESIDENT) not in staff_card.text
    # Managers get their own named copy at once; staff never see the name.
    assert "王芳" in harness.transport.last(MANAGER).text
    await harness.press(PLUMBER, staff_card.data("身份"), chat=STAFF_CHAT)
    assert harness.transport.toasts[-1].alert
    assert all("王芳" not in s.text for s in harness.transport.to(PLUMBER))
    await harness.press(MANAGER, staff_card.data("身份"), chat=STAFF_CHAT)
    assert "王芳" in harness.transport.last(MANAGER).text
    assert case.anonymous


async def test_cases_lists_open_cases_by_urgency_for_staff_only(harness: Harness) -> None:
    normal = await file_case(harness, RESIDENT)
    urgent = await file_case(harness, RESIDENT_EN, urgency=rules.Urgency.URGENT)
    await harness.say(PLUMBER, "/cases", chat=STAFF_CHAT)
    listing = harness.transport.last(STAFF_CHAT).text
    assert listing.index(urgent.number) < listing.index(normal.number)

    await harness.say(PLUMBER, "/cases mine", chat=STAFF_CHAT)
    assert "没有负责中" in harness.transport.last(STAFF_CHAT).text

    await harness.say(RESIDENT, "/cases")
    assert "只有物业工作人员" in harness.transport.last(RESIDENT).text


async def test_inquiry_carries_the_question_and_gets_an_answer(harness: Harness) -> None:
    await harness.say(RESIDENT_EN, "/askstaff can I park a moving truck by building 2 on Sunday?")
    await harness.press(RESIDENT_EN, harness.transport.last(RESIDENT_EN).data("Send as it is"))
    assert "Passed to the property staff" in harness.transport.last(RESIDENT_EN).text
    inquiry_card = card(harness)
    assert inquiry_card.text.startswith("💬") and "Q-" in inquiry_card.text
    assert "moving truck" in inquiry_card.text
    await harness.say(
        PLUMBER, "可以，请提前到前台登记车牌", chat=STAFF_CHAT, reply_to=inquiry_card.message_id
    )
    assert "前台登记" in harness.transport.last(RESIDENT_EN).text


async def test_staff_views_never_show_in_the_residents_group(harness: Harness) -> None:
    case = await file_case(harness, RESIDENT)
    group = demo.RESIDENT_GROUP_ID
    await harness.say(PLUMBER, "/cases", chat=group, lang="en")
    assert "only in the staff chat" in harness.transport.last(group).text
    assert case.number not in harness.transport.last(group).text

    shown_before = len(harness.transport.to(group))
    for action in (StaffAction.SHOW, StaffAction.ASSIGN, StaffAction.TAKE):
        await harness.press(PLUMBER, StaffPress(case.id, action).pack(), chat=group, lang="en")
        assert harness.transport.toasts[-1].alert
    await harness.press(PLUMBER, AssignPress(case.id, 2002).pack(), chat=group, lang="en")
    assert harness.transport.toasts[-1].alert
    assert len(harness.transport.to(group)) == shown_before
    async with harness.services.db.read() as session:
        stored = await session.get(Case, case.id)
        assert stored is not None and stored.status is CaseStatus.SUBMITTED

    # In a private chat a staff member still sees the listing.
    await harness.say(PLUMBER, "/cases", lang="en")
    assert case.number in harness.transport.last(PLUMBER).text


async def test_a_stranger_may_ask_staff_only_a_few_times_a_day(harness: Harness) -> None:
    if harness.compounds > 1:
        pytest.skip("with several compounds an unlinked person belongs to none: nothing to limit")
    stranger = 700_100_001
    for n in range(rules.UNLINKED_DAILY_LIMIT):
        await harness.say(stranger, f"/askstaff 请问第{n}个问题：快递柜在哪里？", lang="zh")
        await harness.press(stranger, harness.transport.last(stranger).data("直接发送"))
    cards = [s for s in harness.transport.to(STAFF_CHAT) if s.text.startswith(CARD_ICONS)]
    assert len(cards) == rules.UNLINKED_DAILY_LIMIT

    await harness.say(stranger, "/askstaff 再问一个问题：物业电话是多少？", lang="zh")
    assert "每天最多" in harness.transport.last(stranger).text
    cards = [s for s in harness.transport.to(STAFF_CHAT) if s.text.startswith(CARD_ICONS)]
    assert len(cards) == rules.UNLINKED_DAILY_LIMIT

    # An emergency is never limited, and residents are not limited at all.
    await harness.say(stranger, "3号楼着火了，快来人")
    assert harness.transport.last(STAFF_CHAT).text.startswith("🚨")
