"""Presses are claims: someone else's sign-up, another compound's event, a cancelled or closed
event, a staff button pressed by a resident are refused politely; a newcomer is offered to
link a home; the form refuses what it cannot read."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from handlers.events.common import EventAction, EventPress, SignupAction, SignupPress
from storage.models import Building, Compound, Event, EventStatus, SignupStatus
from tests.events.support import make_event, signup_press, signups
from tests.harness import Harness
from tests.scheduler.support import Clock

WANG, DAVID, CHEN, NEWCOMER, MANAGER = 1001, 1002, 1003, 5001, 3001


def toast(h: Harness) -> str:
    return h.transport.toasts[-1].text


async def test_someone_elses_signup_is_not_theirs_to_change(h: Harness, clock: Clock) -> None:
    event_id = await make_event(h.services.db, clock.now)
    await h.press(WANG, signup_press(event_id, 2))
    (wang,) = await signups(h.services.db, event_id)
    for action in SignupAction:
        await h.press(DAVID, SignupPress(action, wang.id, 1).pack())
        assert "not your household's" in toast(h)
    (after,) = await signups(h.services.db, event_id)
    assert after.status is SignupStatus.CONFIRMED and after.people == 2
    # Her own household may change it; asking for more than the event allows is refused.
    await h.press(WANG, SignupPress(SignupAction.SET, wang.id, 9).pack())
    assert "失效" in toast(h)
    await h.press(WANG, SignupPress(SignupAction.SET, wang.id, 3).pack())
    assert "3人" in h.transport.last(WANG).text


async def test_another_compounds_event_is_refused(h: Harness, clock: Clock) -> None:
    async with h.services.db.write() as session:
        other = Compound(code="cuihu", name="翠湖苑")
        session.add(other)
        await session.flush()
        session.add(Building(compound_id=other.id, name="1"))
        other_id = other.id
    event_id = await make_event(h.services.db, clock.now, compound_id=other_id, title="翠湖苑聚餐")
    await h.press(WANG, signup_press(event_id, 1))
    assert "找不到这个活动" in toast(h)
    await h.say(WANG, f"/events {event_id}")
    assert "找不到这个活动" in h.transport.last(WANG).text
    await h.press(MANAGER, EventPress(EventAction.MANAGE, event_id).pack())
    assert "只有物业工作人员" in toast(h)  # staff of Sunny Garden are not staff of 翠湖苑
    assert await signups(h.services.db, event_id) == []


async def test_closed_and_cancelled_events_take_no_signups(h: Harness, clock: Clock) -> None:
    event_id = await make_event(h.services.db, clock.now)
    async with h.services.db.write() as session:
        event = await session.get(Event, event_id)
        assert event is not None
        event.signup_deadline = clock.now + timedelta(hours=1)
    clock.advance(hours=2)
    await h.press(WANG, signup_press(event_id, 1))
    assert "报名已经截止" in h.transport.last(WANG).text
    async with h.services.db.write() as session:
        event = await session.get(Event, event_id)
        assert event is not None
        event.status = EventStatus.CANCELLED
    await h.press(DAVID, signup_press(event_id, 1))
    assert "is cancelled" in h.transport.last(DAVID).text
    assert await signups(h.services.db, event_id) == []


async def test_residents_cannot_run_events(h: Harness, clock: Clock) -> None:
    event_id = await make_event(h.services.db, clock.now)
    await h.say(WANG, "/event")
    assert "只有物业工作人员" in h.transport.last(WANG).text
    await h.say(DAVID, "/checkin")
    assert "Only the management office's staff" in h.transport.last(DAVID).text
    for action in (EventAction.MANAGE, EventAction.CANCEL_YES, EventAction.CHECKIN):
        await h.press(WANG, EventPress(action, event_id).pack())
        assert "只有物业工作人员" in toast(h)
    async with h.services.db.read() as session:
        event = await session.get(Event, event_id)
        assert event is not None and event.status is EventStatus.PUBLISHED


async def test_a_newcomer_is_offered_to_link_a_home(h: Harness, clock: Clock) -> None:
    event_id = await make_event(h.services.db, clock.now)
    await h.say(NEWCOMER, f"/start events-{event_id}", lang="zh")
    said = [s.text for s in h.transport.to(NEWCOMER)]
    assert "需要先绑定房屋" in said[-2]
    assert "绑定房屋有两种方式" in said[-1]
    await h.press(NEWCOMER, signup_press(event_id, 1), lang="zh")
    assert "绑定房屋有两种方式" in h.transport.last(NEWCOMER).text
    assert await signups(h.services.db, event_id) == []


async def test_an_event_for_other_buildings(h: Harness, clock: Clock) -> None:
    event_id = await make_event(h.services.db, clock.now, buildings=["3"])
    await h.say(WANG, "/events")  # 王芳 lives in building 1: only the demo's events
    assert "中秋游园会" not in h.transport.last(WANG).text
    await h.say(CHEN, "/events")
    assert "中秋游园会" in h.transport.last(CHEN).text
    await h.press(WANG, signup_press(event_id, 1))
    assert "其他楼栋" in h.transport.last(WANG).text
    await h.press(CHEN, signup_press(event_id, 1))  # 陈建国 lives in building 3
    assert "已为您报名" in h.transport.last(CHEN).text


async def test_the_form_refuses_what_it_cannot_use(h: Harness, clock: Clock) -> None:
    m = MANAGER
    await h.say(m, "/event")
    await h.say(m, "中")  # too short
    assert "至少" in h.transport.last(m).text or "太短" in h.transport.last(m).text
    await h.say(m, "重阳登高")
    await h.say(m, "一起爬山")
    await h.say(m, "03-01 08:00")  # yesterday
    assert "已经过去" in h.transport.last(m).text
    await h.say(m, "02-30 08:00")  # no such day
    assert "没看懂" in h.transport.last(m).text
    await h.say(m, "2026年3月8日 8点")
    await h.say(m, "07:00")
    assert "结束时间要晚于开始时间" in h.transport.last(m).text
    await h.say(m, "11:00")
    await h.say(m, "北门集合")
    await h.say(m, "0")
    assert "1 到 10000" in h.transport.last(m).text
    await h.say(m, "2")
    per = h.transport.last(m)
    assert [label for row in per.buttons for label, _ in row] == ["1", "2"]
    await h.say(m, "5")
    assert "1 到 2" in h.transport.last(m).text
    await h.say(m, "2")
    await h.say(m, "03-09 08:00")  # after the start
    assert "不晚于活动开始" in h.transport.last(m).text
    await h.say(m, "03-07 20:00")
    await h.press(m, h.transport.last(m).data("1号楼"))
    await h.press(m, h.transport.last(m).data("3号楼"))
    await h.press(m, h.transport.last(m).data("完成"))
    await h.say(m, "没有照片")  # words where a photo or the button is expected
    assert "请发一张照片" in h.transport.last(m).text
    await h.photo(m, "poster.jpg")
    preview = h.transport.last(m)
    assert "1、3号楼" in preview.text and "附您发的照片" in preview.text
    assert "03-08（周日）08:00–11:00" in preview.text
    await h.press(m, preview.data("地点"))  # edit a part: asked again, then the preview
    await h.say(m, "南门集合")
    preview = h.transport.last(m)
    assert "南门集合" in preview.text
    out = await h.press(m, preview.data("📣 发布"))
    post = [o for o in out if getattr(o, "chat_id", None) == -100_500_002]
    assert post and post[0].photos == ("poster.jpg",)
    async with h.services.db.read() as session:
        event = await session.scalar(select(Event).where(Event.title == "重阳登高"))
    assert event is not None and event.buildings == ["1", "3"] and event.capacity == 2
