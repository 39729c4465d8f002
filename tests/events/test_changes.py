"""A published event changes: a new time or place (everyone signed up is told, the group post
changes, the reminders move), a message to those coming, a cancellation; and the reminders
keep the compound's quiet hours without being held past the start."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from bot.engine.replies import Edit
from bot.scheduler import DeadlineScheduler
from storage.models import Event, EventStatus, OutboxMessage, ScheduledJob
from tests.events.support import make_event, signup_press
from tests.harness import Harness
from tests.scheduler.support import Clock

WANG, DAVID, MANAGER = 1001, 1002, 3001


async def drain(h: Harness) -> None:
    while await h.engine.bulk.send_due():
        pass


async def sign_up_both(h: Harness, event_id: int) -> None:
    await h.press(WANG, signup_press(event_id, 2))
    await h.press(DAVID, signup_press(event_id, 1))


async def manage(h: Harness, event_id: int) -> None:
    await h.say(MANAGER, f"/events {event_id}")
    await h.press(MANAGER, h.transport.last(MANAGER).data("管理"))


async def reminders(h: Harness, event_id: int) -> list[ScheduledJob]:
    async with h.services.db.read() as session:
        rows = await session.scalars(
            select(ScheduledJob)
            .where(ScheduledJob.subject.like(f"{event_id}:%"), ScheduledJob.cancelled.is_(False))
            .order_by(ScheduledJob.due_at)
        )
        return list(rows)


async def test_a_new_time_is_told_and_moves_the_reminders(h: Harness, clock: Clock) -> None:
    event_id = await make_event(h.services.db, clock.now)
    await sign_up_both(h, event_id)
    await manage(h, event_id)
    await h.press(MANAGER, h.transport.last(MANAGER).data("时间"))
    await h.say(MANAGER, "明天")
    assert "10-03 19:00 到 22:00" in h.transport.last(MANAGER).text
    await h.say(MANAGER, "03-10 19:00 到 18:00")
    assert "结束时间要晚于开始时间" in h.transport.last(MANAGER).text
    out = await h.say(MANAGER, "03-10 19:00 到 21:30")
    assert "已改为 03-10（周二）19:00–21:30" in h.transport.last(MANAGER).text
    # The group post is edited in place (by its ref).
    assert any(isinstance(o, Edit) and o.ref == f"event:{event_id}" for o in out)
    await drain(h)
    assert "时间有变" in h.transport.last(WANG).text
    assert "has moved" in h.transport.last(DAVID).text
    start = datetime(2026, 3, 10, 11, 0, tzinfo=UTC)
    assert [r.due_at for r in await reminders(h, event_id)] == [
        start - timedelta(days=1),
        start - timedelta(hours=2),
    ]


async def test_a_new_place_and_a_message_reach_those_coming(h: Harness, clock: Clock) -> None:
    event_id = await make_event(h.services.db, clock.now)
    await sign_up_both(h, event_id)
    await manage(h, event_id)
    await h.press(MANAGER, h.transport.last(MANAGER).data("地点"))
    await h.say(MANAGER, "会所二楼多功能厅")
    assert "已改在 会所二楼多功能厅" in h.transport.last(MANAGER).text
    await drain(h)
    assert "会所二楼多功能厅" in h.transport.last(WANG).text
    await manage(h, event_id)
    await h.press(MANAGER, h.transport.last(MANAGER).data("通知报名者"))
    await h.say(MANAGER, "请自带水杯")
    await drain(h)
    assert "请自带水杯" in h.transport.last(WANG).text
    assert "请自带水杯" in h.transport.last(DAVID).text
    assert "2 户" in h.transport.last(MANAGER).text


async def test_cancelling_tells_everyone_and_stops_signups(h: Harness, clock: Clock) -> None:
    event_id = await make_event(h.services.db, clock.now, capacity=2)
    await sign_up_both(h, event_id)  # 王芳 takes both places; David waits
    await manage(h, event_id)
    await h.press(MANAGER, h.transport.last(MANAGER).data("取消活动"))
    out = await h.press(MANAGER, h.transport.last(MANAGER).data("确定取消活动"))
    assert any(isinstance(o, Edit) and o.ref == f"event:{event_id}" for o in out)
    await drain(h)
    assert "已取消" in h.transport.last(WANG).text
    assert "is cancelled" in h.transport.last(DAVID).text  # the waitlist is told too
    async with h.services.db.read() as session:
        event = await session.get(Event, event_id)
        assert event is not None and event.status is EventStatus.CANCELLED
    assert await reminders(h, event_id) == []
    # A stale sign-up press on the cancelled event is refused.
    await h.press(1003, signup_press(event_id, 1))
    assert "已取消，不能再报名" in h.transport.last(1003).text


async def _reminder_rows(h: Harness) -> list[OutboxMessage]:
    async with h.services.db.read() as session:
        rows = await session.scalars(
            select(OutboxMessage).where(OutboxMessage.broadcast_id.is_not(None))
        )
        return list(rows)


async def test_reminders_keep_quiet_hours_but_not_past_the_start(
    h: Harness, clock: Clock, scheduler: DeadlineScheduler
) -> None:
    # Starts at 08:00 Shanghai: the two-hours-before reminder comes due at 06:00, in the
    # quiet hours, which end at 07:00, before the start: it waits until 07:00.
    clock.now = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
    early = datetime(2026, 3, 5, 0, 0, tzinfo=UTC)  # 08:00 on 03-05
    event_id = await make_event(h.services.db, clock.now, days=0)
    async with h.services.db.write() as session:
        event = await session.get(Event, event_id)
        assert event is not None
        event.starts_at, event.ends_at = early, early + timedelta(hours=2)
        event.signup_deadline = early
    await h.press(WANG, signup_press(event_id, 2))
    await manage(h, event_id)  # the manager's card does not move the reminders
    await h.press(MANAGER, h.transport.last(MANAGER).data("时间"))
    await h.say(MANAGER, "03-05 08:00 到 10:00")  # schedules the reminders
    clock.now = early - timedelta(hours=2)
    assert await scheduler.fire_due(clock.now) == 2  # the day before was missed: both fire
    rows = await _reminder_rows(h)
    assert not [r for r in rows if "明天" in r.payload["text"]]  # too late to say "tomorrow"
    two_hours = [r for r in rows if "两小时后" in r.payload["text"]]
    (row,) = two_hours
    assert row.chat_id == WANG and row.not_before == datetime(2026, 3, 4, 23, 0, tzinfo=UTC)

    # Starts at 06:30: quiet hours would hold it until 07:00, after the start, so it goes now.
    dawn = datetime(2026, 3, 6, 22, 30, tzinfo=UTC)  # 06:30 on 03-07
    second = await make_event(h.services.db, clock.now, title="晨练", days=0)
    async with h.services.db.write() as session:
        event = await session.get(Event, second)
        assert event is not None
        event.starts_at, event.ends_at = dawn, dawn + timedelta(hours=1)
        event.signup_deadline = dawn
    await h.press(WANG, signup_press(second, 1))
    await h.say(MANAGER, f"/events {second}")
    await h.press(MANAGER, h.transport.last(MANAGER).data("管理"))
    await h.press(MANAGER, h.transport.last(MANAGER).data("时间"))
    await h.say(MANAGER, "03-07 06:30 到 07:30")
    clock.now = dawn - timedelta(hours=2)
    assert await scheduler.fire_due(clock.now) >= 1
    rows = [r for r in await _reminder_rows(h) if "晨练" in r.payload["text"]]
    urgent = [r for r in rows if "两小时后" in r.payload["text"]]
    assert len(urgent) == 1 and urgent[0].not_before == clock.now and urgent[0].priority == 0
