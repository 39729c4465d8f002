"""An emergency broadcast through Telegram (the fake Bot API): a manager composes and sends
it, every resident gets it with the three answers, the residents' group post is pinned, and
answers reach the staff chat's board and, for "I need help", an emergency case card."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from storage.demo import RESIDENT_GROUP_ID, STAFF_CHAT_ID
from storage.models import Case, CaseKind
from tests.telegram.conftest import Live
from tests.telegram.updates import Person as Sender
from tests.telegram.updates import button_data

MANAGER = Sender(3001, "张经理", "zh")
WANG = Sender(1001, "芳", "zh-hans")
DAVID = Sender(1002, "David", "en")
CHEN = Sender(1003, "建国", "zh")
XIAOYU = Sender(1004, "小雨", "zh")


async def press(live: Live, sender: Sender, chat_id: int, label: str) -> None:
    message = live.api.last_message(chat_id)
    await live.api.push(live.updates.press(sender, button_data(message, label), on=message))


async def next_message(live: Live, chat_id: int, count: int) -> dict[str, Any]:
    await live.api.wait_sent(chat_id, count=count)
    return live.api.last_message(chat_id)


async def test_emergency_reaches_everyone_and_the_board_fills(live: Live) -> None:
    api = live.api
    await api.push(live.updates.text(MANAGER, "/emergency"))
    await next_message(live, MANAGER.id, 1)
    await press(live, MANAGER, MANAGER.id, "火警")
    await next_message(live, MANAGER.id, 2)
    await press(live, MANAGER, MANAGER.id, "全小区")
    await next_message(live, MANAGER.id, 3)
    await press(live, MANAGER, MANAGER.id, "10 分钟")
    preview = await next_message(live, MANAGER.id, 4)
    assert "3 户、4 位" in preview["text"]
    assert not api.texts(WANG.id)  # nothing before confirming
    await press(live, MANAGER, MANAGER.id, "立即发送")

    for resident in (WANG, DAVID, CHEN, XIAOYU):
        (text,) = await api.wait_sent(resident.id)
        assert ("Emergency notice" if resident is DAVID else "紧急通知") in text
    message = api.last_message(DAVID.id)
    labels = [row[0]["text"] for row in message["reply_markup"]["inline_keyboard"]]
    assert labels == ["✅ I am safe", "🆘 I need help", "🏠 Not at home"]
    (post,) = await api.wait_sent(RESIDENT_GROUP_ID)
    assert "小区内发生火情" in post
    await api.until(lambda: bool(api.pinned[RESIDENT_GROUP_ID]), what="the pinned post")
    (board,) = [t for t in await api.wait_sent(STAFF_CHAT_ID) if t.startswith("📋")]
    assert "❔ 未回复 4（共 4 人）" in board

    # 王芳 is safe: the board is edited in place.
    await press(live, WANG, WANG.id, "我已安全")
    await api.wait_for(
        lambda c: c.is_("editMessageText") and "1号楼：✅ 1" in str(c.params.get("text"))
    )
    # 陈建国 needs help: an emergency case card reaches the staff chat.
    await press(live, CHEN, CHEN.id, "我需要帮助")
    await api.until(
        lambda: any("3-2-1102" in t and "🚨" in t for t in api.texts(STAFF_CHAT_ID)),
        what="the emergency card",
    )
    async with live.services.db.read() as session:
        (case,) = (await session.scalars(select(Case))).all()
    assert case.kind is CaseKind.EMERGENCY
