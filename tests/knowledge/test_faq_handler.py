"""The FAQ flow through the engine: answers, "did you mean", "not sure", feedback, requests,
emergencies in the middle of a form."""

from __future__ import annotations

from sqlalchemy import select

from handlers.faq.flow import GroupBudget
from storage import demo
from storage.models import AnswerFeedback, Case, UnansweredQuestion
from tests.harness import Harness

WANG, DAVID, NEWCOMER = 1001, 1002, demo.NEWCOMER_ID


async def _unanswered(h: Harness) -> list[UnansweredQuestion]:
    async with h.services.db.read() as session:
        return list((await session.scalars(select(UnansweredQuestion))).all())


async def test_answer_uses_the_compound_values_and_offers_its_actions(harness: Harness) -> None:
    await harness.say(WANG, "楼上漏水到我家 谁负责修", lang="zh")
    answer = harness.transport.last(WANG)
    assert "漏水" in answer.text and "谁的部位谁负责" in answer.text
    assert answer.data("报修") and answer.data("没有帮助")

    await harness.say(DAVID, "what are the office hours?", lang="en")
    answer = harness.transport.last(DAVID)
    assert demo.KB_VALUES["office_phone"] in answer.text
    assert "daily 8:30" in answer.text  # the compound's value, in English


async def test_not_helpful_counts_once_keeps_the_question_and_offers_staff(
    harness: Harness,
) -> None:
    await harness.say(WANG, "装修押金怎么退", lang="zh")
    not_helpful = harness.transport.last(WANG).data("没有帮助")
    await harness.press(WANG, not_helpful)
    sorry = harness.transport.last(WANG)
    assert "问工作人员" in sorry.buttons[0][0][0]
    await harness.press(WANG, not_helpful)  # the same button again: stale
    assert harness.transport.toasts[-1].alert

    async with harness.services.db.read() as session:
        feedback = (await session.scalars(select(AnswerFeedback))).all()
    assert [(f.topic, f.not_helpful) for f in feedback] == [("renovation.deposit", 1)]
    kept = await _unanswered(harness)
    assert [(q.text, q.reason, q.best_topic) for q in kept] == [
        ("装修押金怎么退", "not_helpful", "renovation.deposit")
    ]

    # "Ask staff" hands the question to the staff flow with what was already asked.
    await harness.press(WANG, sorry.data("问工作人员"))
    assert "装修押金怎么退" in harness.transport.last(WANG).text


async def test_did_you_mean_then_choose(harness: Harness) -> None:
    # Loosely worded: the router is not sure enough to answer, visitors come first.
    await harness.say(WANG, "朋友来玩怎么进来", lang="zh")
    offer = harness.transport.last(WANG)
    assert "请选择" in offer.text
    labels = [row[0][0] for row in offer.buttons]
    assert "访客登记与来访车辆" in labels and "🙋 问工作人员" in labels
    await harness.press(WANG, offer.data("访客登记"))
    assert "访客" in harness.transport.last(WANG).text
    assert "您选择了" in offer.text  # the offer was edited to show the choice
    kept = await _unanswered(harness)
    assert [q.reason for q in kept] == ["low_confidence"]


async def test_not_sure_gives_the_office_contact_and_keeps_the_question(
    harness: Harness,
) -> None:
    await harness.say(WANG, "帮我写一篇作文", lang="zh")
    reply = harness.transport.last(WANG)
    assert "答不好" in reply.text and demo.KB_VALUES["office_phone"] in reply.text
    assert reply.data("问工作人员")
    kept = await _unanswered(harness)
    assert kept and kept[0].text == "帮我写一篇作文" and kept[0].compound_id is not None


async def test_emergency_in_the_middle_of_a_form_is_answered_at_once(harness: Harness) -> None:
    await harness.say(WANG, "/repair", lang="zh")
    form = harness.transport.last(WANG)
    await harness.say(WANG, "厨房着火了 快来人", lang="zh")
    replies = [s.text for s in harness.transport.to(WANG) if s.message_id > form.message_id]
    assert any("119" in text for text in replies)
    async with harness.services.db.read() as session:
        assert await session.scalar(select(Case).where(Case.category == "emergency"))


async def test_emergency_without_an_emergency_flow_still_gets_instructions(
    harness: Harness,
) -> None:
    harness.services.flows.routed.pop("emergency.report")
    await harness.say(DAVID, "I smell gas in the stairwell", lang="en")
    reply = harness.transport.last(DAVID).text
    assert "gas" in reply and "119" in reply and demo.KB_VALUES["duty_phone"] in reply


async def test_request_without_its_flow_gets_an_honest_reply(harness: Harness) -> None:
    # A deployment without the fees flow (the flow is registered in the product).
    harness.services.flows.intents.pop("fee.query")
    harness.services.flows.commands.pop("fees")
    await harness.say(WANG, "我家物业费还欠多少", lang="zh")
    reply = harness.transport.last(WANG)
    assert demo.KB_VALUES["office_phone"] in reply.text
    assert "查不了" in reply.text  # says it cannot, rather than pretending


async def test_requests_with_a_flow_start_it(harness: Harness) -> None:
    await harness.say(WANG, "卫生间水龙头一直滴水", lang="zh")
    async with harness.services.db.read() as session:
        from storage.models import Conversation

        conversation = await session.scalar(select(Conversation))
    assert conversation is not None and conversation.flow == "repair"


async def test_action_button_under_an_answer_starts_the_request(harness: Harness) -> None:
    await harness.say(WANG, "楼上漏水谁负责", lang="zh")
    await harness.press(WANG, harness.transport.last(WANG).data("报修"))
    async with harness.services.db.read() as session:
        from storage.models import Conversation

        conversation = await session.scalar(select(Conversation))
    assert conversation is not None and conversation.flow == "repair"


async def test_smalltalk(harness: Harness) -> None:
    await harness.say(WANG, "谢谢", lang="zh")
    assert "不客气" in harness.transport.last(WANG).text
    await harness.say(DAVID, "hi", lang="en")
    assert "property assistant" in harness.transport.last(DAVID).text


async def test_after_an_answer_other_flows_still_claim_their_messages(harness: Harness) -> None:
    seen: list[str | None] = []

    async def claim(ctx) -> bool:
        seen.append(ctx.event.text)
        return ctx.event.text == "a reply to a case card"

    harness.services.flows.claim(claim)
    await harness.say(WANG, "物业电话多少", lang="zh")
    answer = harness.transport.last(WANG)
    await harness.say(WANG, "a reply to a case card", lang="zh")
    assert seen == ["物业电话多少", "a reply to a case card"]
    assert harness.transport.last(WANG) is answer  # the claim took it; the bot kept quiet


def test_group_budget_allows_twenty_a_minute() -> None:
    from datetime import UTC, datetime, timedelta

    budget = GroupBudget()
    start = datetime(2026, 1, 1, tzinfo=UTC)
    assert all(budget.allow(-1, start + timedelta(seconds=i)) for i in range(20))
    assert not budget.allow(-1, start + timedelta(seconds=30))
    assert budget.allow(-2, start + timedelta(seconds=30))  # another group has its own
    assert budget.allow(-1, start + timedelta(seconds=61))
