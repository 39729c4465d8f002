"""Staff answer a resident's question from its card: one button, one text, the question
resolved; the resident reads it as the office's answer and may rate it or ask on."""

from __future__ import annotations

from sqlalchemy import select

from storage import demo
from storage.models import Case, CaseEvent, CaseStatus
from tests.cases.test_staff_cases import PLUMBER, RESIDENT_EN, card
from tests.harness import Harness

STAFF_CHAT = demo.STAFF_CHAT_ID


async def ask(h: Harness) -> Case:
    await h.say(RESIDENT_EN, "/askstaff can I park a moving truck by building 2 on Sunday?")
    await h.press(RESIDENT_EN, h.transport.last(RESIDENT_EN).data("Send as it is"))
    async with h.services.db.read() as session:
        case = await session.scalar(select(Case).order_by(Case.id.desc()).limit(1))
    assert case is not None
    return case


async def test_an_inquiry_is_answered_with_one_button_and_resolved(harness: Harness) -> None:
    case = await ask(harness)
    await harness.press(PLUMBER, card(harness).data("答复"), chat=STAFF_CHAT)
    await harness.say(PLUMBER, "可以，请提前到前台登记车牌", chat=STAFF_CHAT)

    told = harness.transport.last(RESIDENT_EN)
    assert "answer to your question" in told.text and "前台登记" in told.text
    assert "asks" not in told.text
    assert told.data("★★★★★") and told.data("Reply")
    assert "已解决" in card(harness).text and "李师傅" in card(harness).text

    # No longer waiting for staff: /cases lists only what staff still have to do.
    await harness.say(PLUMBER, "/cases", chat=STAFF_CHAT)
    assert case.number not in harness.transport.last(STAFF_CHAT).text
    await harness.say(RESIDENT_EN, "/mycases")
    assert "Status: resolved" in harness.transport.last(RESIDENT_EN).text

    # The resident may ask on: the reply joins the same case and reaches the staff chat.
    await harness.press(RESIDENT_EN, told.data("Reply"))
    await harness.say(RESIDENT_EN, "And how long may it stay?")
    assert "how long" in harness.transport.last(STAFF_CHAT).text
    async with harness.services.db.read() as session:
        stored = await session.get(Case, case.id)
        kinds = list(
            await session.scalars(select(CaseEvent.kind).where(CaseEvent.case_id == case.id))
        )
    assert stored is not None and stored.status is CaseStatus.RESOLVED
    assert "answered" in kinds and "staff_question" not in kinds
