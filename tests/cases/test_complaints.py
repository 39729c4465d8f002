"""Complaints through the engine: categories, free text, photos, anonymity toward staff,
mediation with a manager, and the recorded outcome."""

from __future__ import annotations

from sqlalchemy import select

from handlers.cases import rules
from storage import demo
from storage.models import Case, CaseKind, Compound, Person
from storage.repos.cases import load_case
from storage.repos.people import load_actor
from tests.harness import Harness, Sent, in_demo_compound

WANG, DAVID, MANAGER = 1001, 1002, 3001
STAFF_CHAT = demo.STAFF_CHAT_ID


def last(h: Harness, user: int) -> Sent:
    return h.transport.last(user)


async def only_case(h: Harness) -> Case:
    async with h.services.db.read() as session:
        cases = (await session.scalars(select(Case).where(in_demo_compound()))).all()
    assert len(cases) == 1
    return cases[0]


async def test_named_complaint_in_chinese(harness: Harness) -> None:
    h = harness
    await h.say(WANG, "/complain")
    await h.press(WANG, last(h, WANG).data("停车"))
    await h.say(WANG, "有车连续三天停在消防通道上")
    await h.photo(WANG, "car.jpg", caption="车牌浙A12345")
    await h.press(WANG, last(h, WANG).data("照片发完了"))
    await h.press(WANG, last(h, WANG).data("显示我的姓名"))
    summary = last(h, WANG)
    assert "调解" not in summary.text  # parking is not a dispute between neighbours
    assert "消防通道" in summary.text and "车牌浙A12345" in summary.text
    await h.press(WANG, summary.data("提交"))

    case = await only_case(h)
    assert case.kind is CaseKind.COMPLAINT and case.number.startswith("C-")
    assert not case.anonymous and not case.mediation and case.photos == ["car.jpg"]
    card = h.transport.last(STAFF_CHAT)
    assert case.number in card.text and "王芳" in card.text and "1-1-0301" in card.text
    assert case.number in last(h, WANG).text


async def test_anonymous_mediated_complaint_hides_the_resident_from_staff(
    harness: Harness,
) -> None:
    h = harness
    await h.say(WANG, "/complain")
    await h.press(WANG, last(h, WANG).data("噪音"))
    await h.say(WANG, "楼上每天夜里12点以后还在拖椅子、跳绳")
    await h.press(WANG, last(h, WANG).data("没有照片"))
    explanation = last(h, WANG).text
    assert "不显示您的姓名和房号" in explanation and "经理仍可查看" in explanation
    await h.press(WANG, last(h, WANG).data("匿名"))
    assert "调解" in last(h, WANG).text
    await h.press(WANG, last(h, WANG).data("需要调解"))
    await h.press(WANG, last(h, WANG).data("提交"))

    case = await only_case(h)
    assert case.anonymous and case.mediation
    staff_chat = h.transport.to(STAFF_CHAT)
    assert staff_chat and case.number in staff_chat[-1].text
    for message in staff_chat:
        assert "王芳" not in message.text
        assert "1-1-0301" not in message.text
        assert str(WANG) not in message.text
    # Managers see who filed it, in private.
    manager_copy = h.transport.last(MANAGER)
    assert case.number in manager_copy.text and "王芳" in manager_copy.text
    told = [m.text for m in h.transport.to(WANG)[-3:]]
    assert any("看不到您的姓名" in text for text in told)
    assert any("经理将参与调解" in text for text in told)

    # The manager mediates; the agreed outcome is recorded when the case is resolved.
    async with h.services.db.write() as session:
        person = await session.scalar(select(Person).where(Person.telegram_id == MANAGER))
        assert person is not None
        manager = await load_actor(session, person, manager_ids=frozenset())
        loaded = await load_case(session, case.id)
        compound = await session.get(Compound, case.compound_id)
        assert loaded is not None and compound is not None
        await rules.start(session, loaded, manager, h.services.clock())
        await rules.resolve(
            session, loaded, manager, "双方同意22点后不再跳绳", compound, h.services.clock()
        )
    async with h.services.db.read() as session:
        resolved = await load_case(session, case.id)
    assert resolved is not None and resolved.outcome == "双方同意22点后不再跳绳"


async def test_free_text_complaint_in_english(harness: Harness) -> None:
    h = harness
    h.services.flows.text = h.services.flows.intents["complaint.file"]
    await h.say(DAVID, "Someone keeps leaving bikes and boxes in the 5th floor corridor", lang="en")
    # The kind is guessed from the words, which are kept as the description.
    guess = last(h, DAVID)
    assert "corridor" in guess.text
    await h.press(DAVID, guess.data("Yes"))
    await h.press(DAVID, last(h, DAVID).data("go on"))
    await h.press(DAVID, last(h, DAVID).data("Show my name"))
    await h.press(DAVID, last(h, DAVID).data("just handle"))
    summary = last(h, DAVID)
    assert "Mediation: not requested" in summary.text
    await h.press(DAVID, summary.data("Submit"))
    case = await only_case(h)
    assert case.description.startswith("Someone keeps leaving bikes")
    assert case.category == "corridor" and not case.mediation
    assert "Staff will respond by" in last(h, DAVID).text


async def test_anonymity_can_be_changed_before_submitting(harness: Harness) -> None:
    h = harness
    await h.say(DAVID, "/complain", lang="en")
    await h.say(DAVID, "The guard at the south gate was rude to my visitors")
    assert "staff conduct" in last(h, DAVID).text
    await h.press(DAVID, last(h, DAVID).data("Yes"))
    await h.press(DAVID, last(h, DAVID).data("go on"))
    await h.press(DAVID, last(h, DAVID).data("Show my name"))
    await h.press(DAVID, last(h, DAVID).data("Anonymity"))
    await h.press(DAVID, last(h, DAVID).data("Anonymous to staff"))
    summary = last(h, DAVID)
    assert "Anonymous to staff: yes" in summary.text
    await h.press(DAVID, summary.data("Submit"))
    case = await only_case(h)
    assert case.anonymous
    card = h.transport.last(STAFF_CHAT)
    assert "David Chen" not in card.text and "2-1-0502" not in card.text


async def test_bad_input_in_a_complaint(harness: Harness) -> None:
    h = harness
    await h.say(WANG, "/complain")
    await h.photo(WANG, "first.jpg")  # a photo before anything else is kept
    assert "照片已保存" in h.transport.to(WANG)[-2].text
    await h.press(WANG, last(h, WANG).data("宠物"))
    await h.say(WANG, "狗")
    assert "至少写 2 个字" in last(h, WANG).text
    await h.say(WANG, "3号楼的狗在草坪上随地大小便没人清理")
    for n in range(2, 6):
        await h.photo(WANG, f"dog-{n}.jpg")
    assert "最多 4 张" in last(h, WANG).text
    await h.press(WANG, last(h, WANG).data("照片发完了"))
    await h.say(WANG, "匿名吧")  # buttons expected
    assert "请用下方按钮" in h.transport.to(WANG)[-2].text
    await h.press(WANG, last(h, WANG).data("显示我的姓名"))
    await h.press(WANG, last(h, WANG).data("按投诉处理"))
    await h.press(WANG, last(h, WANG).data("提交"))
    case = await only_case(h)
    assert case.photos == ["first.jpg", "dog-2.jpg", "dog-3.jpg", "dog-4.jpg"]


async def test_restart_in_the_middle_of_a_complaint(harness: Harness) -> None:
    h = harness
    await h.say(WANG, "/complain")
    await h.press(WANG, last(h, WANG).data("装修"))
    h = h.restarted()
    await h.say(WANG, "隔壁周日早上7点就开始电钻")  # asked first: the form goes on
    assert "未完成的投诉" in h.transport.to(WANG)[-2].text
    await h.say(WANG, "隔壁周日早上7点就开始电钻")
    await h.press(WANG, last(h, WANG).data("没有照片"))
    await h.press(WANG, last(h, WANG).data("显示我的姓名"))
    await h.press(WANG, last(h, WANG).data("需要调解"))
    await h.press(WANG, last(h, WANG).data("提交"))
    case = await only_case(h)
    assert case.category == "renovation" and case.mediation


async def test_unlinked_users_cannot_complain(harness: Harness) -> None:
    h = harness
    await h.say(demo.NEWCOMER_ID, "/complain")
    assert "报修和投诉需要先绑定" in h.transport.to(demo.NEWCOMER_ID)[-2].text
    await h.say(WANG, "/complain", chat=demo.RESIDENT_GROUP_ID)
    assert "私聊" in h.transport.last(demo.RESIDENT_GROUP_ID).text
