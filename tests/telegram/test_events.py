"""Issue 12's "done when", through Telegram (the fake Bot API): a manager publishes the
Mid-Autumn party for 40 people, at most 3 per household; residents sign up in Chinese and
English until it is full; the next household waits; one cancels and the waiting household
moves up and is told; reminders go out; staff check people in with their codes; the manager
exports the list."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from alembic import command
from sqlalchemy import select

from bot.scheduler import DeadlineScheduler
from storage.demo import RESIDENT_GROUP_ID
from storage.migrate import alembic_config
from storage.models import Event, SignupStatus
from tests.events.support import add_households, by_status, run_cli, signups
from tests.telegram.conftest import Live
from tests.telegram.updates import Person as Sender
from tests.telegram.updates import button_data

WANG = Sender(1001, "芳", "zh-hans")
DAVID = Sender(1002, "David", "en")
PLUMBER = Sender(2001, "师傅", "zh")
MANAGER = Sender(3001, "张经理", "zh")
SHANGHAI = ZoneInfo("Asia/Shanghai")


class Chat:
    """Pushes one update at a time and waits for the bot's answer in a chat."""

    def __init__(self, live: Live) -> None:
        self.live = live

    async def send(self, update: dict[str, Any], *, expect_in: int, count: int = 1) -> str:
        before = len(self.live.api.texts(expect_in))
        await self.live.api.push(update)
        texts = await self.live.api.wait_sent(expect_in, count=before + count)
        return texts[-1]

    async def say(self, sender: Sender, text: str) -> str:
        return await self.send(self.live.updates.text(sender, text), expect_in=sender.id)

    async def press(self, sender: Sender, label: str, *, expect_in: int | None = None) -> str:
        message = self.live.api.last_message(sender.id)
        update = self.live.updates.press(sender, button_data(message, label), on=message)
        return await self.send(update, expect_in=expect_in or sender.id)


async def test_mid_autumn_party_through_telegram(
    live: Live, monkeypatch: pytest.MonkeyPatch
) -> None:
    chat, api = Chat(live), live.api
    neighbours = [
        Sender(n, f"邻居{n}", "zh") for n in await add_households(live.services.db, 7101, 13)
    ]
    # 10:00 in Shanghai today, outside the quiet hours, so the news goes out at once.
    today = datetime.now(UTC).astimezone(SHANGHAI).date()
    morning = datetime(today.year, today.month, today.day, 10, 0, tzinfo=SHANGHAI)
    live.services.clock = lambda: morning.astimezone(UTC)
    day = today + timedelta(days=3)
    start = datetime(day.year, day.month, day.day, 19, 0, tzinfo=SHANGHAI).astimezone(UTC)

    # The manager describes and publishes it.
    await chat.say(MANAGER, "/event")
    await chat.say(MANAGER, "中秋游园会 Mid-Autumn party")
    await chat.say(MANAGER, "赏月、猜灯谜、吃月饼")
    await chat.say(MANAGER, f"{day:%m-%d} 19:00")
    await chat.say(MANAGER, "21:30")
    await chat.say(MANAGER, "会所前草坪")
    await chat.say(MANAGER, "40")
    await chat.press(MANAGER, "3")
    await chat.press(MANAGER, "截止到活动开始")
    await chat.press(MANAGER, "全体业主")
    preview = await chat.press(MANAGER, "不配图")
    assert "剩余名额：40/40" in preview
    await chat.press(MANAGER, "发布并私信", expect_in=RESIDENT_GROUP_ID)
    post = api.last_message(RESIDENT_GROUP_ID)
    link = post["reply_markup"]["inline_keyboard"][0][0]["url"]
    async with live.services.db.read() as session:
        event = await session.scalar(select(Event).where(Event.title.like("中秋%")))
    assert event is not None and link.endswith(f"?start=events-{event.id}")
    await api.until(lambda: any("社区新活动" in t for t in api.texts(WANG.id)), what="the news")

    # Residents sign up, in Chinese (from the group post's link) and in English.
    await chat.say(WANG, f"/start events-{event.id}")
    assert "已为您报名" in await chat.press(WANG, "3人")
    await chat.say(DAVID, "sign me up for the Mid-Autumn party")
    await chat.press(DAVID, "中秋游园会")
    assert "You are signed up" in await chat.press(DAVID, "3 people")
    for neighbour in neighbours[:11]:
        await chat.say(neighbour, "我想报名周末的活动")
        await chat.press(neighbour, "中秋游园会")
        await chat.press(neighbour, "3人")
    await chat.say(neighbours[11], f"/events {event.id}")
    await chat.press(neighbours[11], "1人")  # the 40th place
    await chat.say(neighbours[12], f"/events {event.id}")
    assert "排第 1 位" in await chat.press(neighbours[12], "2人")

    # 王芳 cancels; the waiting household moves up and is told at once.
    await chat.press(WANG, "取消报名")
    await chat.press(WANG, "确定取消", expect_in=neighbours[12].id)
    assert "从候补转为正式报名" in api.texts(neighbours[12].id)[-1]
    rows = await signups(live.services.db, event.id)
    confirmed = by_status(rows, SignupStatus.CONFIRMED)
    assert sum(s.people for s in confirmed) == 39 and not by_status(rows, SignupStatus.WAITLISTED)
    codes = {s.person.telegram_id: s.code for s in confirmed}

    # Reminders a day before: the bulk sender of the running bot delivers them.
    live.services.clock = lambda: start - timedelta(days=1)
    scheduler = DeadlineScheduler(live.telegram.engine)
    assert await scheduler.fire_due(start - timedelta(days=1)) == 1
    live.telegram.engine.bulk.wake()
    await api.until(
        lambda: any(codes[DAVID.id] in t and "Tomorrow" in t for t in api.texts(DAVID.id)),
        what="David's reminder",
    )

    # At the door.
    live.services.clock = lambda: start - timedelta(minutes=5)
    await chat.say(PLUMBER, "/checkin")
    await chat.press(PLUMBER, "中秋游园会")
    assert "David Chen 已到场（3人）" in await chat.say(PLUMBER, codes[DAVID.id])

    # The manager exports the list.
    await asyncio.to_thread(command.stamp, alembic_config(live.services.db.url), "head")
    monkeypatch.setenv("DATABASE_URL", live.services.db.url)
    code, out, err = await run_cli("export", "event", str(event.id))
    assert code == 0, err
    lines = out.splitlines()
    assert len(lines) == 1 + 14
    david = next(line for line in lines if line.startswith("2-1-0502,"))
    assert f",3,confirmed,,{codes[DAVID.id]}," in david and david.split(",")[7]  # came
