"""Outage notices answer questions about water and power before the knowledge base, and
come before a repair report of no water or no power in the building they cover."""

from __future__ import annotations

from sqlalchemy import select

from knowledge.intent_ids import Intent
from storage.models import Case
from tests.harness import Harness

WANG, DAVID, CHEN = 1001, 1002, 1003


async def test_a_question_is_answered_from_the_outage_notice_for_the_askers_building(
    h: Harness,
) -> None:
    await h.say(CHEN, "明天会停水吗")
    answer = h.transport.last(CHEN).text
    assert answer.startswith("有的，物业发布了以下通知") and "涉及楼栋：3号楼" in answer
    await h.say(CHEN, "is there a water outage?", lang="en")
    assert "Water outage" in h.transport.last(CHEN).text
    # 王芳 lives in building 1: the knowledge base answers her as before.
    await h.say(WANG, "明天会停水吗")
    assert "物业发布了以下通知" not in h.transport.last(WANG).text
    # A power question is not answered by a water notice.
    await h.say(CHEN, "停电了吗")
    assert "物业发布了以下通知" not in h.transport.last(CHEN).text


async def test_a_report_of_no_water_is_told_about_the_outage_and_may_still_file(
    h: Harness,
) -> None:
    h.services.flows.text = h.services.flows.intents[Intent.REPAIR]
    await h.say(CHEN, "家里没水了")
    told = h.transport.last(CHEN)
    assert "您所在的楼栋目前有物业通知" in told.text and "停水通知" in told.text
    await h.press(CHEN, told.data("知道了"))
    assert "没有报修" in h.transport.last(CHEN).text
    await h.say(CHEN, "家里没水了")
    await h.press(CHEN, h.transport.last(CHEN).data("仍然报修"))
    # The report goes on as any other: the category guessed from the words is asked next.
    assert h.transport.last(CHEN).buttons
    async with h.services.db.read() as session:
        assert await session.scalar(select(Case.id)) is None
    # In building 1 there is no outage: the report starts at once.
    await h.say(WANG, "家里没水了")
    assert "物业通知" not in h.transport.last(WANG).text
