"""/notice through the engine: composing, the preview's languages and counts, targeting by
buildings, units and owners, sending now, scheduling a weekly reminder that fires at its time,
and who may not."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from handlers.notices.board import NoticeCancelPress
from storage import demo
from storage.models import Notice, NoticeStatus, ScheduledJob
from tests.harness import Harness, Sent
from tests.notices.conftest import Clock, drain

WANG, DAVID, CHEN, CHEN_DAUGHTER = 1001, 1002, 1003, 1004
PLUMBER, MANAGER = 2001, 3001
RESIDENTS = (WANG, DAVID, CHEN, CHEN_DAUGHTER)


def last(h: Harness, user: int) -> Sent:
    return h.transport.last(user)


async def press(h: Harness, user: int, label: str) -> None:
    await h.press(user, last(h, user).data(label))


async def compose(
    h: Harness,
    text: str,
    category: str,
    *,
    audience: str = "全小区",
    buildings: tuple[str, ...] = (),
    units: str | None = None,
    owners_only: bool = False,
    channels_off: tuple[str, ...] = (),
    channels_on: tuple[str, ...] = (),
) -> None:
    """The manager writes a notice up to the question of when it goes out."""
    await h.say(MANAGER, "/notice")
    assert "通知正文" in last(h, MANAGER).text
    await h.say(MANAGER, text)
    await press(h, MANAGER, category)
    if owners_only:
        await press(h, MANAGER, "仅业主")
        assert "✅ 仅业主" in str(last(h, MANAGER).buttons)
    await press(h, MANAGER, audience)
    for building in buildings:
        await press(h, MANAGER, f"{building}号楼")
    if buildings:
        await press(h, MANAGER, "完成")
    if units is not None:
        await h.say(MANAGER, units)
    for channel in (*channels_off, *channels_on):
        await press(h, MANAGER, channel)
    await press(h, MANAGER, "完成")


async def received(h: Harness) -> dict[int, list[str]]:
    return {r: [s.text for s in h.transport.to(r)] for r in RESIDENTS if h.transport.to(r)}


async def test_an_outage_now_reaches_its_buildings_each_in_their_language(
    h: Harness, clock: Clock
) -> None:
    await compose(
        h,
        "水箱清洗，请提前储水。Please store water.",
        "停水通知",
        audience="选择楼栋",
        buildings=("2", "3"),
    )
    # The affected buildings default to the audience's; the window is typed.
    assert "✅ 2号楼" in str(last(h, MANAGER).buttons)
    await press(h, MANAGER, "完成")
    await h.say(MANAGER, "12-03 08:00-18:00")
    await press(h, MANAGER, "立即发送")
    preview = last(h, MANAGER).text
    # Both languages the audience reads, and the counts.
    assert "【中文版】" in preview and "【英文版】" in preview
    assert "停水通知" in preview and "Water outage" in preview
    assert "12-03 08:00–18:00" in preview and "涉及楼栋：2、3号楼" in preview
    assert "覆盖 2 户，私信 3 人" in preview  # 2-2-1201 is on the roster, not in Telegram
    assert not h.transport.to(DAVID)  # nothing before the confirmation
    preview_message = last(h, MANAGER)
    await press(h, MANAGER, "确认发送")
    assert await drain(h, clock) == 3
    assert "已开始发送：3 条消息" in preview_message.text and not preview_message.buttons
    # The manager's progress message, edited in place as it goes out.
    assert "3" in last(h, MANAGER).text
    got = await received(h)
    assert set(got) == {DAVID, CHEN, CHEN_DAUGHTER}
    assert got[DAVID][-1].startswith("💧 Water outage") and "Please store water." in got[DAVID][-1]
    assert "Where: buildings 2, 3" in got[DAVID][-1]
    assert got[CHEN][-1].startswith("💧 停水通知") and "涉及楼栋：2、3号楼" in got[CHEN][-1]


async def test_owners_only_and_named_units(h: Harness, clock: Clock) -> None:
    await compose(h, "业主大会本周日召开，请业主参加。", "社区活动", owners_only=True)
    await press(h, MANAGER, "立即发送")
    # Four owned homes (two owners are on the roster only); 王芳 and 陈建国 are messaged.
    assert "覆盖 2 户，私信 2 人" in last(h, MANAGER).text
    await press(h, MANAGER, "确认发送")
    await drain(h, clock)
    assert set(await received(h)) == {WANG, CHEN}

    await h.say(MANAGER, "/notice")
    await h.say(MANAGER, "您家的燃气表周五上门检查。")
    await press(h, MANAGER, "维修保养")
    await press(h, MANAGER, "指定房号")
    await h.say(MANAGER, "3-2-1102，9-9-9999")
    assert "没有找到这些房号：9-9-9999" in last(h, MANAGER).text
    await h.say(MANAGER, "3栋2单元1102")
    await press(h, MANAGER, "完成")
    await press(h, MANAGER, "立即发送")
    assert "房号 3-2-1102" in last(h, MANAGER).text
    await press(h, MANAGER, "确认发送")
    await drain(h, clock)
    got = await received(h)
    assert "燃气表" in got[CHEN][-1] and "燃气表" in got[CHEN_DAUGHTER][-1]
    assert all("燃气表" not in t for t in got[WANG])


async def test_a_group_post_goes_in_the_compounds_language(h: Harness, clock: Clock) -> None:
    group = demo.RESIDENT_GROUP_ID
    await compose(
        h,
        "电梯年检，周四停运两小时。",
        "维修保养",
        channels_off=("私信通知住户",),
        channels_on=("发到业主群",),
    )
    await press(h, MANAGER, "立即发送")
    assert "并发到业主群" in last(h, MANAGER).text
    await press(h, MANAGER, "确认发送")
    await drain(h, clock)
    assert "电梯年检" in h.transport.last(group).text
    assert not await received(h)


async def test_a_weekly_reminder_for_building_3_fires_at_its_times(
    h: Harness, clock: Clock, scheduler
) -> None:
    await compose(
        h, "垃圾分类提醒：今晚19点后分类投放。", "社区活动", audience="选择楼栋", buildings=("3",)
    )
    await press(h, MANAGER, "每周")
    await press(h, MANAGER, "周一")
    await press(h, MANAGER, "周四")
    await press(h, MANAGER, "完成")
    await h.say(MANAGER, "7pm")
    assert "没看懂这个时间" in last(h, MANAGER).text
    await h.say(MANAGER, "19:00")
    await h.say(MANAGER, "2027-06-30")
    preview = last(h, MANAGER).text
    assert "每周一、周四 19:00，截至 2027-06-30" in preview and "覆盖 1 户，私信 2 人" in preview
    await press(h, MANAGER, "确认定时")
    assert "下次发送：2026-12-03 19:00" in last(h, MANAGER).text
    async with h.services.db.read() as session:
        job = await session.scalar(select(ScheduledJob).where(ScheduledJob.kind == "notice"))
    assert job is not None and job.due_at == datetime(2026, 12, 3, 11, 0, tzinfo=UTC)

    assert await scheduler.fire_due(clock.now) == 0  # not yet
    clock.set(datetime(2026, 12, 3, 11, 0, 5, tzinfo=UTC))
    assert await scheduler.fire_due(clock.now) == 1
    await drain(h, clock)
    got = await received(h)
    assert set(got) == {CHEN, CHEN_DAUGHTER}
    assert "垃圾分类提醒" in got[CHEN][-1]
    async with h.services.db.read() as session:
        notice = await session.scalar(select(Notice).order_by(Notice.id.desc()))
        assert notice is not None
        jobs = list(await session.scalars(select(ScheduledJob).order_by(ScheduledJob.id)))
    assert notice.status is NoticeStatus.SCHEDULED and notice.runs == 1
    # The next Monday, 19:00 local.
    assert jobs[-1].due_at == datetime(2026, 12, 7, 11, 0, tzinfo=UTC)
    assert notice.next_run_at == jobs[-1].due_at


async def test_residents_and_staff_may_not_post_and_a_forged_cancel_is_refused(h: Harness) -> None:
    for user in (WANG, PLUMBER):
        await h.say(user, "/notice")
        assert "只有本小区的物业经理可以发布通知" in last(h, user).text
    await h.say(DAVID, "/notice", lang="en")
    assert "only the compound's managers" in last(h, DAVID).text
    await h.press(WANG, NoticeCancelPress(1).pack())
    assert h.transport.toasts[-1].alert and "只有本小区的物业经理" in h.transport.toasts[-1].text
    async with h.services.db.read() as session:
        notice = await session.get(Notice, 1)
    assert notice is not None and notice.status is NoticeStatus.SENT


async def test_bad_answers_are_asked_again_and_discard_sends_nothing(
    h: Harness, clock: Clock
) -> None:
    await h.say(MANAGER, "/notice")
    await h.say(MANAGER, "停水")
    assert "至少 5 个字" in last(h, MANAGER).text or "5" in last(h, MANAGER).text
    await h.say(MANAGER, "明天下午例行检查消防设施。")
    await press(h, MANAGER, "安全提示")
    await press(h, MANAGER, "全小区")
    await press(h, MANAGER, "完成")
    await press(h, MANAGER, "定时发送")
    await h.say(MANAGER, "2026-12-01 09:00")
    assert "已经过去" in last(h, MANAGER).text
    await h.say(MANAGER, "12-05 09:00")
    await press(h, MANAGER, "放弃")
    assert "没有发出" in last(h, MANAGER).text
    async with h.services.db.read() as session:
        assert await session.scalar(select(Notice.id).where(Notice.id > 2)) is None
    assert await drain(h, clock) == 0
