"""Notices after they are confirmed: quiet hours, the outage exception, mutes, recurrence
across a restart (a missed time sent once), cancelling, and what /notices shows to whom."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import func, select

from bot.scheduler import DeadlineScheduler
from handlers.notices.board import MutePress
from handlers.notices.sending import JOB
from handlers.notices.timing import Repeat, Schedule
from storage import demo
from storage.models import (
    Broadcast,
    Compound,
    Notice,
    NoticeCategory,
    NoticeStatus,
    ScheduledJob,
)
from storage.repos import jobs
from tests.harness import Harness
from tests.notices.conftest import Clock, drain

WANG, DAVID, CHEN, CHEN_DAUGHTER, MANAGER, NEWCOMER = 1001, 1002, 1003, 1004, 3001, 5001
STAFF_CHAT = demo.STAFF_CHAT_ID


async def add_notice(
    h: Harness,
    clock: Clock,
    category: NoticeCategory,
    text: str,
    *,
    buildings: list[str] | None = None,
    schedule: Schedule | None = None,
    window: tuple[datetime, datetime] | None = None,
    due: datetime | None = None,
) -> int:
    """A notice as the form stores it, with its first job at `due` (default: now)."""
    async with h.services.db.write() as session:
        compound = await session.scalar(select(Compound).where(Compound.code == demo.CODE))
        assert compound is not None
        schedule = schedule or Schedule(repeat=Repeat.ONCE, at=datetime(2026, 12, 2, 10))
        notice = Notice(
            compound_id=compound.id,
            category=category,
            text=text,
            audience={"buildings": buildings or [], "units": [], "owners_only": False},
            channels=["private", "board"],
            schedule=schedule.model_dump(mode="json"),
            outage_buildings=buildings or [],
            starts_at=window[0] if window else None,
            ends_at=window[1] if window else None,
            status=NoticeStatus.SCHEDULED,
            runs=0,
        )
        session.add(notice)
        await session.flush()
        await jobs.schedule(session, JOB, str(notice.id), due or clock())
        return notice.id


def texts(h: Harness, user: int) -> list[str]:
    return [s.text for s in h.transport.to(user)]


async def test_quiet_hours_hold_a_notice_until_morning(h: Harness, clock: Clock, scheduler) -> None:
    clock.set(datetime(2026, 12, 2, 15, 0, tzinfo=UTC))  # 23:00 in Shanghai
    await add_notice(h, clock, NoticeCategory.MAINTENANCE, "明早清洗外墙，请关好窗户。")
    assert await scheduler.fire_due(clock.now) == 1
    assert await drain(h, clock) == 0
    assert not texts(h, WANG)
    clock.set(datetime(2026, 12, 2, 23, 1, tzinfo=UTC))  # 07:01
    assert await drain(h, clock) == 4
    assert "清洗外墙" in texts(h, WANG)[-1]


async def test_an_outage_starting_before_morning_is_not_held(
    h: Harness, clock: Clock, scheduler
) -> None:
    clock.set(datetime(2026, 12, 2, 15, 0, tzinfo=UTC))  # 23:00
    window = (datetime(2026, 12, 2, 21, tzinfo=UTC), datetime(2026, 12, 3, 1, tzinfo=UTC))
    await add_notice(
        h,
        clock,
        NoticeCategory.POWER_OUTAGE,
        "抢修线路，凌晨5点至9点停电。",
        buildings=["1"],
        window=window,
    )
    await scheduler.fire_due(clock.now)
    async with h.services.db.read() as session:
        broadcast = await session.scalar(select(Broadcast).order_by(Broadcast.id.desc()))
    assert broadcast is not None and broadcast.urgent
    assert await drain(h, clock) == 1
    assert (
        texts(h, WANG)[-1].startswith("⚡ 停电通知") and "12-03 05:00–09:00" in texts(h, WANG)[-1]
    )


async def test_muted_topics_are_skipped_but_outages_never(
    h: Harness, clock: Clock, scheduler
) -> None:
    await h.say(CHEN, "/settings")
    assert "社区活动通知：已开启" in h.transport.last(CHEN).text + str(
        h.transport.last(CHEN).buttons
    )
    await h.press(CHEN, MutePress("community").pack())
    assert "社区活动通知：已关闭" in str(h.transport.last(CHEN).buttons)
    await h.press(CHEN, MutePress("outage").pack())  # forged: outages are never muted
    assert h.transport.toasts[-1].alert
    await add_notice(h, clock, NoticeCategory.COMMUNITY, "周六楼下义诊。", buildings=["3"])
    window = (clock.now + timedelta(hours=1), clock.now + timedelta(hours=5))
    await add_notice(
        h, clock, NoticeCategory.WATER_OUTAGE, "管道抢修。", buildings=["3"], window=window
    )
    assert await scheduler.fire_due(clock.now) == 2
    await drain(h, clock)
    assert not any("义诊" in t for t in texts(h, CHEN))
    assert any("义诊" in t for t in texts(h, CHEN_DAUGHTER))
    assert any("管道抢修" in t for t in texts(h, CHEN))


async def test_a_daily_notice_missed_for_days_is_sent_once_after_a_restart(
    h: Harness, clock: Clock, scheduler
) -> None:
    daily = Schedule(repeat=Repeat.DAILY, clock=time(9), until=date(2026, 12, 31))
    first = datetime(2026, 12, 3, 1, tzinfo=UTC)  # 09:00 on the 3rd
    notice_id = await add_notice(
        h,
        clock,
        NoticeCategory.OTHER,
        "每日提醒：请勿高空抛物。",
        buildings=["1"],
        schedule=daily,
        due=first,
    )
    # The bot is down from now until the 6th at 10:00; then it restarts.
    clock.set(datetime(2026, 12, 6, 2, tzinfo=UTC))
    restarted = h.restarted()
    restarted.services.clock = clock
    again = DeadlineScheduler(restarted.engine)
    assert await again.fire_due(clock.now) == 1
    assert await again.fire_due(clock.now) == 0
    await drain(restarted, clock)
    assert len([t for t in texts(restarted, WANG) if "高空抛物" in t]) == 1
    async with h.services.db.read() as session:
        count = await session.scalar(
            select(func.count(Broadcast.id)).where(Broadcast.subject.like(f"notice:{notice_id}:%"))
        )
        pending = list(
            await session.scalars(select(ScheduledJob).where(ScheduledJob.fired_at.is_(None)))
        )
        notice = await session.get(Notice, notice_id)
    assert count == 1
    assert [j.due_at for j in pending] == [datetime(2026, 12, 7, 1, tzinfo=UTC)]
    assert notice is not None and notice.runs == 1


async def test_a_recurrence_found_past_its_last_date_ends_without_sending(
    h: Harness, clock: Clock, scheduler
) -> None:
    """Due on Thursday the 3rd, last date the 10th; the bot starts again on Friday the 11th:
    past its last date, nothing goes out and the notice ends."""
    weekly = Schedule(repeat=Repeat.WEEKLY, clock=time(19), days=[3], until=date(2026, 12, 10))
    first = datetime(2026, 12, 3, 11, tzinfo=UTC)
    await add_notice(h, clock, NoticeCategory.OTHER, "每周四提醒。", schedule=weekly, due=first)
    clock.set(datetime(2026, 12, 11, 2, tzinfo=UTC))  # Friday the 11th: past its last date
    assert await scheduler.fire_due(clock.now) == 1
    assert await drain(h, clock) == 0
    async with h.services.db.read() as session:
        notice = await session.scalar(select(Notice).order_by(Notice.id.desc()))
    assert notice is not None and notice.status is NoticeStatus.ENDED


async def test_managers_see_figures_and_cancel_in_the_staff_chat(
    h: Harness, clock: Clock, scheduler
) -> None:
    clock.set(datetime(2026, 12, 2, 15, 0, tzinfo=UTC))  # quiet hours: the rows wait
    notice_id = await add_notice(h, clock, NoticeCategory.FEES, "本季度物业费请于15日前缴纳。")
    await scheduler.fire_due(clock.now)
    await h.say(MANAGER, "/notices", chat=STAFF_CHAT)
    listing = h.transport.last(STAFF_CHAT)
    assert f"#{notice_id} 💰 物业费用" in listing.text and "已发 4｜送达 0" in listing.text
    # A resident's forged press is refused; the manager's cancels what has not gone out.
    await h.press(WANG, listing.data(f"#{notice_id}"), chat=STAFF_CHAT)
    assert h.transport.toasts[-1].alert
    await h.press(MANAGER, listing.data(f"#{notice_id}"), chat=STAFF_CHAT)
    assert f"通知 #{notice_id} 已取消：4 条" in h.transport.last(STAFF_CHAT).text
    clock.set(datetime(2026, 12, 3, 0, 0, tzinfo=UTC))  # morning
    assert await drain(h, clock) == 0
    async with h.services.db.read() as session:
        notice = await session.get(Notice, notice_id)
    assert notice is not None and notice.status is NoticeStatus.CANCELLED


async def test_cancelling_a_recurring_notice_drops_its_next_time(
    h: Harness, clock: Clock, scheduler
) -> None:
    daily = Schedule(repeat=Repeat.DAILY, clock=time(9))
    notice_id = await add_notice(
        h,
        clock,
        NoticeCategory.OTHER,
        "每日提醒。",
        schedule=daily,
        due=clock.now + timedelta(days=1),
    )
    await h.say(MANAGER, "/notices")
    await h.press(MANAGER, h.transport.last(MANAGER).data(f"#{notice_id}"))
    clock.advance(days=2)
    assert await scheduler.fire_due(clock.now) == 0
    assert await drain(h, clock) == 0


async def test_the_board_shows_each_person_what_is_for_them(h: Harness, clock: Clock) -> None:
    await h.say(CHEN, "/notices")
    board = h.transport.last(CHEN).text
    assert "停水通知" in board and "二手集市" in board
    await h.say(WANG, "/notices")
    assert (
        "停水通知" not in h.transport.last(WANG).text and "二手集市" in h.transport.last(WANG).text
    )
    await h.say(NEWCOMER, "/notices")  # no home linked: the public ones
    assert "二手集市" in h.transport.last(NEWCOMER).text
    await h.say(DAVID, "/notices", lang="en")
    assert "Second-hand market" in h.transport.last(DAVID).text
    clock.advance(days=8)
    await h.say(WANG, "/notices")
    assert h.transport.last(WANG).text == "目前没有通知。"
