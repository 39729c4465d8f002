"""A notice through Telegram (the fake Bot API): the manager composes an outage notice for
building 2, confirms it, and it reaches exactly the residents there, each in their language,
with the manager's progress message; the board answers a resident afterwards."""

from __future__ import annotations

from sqlalchemy import select

from storage import demo, quiet_hours
from storage.models import Compound
from tests.telegram.conftest import Live
from tests.telegram.test_case_path import Chat
from tests.telegram.updates import Person as Sender
from tests.telegram.updates import button_data

MANAGER = Sender(3001, "张经理", "zh")
DAVID = Sender(1002, "David", "en")
WANG, CHEN = 1001, 1003


async def test_an_outage_notice_reaches_building_2_through_telegram(live: Live) -> None:
    chat, updates, api = Chat(live), live.updates, live.api
    async with live.services.db.write() as session:
        # Not held for the morning, whatever time the test runs at (quiet hours have their
        # own tests in tests/notices/).
        compound = await session.scalar(select(Compound).where(Compound.code == demo.CODE))
        assert compound is not None
        compound.settings = {**compound.settings, quiet_hours.SETTING: "off"}
    me = MANAGER.id
    await chat.send(updates.text(MANAGER, "/notice"), expect_in=me)
    await chat.send(
        updates.text(MANAGER, "二次供水检修，请提前储水。Please store water."), expect_in=me
    )
    await chat.press(MANAGER, me, "停水通知", expect_in=me)
    await chat.press(MANAGER, me, "选择楼栋", expect_in=me)
    # A toggle edits its message in place.
    edits = len(api.of("editMessageText"))
    message = api.last_message(me)
    await api.push(updates.press(MANAGER, button_data(message, "2号楼"), on=message))
    await api.until(lambda: len(api.of("editMessageText")) > edits, what="the toggle")
    await chat.press(MANAGER, me, "完成", expect_in=me)
    await chat.press(MANAGER, me, "完成", expect_in=me)  # channels: private and board
    await chat.press(MANAGER, me, "完成", expect_in=me)  # affected: building 2
    await chat.send(updates.text(MANAGER, "2030-06-03 08:00-18:00"), expect_in=me)
    await chat.press(MANAGER, me, "立即发送", expect_in=me)
    preview = api.last_message(me)["text"]
    assert "【英文版】" in preview and "Water outage" in preview
    await chat.press(MANAGER, me, "确认发送", expect_in=DAVID.id)
    await api.until(
        lambda: any("Water outage" in t for t in api.texts(DAVID.id)), what="David's notice"
    )
    text = next(t for t in api.texts(DAVID.id) if "Water outage" in t)
    assert "Please store water." in text and "Where: building 2" in text
    # Nobody outside building 2 is told.
    assert not any("停水" in t for t in api.texts(WANG) + api.texts(CHEN))
    # The manager's progress message, and the board for a resident of building 2.
    await api.until(
        lambda: any(
            "已送达 1 / 1" in (r.params.get("text") or "") for r in api.of("editMessageText")
        ),
        what="the progress message saying all were delivered",
    )
    await chat.send(updates.text(DAVID, "/notices"), expect_in=DAVID.id)
    assert "Water outage" in api.last_message(DAVID.id)["text"]
