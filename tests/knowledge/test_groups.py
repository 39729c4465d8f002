"""The FAQ flow in a compound's group chat."""

from __future__ import annotations

from sqlalchemy import select

from storage import demo
from storage.models import Compound, UnansweredQuestion
from tests.harness import Harness

GROUP, WANG = demo.RESIDENT_GROUP_ID, 1001


async def _auto_answer(h: Harness, on: bool) -> None:
    async with h.services.db.write() as session:
        compound = await session.scalar(select(Compound).where(Compound.code == demo.CODE))
        assert compound is not None
        compound.settings = {**compound.settings, "group_auto_answer": on}


async def test_unaddressed_messages_get_no_reply_when_auto_answer_is_off(harness: Harness) -> None:
    await _auto_answer(harness, False)
    await harness.say(WANG, "物业电话多少", chat=GROUP, addressed=False, lang="zh")
    assert harness.transport.to(GROUP) == []
    await harness.say(WANG, "@courtyard_bot 物业电话多少", chat=GROUP, addressed=True, lang="zh")
    assert demo.KB_VALUES["office_phone"] in harness.transport.last(GROUP).text


async def test_auto_answer_answers_only_confident_questions_unasked(harness: Harness) -> None:
    await _auto_answer(harness, True)
    await harness.say(WANG, "物业电话多少", chat=GROUP, addressed=False, lang="zh")
    assert demo.KB_VALUES["office_phone"] in harness.transport.last(GROUP).text
    before = len(harness.transport.to(GROUP))
    for chatter in ("哈哈哈 今晚吃火锅", "朋友来玩怎么进来", "谢谢", "我家水龙头坏了"):
        await harness.say(WANG, chatter, chat=GROUP, addressed=False, lang="zh")
    assert len(harness.transport.to(GROUP)) == before
    async with harness.services.db.read() as session:
        assert (await session.scalars(select(UnansweredQuestion))).all() == []


async def test_personal_requests_move_to_a_private_chat(harness: Harness) -> None:
    await harness.say(WANG, "我家还欠多少物业费", chat=GROUP, addressed=True, lang="zh")
    reply = harness.transport.last(GROUP)
    assert "私聊" in reply.text
    (button,) = reply.buttons[0]
    assert button[1] is None  # a link, not a press: nothing personal is said in the group
    assert harness.transport.to(WANG) == []


async def test_emergency_in_a_group_is_answered_even_unaddressed(harness: Harness) -> None:
    await _auto_answer(harness, False)
    await harness.say(WANG, "3栋12楼冒烟了 快来人", chat=GROUP, addressed=False, lang="zh")
    assert any("119" in s.text for s in harness.transport.to(GROUP))


async def test_a_group_gets_at_most_twenty_messages_a_minute(harness: Harness) -> None:
    for _ in range(25):
        await harness.say(WANG, "@courtyard_bot 物业电话多少", chat=GROUP, addressed=True)
    assert len(harness.transport.to(GROUP)) == 20


async def test_an_addressed_repair_in_the_group_links_to_the_private_form(
    harness: Harness,
) -> None:
    for text in ("@courtyard_bot 厨房龙头漏了", "@courtyard_bot热水器不好使"):
        await harness.say(WANG, text, chat=GROUP, addressed=True, lang="zh")
        reply = harness.transport.last(GROUP)
        assert "私聊" in reply.text, text
        assert [label for row in reply.buttons for label, _ in row] and all(
            data is None for row in reply.buttons for _, data in row
        )
