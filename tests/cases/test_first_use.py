"""First use of the repair and complaint forms: a fault at home is filed at home, a trapped
person is an emergency whichever way it arrives, an obvious complaint's kind is guessed."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.i18n import translate
from storage.models import Case, Person, Residency, ResidencyRole, ResidencyStatus, Unit, Urgency
from tests.harness import Harness, Sent, in_demo_compound

WANG, DAVID, CHEN = 1001, 1002, 1003


def last(h: Harness, user: int) -> Sent:
    return h.transport.last(user)


async def only_case(h: Harness) -> Case:
    async with h.services.db.read() as session:
        cases = (await session.scalars(select(Case).where(in_demo_compound()))).all()
    assert len(cases) == 1
    return cases[0]


def texts(h: Harness, user: int) -> str:
    return "\n".join(s.text for s in h.transport.to(user))


async def test_a_light_at_home_is_filed_at_home_without_asking_a_building(
    harness: Harness,
) -> None:
    h = harness
    await h.say(WANG, "主卧的吸顶灯突然不亮了", lang="zh")
    guess = last(h, WANG)
    assert "公共照明" not in guess.text and "电路" in guess.text
    await h.press(WANG, guess.data("对"))
    assert "照片" in last(h, WANG).text  # no location, no building asked
    await h.press(WANG, last(h, WANG).data("没有照片"))
    await h.press(WANG, last(h, WANG).data("一般"))
    await h.press(WANG, last(h, WANG).data("任何时间"))
    await h.press(WANG, last(h, WANG).data("提交"))
    case = await only_case(h)
    assert case.unit_id is not None and case.building is None
    assert "哪栋楼" not in texts(h, WANG) and "故障在哪里" not in texts(h, WANG)


async def test_an_english_home_fault_is_at_home_too(harness: Harness) -> None:
    h = harness
    await h.say(DAVID, "the ceiling lamp in my living room won't turn on", lang="en")
    guess = last(h, DAVID)
    assert "public lighting" not in guess.text
    await h.press(DAVID, guess.data("Yes"))
    assert "photo" in last(h, DAVID).text
    assert "Which building" not in texts(h, DAVID)


async def test_with_two_homes_it_asks_which_of_theirs_only(harness: Harness) -> None:
    h = harness
    async with h.services.db.write() as session:
        person = await session.scalar(select(Person).where(Person.telegram_id == CHEN))
        assert person is not None
        home = await session.scalar(select(Residency).where(Residency.person_id == person.id))
        assert home is not None
        other = await session.scalar(select(Unit).where(Unit.label == "1-2-0902"))
        assert other is not None
        session.add(
            Residency(
                person_id=home.person_id,
                unit_id=other.id,
                compound_id=home.compound_id,
                role=ResidencyRole.OWNER,
                status=ResidencyStatus.APPROVED,
                source="import",
            )
        )
    await h.say(CHEN, "家里厨房的灯泡闪个不停", lang="zh")
    await h.press(CHEN, last(h, CHEN).data("对"))
    question = last(h, CHEN)
    labels = [label for row in question.buttons for label, _ in row]
    assert any("3-2-1102" in label for label in labels)
    assert any("1-2-0902" in label for label in labels)
    assert not any("公共区域" in label for label in labels)


async def test_someone_stuck_in_the_lift_makes_the_repair_form_an_emergency(
    harness: Harness,
) -> None:
    h = harness
    await h.say(CHEN, "/repair")
    await h.press(CHEN, last(h, CHEN).data("电梯"))
    await h.press(CHEN, last(h, CHEN).data("3号楼"))
    await h.say(CHEN, "2单元")
    # Worded as a question, so the router does not take it as an emergency in progress.
    await h.say(CHEN, "两个小孩被困在电梯里了怎么办")
    await h.press(CHEN, last(h, CHEN).data("没有照片"))
    summary = last(h, CHEN)
    assert "🔴" in summary.text and "🟠" not in texts(h, CHEN)
    await h.press(CHEN, summary.data("提交"))
    assert (await only_case(h)).urgency is Urgency.EMERGENCY


async def test_a_lift_stopped_with_people_inside_is_an_emergency(harness: Harness) -> None:
    h = harness
    await h.say(CHEN, "电梯停在半路不动了，轿厢里还有个老人", lang="zh")
    assert "🆘" in texts(h, CHEN)
    assert (await only_case(h)).urgency is Urgency.EMERGENCY


async def test_an_obvious_noise_complaint_is_guessed(harness: Harness) -> None:
    h = harness
    await h.say(WANG, "隔壁天天夜里打电钻，吵得根本睡不着", lang="zh")
    guess = last(h, WANG)
    assert "噪音" in guess.text
    await h.press(WANG, guess.data("对"))
    assert "照片" in last(h, WANG).text


@pytest.mark.parametrize(
    "text",
    [
        "我想问一下工作人员，小区里能不能养两只狗",
        "Could I ask the office whether dogs are allowed?",
    ],
)
async def test_asking_for_staff_in_either_language_reaches_staff(
    harness: Harness, text: str
) -> None:
    await harness.say(1001, text)
    assert harness.transport.last(1001).data("📨")  # "send as it is" to staff


async def test_a_keyboard_mash_is_answered_in_the_persons_language(harness: Harness) -> None:
    await harness.say(1001, "asdkjh qwpoe")  # 王芳 reads Chinese
    reply = harness.transport.last(1001).text
    assert any("\u4e00" <= ch <= "\u9fff" for ch in reply)


@pytest.mark.parametrize("text", ["👍", "😀😀", "??"])
async def test_an_emoji_gets_a_kind_word_and_the_menu(harness: Harness, text: str) -> None:
    await harness.say(1001, text)
    reply = harness.transport.last(1001)
    assert reply.text == translate("zh", "faq-smalltalk-reaction")
    assert reply.buttons
