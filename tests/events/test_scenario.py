"""The whole life of an event through the engine: a manager publishes the Mid-Autumn party
for 40 people, at most 3 per household; residents sign up in Chinese and English until it is
full; the next wait; one cancels and the first waiting household moves up and is told;
reminders go out; staff check people in with their codes; the manager exports the list."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from alembic import command
from sqlalchemy import select

from bot.engine.replies import Send
from bot.scheduler import DeadlineScheduler
from storage import demo
from storage.migrate import alembic_config
from storage.models import Event, SignupStatus
from tests.events.support import add_households, by_status, run_cli, signups
from tests.harness import Harness
from tests.scheduler.support import Clock

WANG, DAVID, CHEN, XIAOYU, PLUMBER, MANAGER = 1001, 1002, 1003, 1004, 2001, 3001
GROUP = demo.RESIDENT_GROUP_ID
NEIGHBOURS = 7001  # ten households of three, then one of one, then two who wait


async def drain(h: Harness) -> None:
    """Sends every broadcast row that is due (the bulk sender's rounds)."""
    while await h.engine.bulk.send_due():
        pass


def last_text(h: Harness, user: int) -> str:
    return h.transport.last(user).text


async def publish_party(h: Harness) -> int:
    """The manager's `/event` form, answered as a manager would, then published with a
    private message to everyone invited."""
    m = MANAGER
    await h.say(m, "/event")
    assert "叫什么名字" in last_text(h, m)
    await h.say(m, "中秋游园会 Mid-Autumn party")
    await h.say(m, "赏月、猜灯谜、吃月饼。Moon-watching, lantern riddles and mooncakes.")
    await h.say(m, "明天晚上")  # not a time: asked again
    assert "10-03 18:00" in last_text(h, m)
    await h.say(m, "03-07 19:00")
    await h.say(m, "21:30")
    await h.say(m, "会所前草坪")
    await h.say(m, "四十")  # not a number
    assert "1 到 10000" in last_text(h, m)
    await h.say(m, "40")
    await h.press(m, h.transport.last(m).data("3"))
    await h.press(m, h.transport.last(m).data("截止到活动开始"))
    await h.press(m, h.transport.last(m).data("全体业主"))
    await h.press(m, h.transport.last(m).data("不配图"))
    preview = h.transport.last(m)
    assert "中秋游园会" in preview.text and "03-07（周六）19:00–21:30" in preview.text
    assert "每户最多 3 人" in preview.text and "剩余名额：40/40" in preview.text
    out = await h.press(m, preview.data("发布并私信"))
    async with h.services.db.read() as session:
        event = await session.scalar(select(Event).where(Event.title.like("中秋%")))
    assert event is not None and event.capacity == 40 and event.per_household == 3
    post = next(o for o in out if isinstance(o, Send) and o.chat_id == GROUP)
    assert "中秋游园会" in post.text
    (button,) = post.buttons[0]
    assert button.url == f"https://t.me/{h.services.bot_username}?start=events-{event.id}"
    assert f"活动编号 {event.id}" in last_text(h, m)
    return event.id


async def test_mid_autumn_party(h: Harness, clock: Clock, scheduler: DeadlineScheduler) -> None:
    neighbours = await add_households(h.services.db, NEIGHBOURS, 13)
    event_id = await publish_party(h)
    await drain(h)
    # Everyone invited heard of it privately, each in their language.
    assert "社区新活动" in last_text(h, WANG)
    assert "New community event" in last_text(h, DAVID)

    # 王芳 opens the group post's link and signs up three.
    await h.say(WANG, f"/start events-{event_id}")
    assert "您家来几个人" in last_text(h, WANG)
    await h.press(WANG, h.transport.last(WANG).data("3人"))
    assert "已为您报名" in last_text(h, WANG) and "签到码" in last_text(h, WANG)
    # David asks in English.
    await h.say(DAVID, "sign me up for the Mid-Autumn party")
    listing = h.transport.last(DAVID)
    assert "Upcoming events" in listing.text and "Places left: 37 of 40" in listing.text
    await h.press(DAVID, listing.data("中秋游园会"))
    await h.press(DAVID, h.transport.last(DAVID).data("3 people"))
    assert "You are signed up" in last_text(h, DAVID)
    # 陈建国 in Chinese; his daughter, of the same home, sees the household's sign-up.
    await h.say(CHEN, "我想报名周末的活动")
    await h.press(CHEN, h.transport.last(CHEN).data("中秋游园会"))
    await h.press(CHEN, h.transport.last(CHEN).data("3人"))
    await h.say(XIAOYU, "最近有什么活动")
    await h.press(XIAOYU, h.transport.last(XIAOYU).data("中秋游园会"))
    assert "您家已报名：3人" in last_text(h, XIAOYU)

    # Ten neighbours of three and one of one fill the 40 places.
    for user in neighbours[:10]:
        await h.say(user, f"/events {event_id}")
        await h.press(user, h.transport.last(user).data("3人"))
    await h.say(neighbours[10], f"/events {event_id}")
    await h.press(neighbours[10], h.transport.last(neighbours[10]).data("1人"))
    rows = await signups(h.services.db, event_id)
    assert sum(s.people for s in by_status(rows, SignupStatus.CONFIRMED)) == 40
    # The next two wait, and hear their place in the line.
    await h.say(neighbours[11], f"/events {event_id}")
    assert "名额已满" in last_text(h, neighbours[11])
    await h.press(neighbours[11], h.transport.last(neighbours[11]).data("2人"))
    assert "排第 1 位" in last_text(h, neighbours[11])
    await h.say(neighbours[12], f"/events {event_id}")
    await h.press(neighbours[12], h.transport.last(neighbours[12]).data("3人"))
    assert "排第 2 位" in last_text(h, neighbours[12])

    # 王芳 cancels: the first waiting household (two people) moves up and is told; the next
    # needs three places and only one is left, so it keeps waiting, now first in line.
    await h.press(WANG, h.transport.last(WANG).data("取消报名"))
    await h.press(WANG, h.transport.last(WANG).data("确定取消"))
    assert "已取消" in last_text(h, WANG)
    promoted = last_text(h, neighbours[11])
    assert "从候补转为正式报名" in promoted and "签到码" in promoted
    await h.say(neighbours[12], "/events")
    await h.press(neighbours[12], h.transport.last(neighbours[12]).data("我的报名"))
    assert "候补名单第 1 位" in last_text(h, neighbours[12])

    # Reminders: a day before (19:00 the evening before) and two hours before.
    rows = await signups(h.services.db, event_id)
    codes = {s.person.telegram_id: s.code for s in by_status(rows, SignupStatus.CONFIRMED)}
    start = datetime(2026, 3, 7, 11, 0, tzinfo=UTC)  # 19:00 in Shanghai
    clock.now = start - timedelta(days=1)
    assert await scheduler.fire_due(clock.now) == 1
    await drain(h)
    assert "明天" in last_text(h, CHEN) and codes[CHEN] in last_text(h, CHEN)
    assert "Tomorrow" in last_text(h, DAVID) and codes[DAVID] in last_text(h, DAVID)
    assert "明天" not in last_text(h, neighbours[12])  # still waiting: no reminder
    assert "明天" not in last_text(h, WANG)  # cancelled
    clock.now = start - timedelta(hours=2)
    assert await scheduler.fire_due(clock.now) == 1
    await drain(h)
    assert "两小时后" in last_text(h, CHEN)
    assert await scheduler.fire_due(clock.now) == 0  # each fires once

    # At the door: a plumber on duty checks people in by code and by name.
    clock.now = start - timedelta(minutes=10)
    await h.say(PLUMBER, "/checkin")
    await h.press(PLUMBER, h.transport.last(PLUMBER).data("中秋游园会"))
    assert "签到码" in last_text(h, PLUMBER)
    await h.say(PLUMBER, codes[DAVID].lower())
    assert "David Chen 已到场（3人）" in last_text(h, PLUMBER)
    await h.say(PLUMBER, "ZZZZ")
    assert "没有签到码为 ZZZZ" in last_text(h, PLUMBER)
    await h.press(PLUMBER, h.transport.last(PLUMBER).data("3-2-1102 陈建国"))
    door = last_text(h, PLUMBER)
    assert "陈建国 已到场" in door and "14 户中已到 2 户，共 6 人" in door

    # After it: turnout and no-shows in the event's card.
    clock.now = start + timedelta(hours=3)
    await h.say(MANAGER, "/events")
    await h.say(MANAGER, f"/events {event_id}")
    await h.press(MANAGER, h.transport.last(MANAGER).data("管理"))
    summary = last_text(h, MANAGER)
    assert "14 户中来了 2 户（14%），共 6 人" in summary
    assert (
        "未到场：" in summary
        and "住户7001" in summary
        and "David" not in summary.split("未到场")[1]
    )


async def test_the_manager_exports_the_list(
    h: Harness, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    event_id = await publish_party(h)
    await h.say(WANG, f"/events {event_id}")
    await h.press(WANG, h.transport.last(WANG).data("2人"))
    await h.say(DAVID, f"/events {event_id}")
    await h.press(DAVID, h.transport.last(DAVID).data("1 person"))
    # The command line wants a schema it knows: the test's tables are the models', as new.
    await asyncio.to_thread(command.stamp, alembic_config(h.services.db.url), "head")
    monkeypatch.setenv("DATABASE_URL", h.services.db.url)
    code, out, err = await run_cli("export", "event", str(event_id))
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0] == "unit,name,phone,people,status,waitlist,code,checked_in,signed_up"
    assert lines[1].startswith("1-1-0301,王芳,,2,confirmed,,")
    assert lines[2].startswith("2-1-0502,David Chen,,1,confirmed,,")
    assert "3 of 40 places, 2 households, 0 waiting" in err
    code, out, err = await run_cli("export", "event", "999")
    assert code == 1 and "no event 999" in err and out == ""
