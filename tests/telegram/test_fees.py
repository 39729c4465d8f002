"""Fees through Telegram (the fake Bot API): a resident asks "我家物业费交了吗" and sees their
unpaid bills with how to pay; a manager publishes last month's disclosure, whose charts are
uploaded as PNG files to the residents' group."""

from __future__ import annotations

from sqlalchemy import select

from handlers.fees.rules import previous_month, today
from storage.demo import KB_VALUES, RESIDENT_GROUP_ID
from storage.models import Unit
from storage.repos.fees import unit_bills
from tests.harness import demo_compound
from tests.telegram.conftest import Live
from tests.telegram.test_case_path import Chat
from tests.telegram.updates import Person as Sender
from tests.telegram.updates import button_data

WANG = Sender(1001, "芳", "zh-hans")
MANAGER = Sender(3001, "张经理", "zh")


async def test_a_resident_asks_and_sees_exactly_their_unpaid_bills(live: Live) -> None:
    chat, api = Chat(live), live.api
    await chat.send(live.updates.text(WANG, "我家物业费交了吗"), expect_in=WANG.id)
    view = api.last_message(WANG.id)
    async with live.services.db.read() as session:
        unit = await session.scalar(select(Unit).where(Unit.label == "1-1-0301"))
        assert unit is not None
        unpaid = [b for b in await unit_bills(session, unit.id) if b.owed > 0]
    owed = [line for line in view["text"].splitlines() if line.startswith("• ")]
    assert len(owed) == len(unpaid) > 0
    assert KB_VALUES["payment_channels"]["zh"] in view["text"]
    urls = [b["url"] for row in view["reply_markup"]["inline_keyboard"] for b in row if "url" in b]
    assert urls and all("/1-1-0301/" in url for url in urls)


async def test_a_manager_publishes_the_disclosure_with_its_charts(live: Live) -> None:
    chat, api = Chat(live), live.api
    await chat.send(live.updates.text(MANAGER, "/fees"), expect_in=MANAGER.id)
    figures = api.last_message(MANAGER.id)
    assert "按楼栋" in figures["text"]
    async with live.services.db.read() as session:
        compound = await session.scalar(demo_compound())
        assert compound is not None
        month = previous_month(today(compound, live.services.clock()))
    before = len(api.texts(MANAGER.id))
    await api.push(live.updates.press(MANAGER, button_data(figures, "预览"), on=figures))
    # The first chart loads matplotlib: allow for it on a busy machine.
    await api.wait_sent(MANAGER.id, count=before + 1, within=30)
    preview = api.last_message(MANAGER.id)
    assert f"{month} 财务公开" in preview["text"]
    await api.push(live.updates.press(MANAGER, button_data(preview, "发布"), on=preview))
    # Through mass delivery: the bulk sender posts it.
    await api.wait_sent(RESIDENT_GROUP_ID, within=30)
    album = api.of("sendMediaGroup", chat_id=RESIDENT_GROUP_ID)[0]
    assert len(album.files) == 2
    assert all(data.startswith(b"\x89PNG\r\n\x1a\n") for data in album.files.values())
    assert any(f"{month} 财务公开" in text for text in api.texts(RESIDENT_GROUP_ID))
