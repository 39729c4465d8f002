"""A restart in the middle of a form, for each Telegram library: the form lives in the store,
so the bot that comes up next takes the resident's next press and text as the next answers."""

from __future__ import annotations

from sqlalchemy import select

from bot.services import Services
from storage.models import Case
from tests.telegram.conftest import Seed, polling
from tests.telegram.fake_api import FakeBotAPI
from tests.telegram.updates import Person, Updates, button_data

WANG = Person(1001, "芳", "zh-hans")


async def _press(api: FakeBotAPI, updates: Updates, label: str, *, count: int) -> None:
    message = api.last_message(WANG.id)
    await api.push(updates.press(WANG, button_data(message, label), on=message))
    await api.wait_sent(WANG.id, count=count)


async def test_a_repair_form_goes_on_after_a_restart(
    api: FakeBotAPI, library: str, seeded: tuple[Services, Seed]
) -> None:
    services, _ = seeded
    updates = Updates()
    async with polling(services, library):
        await api.push(updates.text(WANG, "/repair"))
        await api.wait_sent(WANG.id)
        await _press(api, updates, "水管", count=2)
    asked_for_home = api.last_message(WANG.id)
    assert button_data(asked_for_home, "1-1-0301")

    async with polling(services, library):
        await _press(api, updates, "1-1-0301", count=3)
        await api.push(updates.text(WANG, "卫生间地漏堵了，水排不下去"))
        await api.wait_sent(WANG.id, count=4)
        # The description was taken as the answer: the form asks for photos next.
        assert button_data(api.last_message(WANG.id), "没有照片")
        await api.push(updates.photo(WANG, "leak-photo-1"))
        await api.wait_sent(WANG.id, count=5)
        await _press(api, updates, "照片发完了", count=6)
        await _press(api, updates, "较急", count=7)
        await _press(api, updates, "上午", count=8)
        await _press(api, updates, "提交", count=9)
    async with services.db.read() as session:
        case = await session.scalar(select(Case))
    assert case is not None and case.photos == ["leak-photo-1"]
    assert case.description.startswith("卫生间地漏堵了")
