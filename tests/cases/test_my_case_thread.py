"""/mycases shows a case's conversation: the office's messages and resolution note and the
resident's own additions, newest last; internal notes never."""

from __future__ import annotations

from handlers.cases.buttons import ResidentAction, ResidentPress
from handlers.my_cases.thread import BUDGET
from storage import demo
from tests.cases.test_staff_cases import PLUMBER, RESIDENT_EN, card, file_case
from tests.harness import Harness

STAFF_CHAT = demo.STAFF_CHAT_ID


async def test_the_detail_shows_what_the_office_said_but_not_internal_notes(
    harness: Harness,
) -> None:
    case = await file_case(harness, RESIDENT_EN)
    staff_card = card(harness)  # edited in place as the case moves
    await harness.press(PLUMBER, staff_card.data("接单"), chat=STAFF_CHAT)
    await harness.say(PLUMBER, "明天上午九点上门", chat=STAFF_CHAT, reply_to=staff_card.message_id)
    await harness.press(PLUMBER, staff_card.data("备注"), chat=STAFF_CHAT)
    await harness.say(PLUMBER, "配件库存不足，需采购", chat=STAFF_CHAT)
    await harness.press(RESIDENT_EN, harness.transport.last(RESIDENT_EN).data("Reply"))
    await harness.say(RESIDENT_EN, "Nine is fine, the door code is 1234")
    await harness.press(PLUMBER, staff_card.data("解决"), chat=STAFF_CHAT)
    await harness.say(PLUMBER, "已更换厨房下水管接头", chat=STAFF_CHAT)

    await harness.press(RESIDENT_EN, ResidentPress(case.id, ResidentAction.VIEW).pack())
    shown = harness.transport.last(RESIDENT_EN).text
    assert "配件库存" not in shown
    reply, added, note = (
        shown.index("明天上午九点上门"),
        shown.index("door code"),
        shown.index("已更换厨房下水管接头"),
    )
    assert reply < added < note  # newest last
    assert "Resolution" in shown and "Management office" in shown


async def test_a_long_thread_keeps_the_newest_within_one_message(harness: Harness) -> None:
    case = await file_case(harness, RESIDENT_EN)
    staff_card = card(harness)
    for n in range(30):
        await harness.say(
            PLUMBER,
            f"第{n:02d}次回复 " + "很长的说明" * 40,
            chat=STAFF_CHAT,
            reply_to=staff_card.message_id,
        )
    await harness.press(RESIDENT_EN, ResidentPress(case.id, ResidentAction.VIEW).pack())
    shown = harness.transport.last(RESIDENT_EN).text
    assert "第29次回复" in shown and "第00次回复" not in shown
    assert "earlier not shown" in shown and len(shown) < BUDGET + 1000
