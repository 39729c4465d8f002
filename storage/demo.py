"""The demo compound: a realistic small compound to try every flow in the console.

Seeding is idempotent: running it again finds what is there and adds only what is missing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.demo_fees import seed_fees
from storage.models import (
    Building,
    ChatBinding,
    ChatPurpose,
    Compound,
    Event,
    InviteCode,
    Notice,
    NoticeCategory,
    NoticeChannel,
    NoticeStatus,
    Person,
    Residency,
    ResidencyRole,
    ResidencyStatus,
    StaffMember,
    StaffRole,
    Unit,
)
from storage.repos.events import sign_up
from storage.repos.invites import create_invite

CODE = "sunny"
STAFF_CHAT_ID = -100_500_001
RESIDENT_GROUP_ID = -100_500_002
NEWCOMER_ID = 5001
INVITE_UNIT = "2-1-0601"

KB_VALUES = {
    "office_phone": "0571-8800 1234",
    "office_hours": {
        # No brackets: answers quote the hours in brackets of their own.
        "zh": "每天 8:30–17:30，节假日 9:00–16:00",
        "en": "daily 8:30–17:30, holidays 9:00–16:00",
    },
    "office_location": {
        "zh": "2号楼一层物业服务中心",
        "en": "the management office, ground floor of building 2",
    },
    "duty_phone": "0571-8800 1199",
    "repair_hours": {
        "zh": "每天 8:00–20:00 受理，紧急报修24小时",
        "en": "daily 8:00–20:00; emergencies 24 hours",
    },
    "renovation_hours": {
        "zh": "工作日 8:30–12:00、14:00–18:00，周末及法定节假日禁止噪音施工",
        "en": "weekdays 8:30–12:00 and 14:00–18:00; no noisy work at weekends or holidays",
    },
    "renovation_deposit": {
        "zh": "3000元，验收合格后30日内退还",
        "en": "3,000 yuan, refunded within 30 days of a passed inspection",
    },
    "debris_point": {
        "zh": "北门东侧装修垃圾临时堆放点",
        "en": "the debris point east of the north gate",
    },
    "bulky_waste_point": {
        "zh": "每周六上午北门东侧集中清运",
        "en": "Saturday mornings at the point east of the north gate",
    },
    "garbage_times": {
        "zh": "每天 7:00–9:00、18:00–21:00，各楼栋垃圾亭",
        "en": "daily 7:00–9:00 and 18:00–21:00 at each building's bin station",
    },
    "fee_rate": {"zh": "住宅 2.2元/平方米/月", "en": "2.2 yuan per m² per month for homes"},
    "fee_cycle": {
        "zh": "按季度缴纳，每季度首月15日前",
        "en": "quarterly, due by the 15th of the quarter's first month",
    },
    "payment_channels": {
        "zh": "物业前台（现金/刷卡）、银行转账、物业微信公众号",
        "en": "the office counter (cash/card), bank transfer, the office's WeChat account",
    },
    "parking_fee": {
        "zh": "月卡 300元/月，临时停车首小时免费、之后 5元/小时",
        "en": "300 yuan a month; visitors: first hour free, then 5 yuan an hour",
    },
    "quiet_hours": {"zh": "22:00–次日7:00 及 12:00–14:00", "en": "22:00–7:00 and 12:00–14:00"},
    "amenities_hours": {
        "zh": "会所 9:00–21:00，活动室需提前一天在前台预约",
        "en": "clubhouse 9:00–21:00; book rooms a day ahead at the office",
    },
    "parcel_lockers": {
        "zh": "各楼栋大堂快递柜及南门快递驿站",
        "en": "lockers in each lobby and the parcel point at the south gate",
    },
    "access_card_fee": {"zh": "工本费20元/张", "en": "20 yuan per card"},
    "ev_charging": {
        "zh": "地下车库B区充电桩及北侧非机动车棚充电区",
        "en": "chargers in garage zone B and the bike shed on the north side",
    },
}


# The contract's late fee (0.05% a day after 30 days), and tenants may see their home's bills.
FEE_SETTINGS = {
    "currency": "CNY",
    "late_fee": {"ppm_per_day": 500, "grace_days": 30},
    "tenants_see_bills": True,
}
KB_VALUES["late_fee"] = {
    "zh": "逾期未缴金额每日 0.05%，逾期30天后起算，最多不超过欠费本金",
    "en": "0.05% of the overdue amount per day after 30 days, never more than the amount itself",
}


@dataclass(frozen=True)
class DemoPerson:
    telegram_id: int
    name: str
    locale: str
    unit: str | None = None
    role: str = "owner"
    staff_role: StaffRole | None = None
    skills: tuple[str, ...] = ()


PEOPLE = (
    DemoPerson(1001, "王芳", "zh", unit="1-1-0301"),
    DemoPerson(1002, "David Chen", "en", unit="2-1-0502", role="tenant"),
    DemoPerson(1003, "陈建国", "zh", unit="3-2-1102"),
    DemoPerson(1004, "陈小雨", "zh", unit="3-2-1102", role="family"),
    DemoPerson(2001, "李师傅", "zh", staff_role=StaffRole.STAFF, skills=("plumbing", "electrical")),
    DemoPerson(2002, "赵师傅", "zh", staff_role=StaffRole.STAFF, skills=("lifts", "doors")),
    DemoPerson(2003, "刘阿姨", "zh", staff_role=StaffRole.STAFF, skills=("cleaning", "greening")),
    DemoPerson(2004, "Mark Li", "en", staff_role=StaffRole.STAFF, skills=("security",)),
    DemoPerson(2005, "周会计", "zh", staff_role=StaffRole.STAFF, skills=("billing",)),
    DemoPerson(3001, "张经理", "zh", staff_role=StaffRole.MANAGER),
)
# People on the office's register who have not joined the chat yet.
ROSTER = (
    ("1-2-0902", "孙丽", "owner"),
    ("2-2-1201", "Emma Wong", "owner"),
    ("1-1-0702", "周阿姨", "owner"),
    ("3-1-0401", "Tom Baker", "tenant"),
)


@dataclass(frozen=True)
class DemoEvent:
    """An upcoming event, `days` ahead at `start`–`end` local time, with sign-ups by roster
    households (unit, people) in this order: the ones that do not fit wait."""

    title: str
    description: str
    place: str
    days: int
    start: time
    end: time
    capacity: int
    per_household: int
    signups: tuple[tuple[str, int], ...]


EVENTS = (
    # Places left: anyone can sign up at once.
    DemoEvent(
        "亲子手工课 · Family craft afternoon",
        "做灯笼、剪纸，适合3岁以上的孩子和家长。Lanterns and paper-cutting for children (3+) "
        "and their parents.",
        "会所活动室 Clubhouse activity room",
        days=5,
        start=time(14, 0),
        end=time(16, 30),
        capacity=30,
        per_household=3,
        signups=(("1-2-0902", 2),),
    ),
    # One place left and a household waiting for two: a sign-up of one still gets in.
    DemoEvent(
        "社区义诊 · Free health check",
        "社区医院医生现场量血压、测血糖、答疑。Doctors from the community hospital check "
        "blood pressure and blood sugar and answer questions.",
        "南门广场 South gate square",
        days=3,
        start=time(9, 0),
        end=time(11, 30),
        capacity=10,
        per_household=3,
        signups=(("1-2-0902", 3), ("2-2-1201", 3), ("1-1-0702", 3), ("3-1-0401", 2)),
    ),
)


@dataclass
class DemoSummary:
    compound: Compound
    invite_code: str
    units: int


def _unit_labels() -> list[tuple[str, str, int]]:
    """Three buildings, two entrances, twelve floors, two homes per floor: '3-2-1102'."""
    labels = []
    for building in (1, 2, 3):
        for entrance in (1, 2):
            for floor in range(1, 13):
                for room in (1, 2):
                    labels.append(
                        (str(building), f"{building}-{entrance}-{floor:02d}{room:02d}", floor)
                    )
    return labels


async def seed_demo(session: AsyncSession, *, now: datetime) -> DemoSummary:
    compound = await session.scalar(select(Compound).where(Compound.code == CODE))
    if compound is None:
        compound = Compound(
            code=CODE,
            name="阳光花园 Sunny Garden",
            locale="zh",
            timezone="Asia/Shanghai",
            unit_label_format="{building}-{entrance}-{room}",
            settings={"kb": KB_VALUES, "group_auto_answer": True, "fees": FEE_SETTINGS},
        )
        session.add(compound)
        await session.flush()
    units = await _ensure_units(session, compound)
    for spec in PEOPLE:
        person = await _ensure_person(session, spec.telegram_id, spec.name, spec.locale)
        if spec.unit:
            await _ensure_residency(session, compound, units[spec.unit], person, spec.role)
        if spec.staff_role:
            member = await session.scalar(
                select(StaffMember).where(
                    StaffMember.compound_id == compound.id, StaffMember.person_id == person.id
                )
            )
            if member is None:
                session.add(
                    StaffMember(
                        compound_id=compound.id,
                        person_id=person.id,
                        role=spec.staff_role,
                        skills=list(spec.skills),
                    )
                )
    for label, name, role in ROSTER:
        found = await session.scalar(select(Person).where(Person.name == name))
        person = found if found is not None else Person(name=name)
        if found is None:
            session.add(person)
            await session.flush()
        await _ensure_residency(session, compound, units[label], person, role, source="import")
    for chat_id, purpose, title in (
        (STAFF_CHAT_ID, ChatPurpose.STAFF, "阳光花园物业工作群"),
        (RESIDENT_GROUP_ID, ChatPurpose.RESIDENTS, "阳光花园业主群"),
    ):
        if await session.scalar(select(ChatBinding).where(ChatBinding.chat_id == chat_id)) is None:
            session.add(
                ChatBinding(compound_id=compound.id, chat_id=chat_id, purpose=purpose, title=title)
            )
    invite = await session.scalar(
        select(InviteCode).where(
            InviteCode.unit_id == units[INVITE_UNIT].id,
            InviteCode.used_at.is_(None),
            InviteCode.expires_at > now,
        )
    )
    if invite is None:
        invite = await create_invite(
            session,
            compound_id=compound.id,
            unit_id=units[INVITE_UNIT].id,
            role=ResidencyRole.OWNER,
            now=now,
        )
    if await session.scalar(select(Notice.id).where(Notice.compound_id == compound.id)) is None:
        session.add_all(demo_notices(compound, now))
    await session.flush()
    await _ensure_events(session, compound, units, now)
    await seed_fees(session, compound, units, now=now)
    return DemoSummary(compound=compound, invite_code=invite.code, units=len(units))


OUTAGE_BUILDING = "3"


def demo_notices(compound: Compound, now: datetime) -> list[Notice]:
    """Two notices that went out already: tomorrow's water outage in building 3, from 8:00 to
    18:00, and a community market this weekend for everyone."""
    zone = ZoneInfo(compound.timezone)
    tomorrow = now.astimezone(zone).date() + timedelta(days=1)
    starts = datetime.combine(tomorrow, time(8), tzinfo=zone).astimezone(UTC)
    ends = datetime.combine(tomorrow, time(18), tzinfo=zone).astimezone(UTC)
    sent = {"repeat": "once", "at": now.astimezone(zone).strftime("%Y-%m-%dT%H:%M:00")}
    outage = Notice(
        compound_id=compound.id,
        category=NoticeCategory.WATER_OUTAGE,
        text=(
            "因二次供水水箱清洗，3号楼明天 8:00–18:00 停水，请提前储水。\n"
            "Building 3 has no water tomorrow 8:00–18:00 while the tanks are cleaned; "
            "please store some water."
        ),
        audience={"buildings": [OUTAGE_BUILDING], "units": [], "owners_only": False},
        channels=[NoticeChannel.PRIVATE.value, NoticeChannel.BOARD.value],
        schedule=sent,
        outage_buildings=[OUTAGE_BUILDING],
        starts_at=starts,
        ends_at=ends,
        status=NoticeStatus.SENT,
        runs=1,
        last_run_at=now,
        shown_until=ends,
        created_at=now,
    )
    community = Notice(
        compound_id=compound.id,
        category=NoticeCategory.COMMUNITY,
        text=(
            "本周六上午 9:00–11:30 中心花园二手集市，欢迎摆摊和选购。\n"
            "Second-hand market in the central garden this Saturday, 9:00–11:30: "
            "bring things to sell, or come and browse."
        ),
        audience={"buildings": [], "units": [], "owners_only": False},
        channels=[NoticeChannel.GROUP.value, NoticeChannel.BOARD.value],
        schedule=sent,
        status=NoticeStatus.SENT,
        runs=1,
        last_run_at=now,
        shown_until=now + timedelta(days=7),
        created_at=now,
    )
    return [outage, community]


async def _ensure_events(
    session: AsyncSession, compound: Compound, units: dict[str, Unit], now: datetime
) -> None:
    """The demo's upcoming events, each once (by title), dated from `now`."""
    zone = ZoneInfo(compound.timezone)
    today = now.astimezone(zone).date()
    for spec in EVENTS:
        found = await session.scalar(
            select(Event).where(Event.compound_id == compound.id, Event.title == spec.title)
        )
        if found is not None:
            continue
        day = today + timedelta(days=spec.days)
        starts = datetime.combine(day, spec.start, tzinfo=zone).astimezone(UTC)
        event = Event(
            compound_id=compound.id,
            title=spec.title,
            description=spec.description,
            place=spec.place,
            starts_at=starts,
            ends_at=datetime.combine(day, spec.end, tzinfo=zone).astimezone(UTC),
            signup_deadline=starts,
            capacity=spec.capacity,
            per_household=spec.per_household,
            buildings=[],
            created_at=now,
        )
        session.add(event)
        await session.flush()
        for label, people in spec.signups:
            unit = units[label]
            person_id = await session.scalar(
                select(Residency.person_id)
                .where(Residency.unit_id == unit.id)
                .order_by(Residency.id)
                .limit(1)
            )
            assert person_id is not None  # every signing unit is on the roster
            await sign_up(
                session, event, person_id=person_id, unit_id=unit.id, people=people, now=now
            )


async def _ensure_units(session: AsyncSession, compound: Compound) -> dict[str, Unit]:
    existing = {
        u.label: u
        for u in (await session.scalars(select(Unit).where(Unit.compound_id == compound.id))).all()
    }
    buildings = {
        b.name: b
        for b in (
            await session.scalars(select(Building).where(Building.compound_id == compound.id))
        ).all()
    }
    for building_name, label, floor in _unit_labels():
        if label in existing:
            continue
        building = buildings.get(building_name)
        if building is None:
            building = buildings[building_name] = Building(
                compound_id=compound.id, name=building_name
            )
            session.add(building)
            await session.flush()
        unit = Unit(
            compound_id=compound.id, building_id=building.id, label=label, floor=floor, area_m2=89.5
        )
        session.add(unit)
        existing[label] = unit
    await session.flush()
    return existing


async def _ensure_person(session: AsyncSession, telegram_id: int, name: str, locale: str) -> Person:
    person = await session.scalar(select(Person).where(Person.telegram_id == telegram_id))
    if person is None:
        person = Person(telegram_id=telegram_id, name=name, locale=locale)
        session.add(person)
        await session.flush()
    return person


async def _ensure_residency(
    session: AsyncSession,
    compound: Compound,
    unit: Unit,
    person: Person,
    role: str,
    *,
    source: str = "invite",
) -> None:
    found = await session.scalar(
        select(Residency).where(Residency.unit_id == unit.id, Residency.person_id == person.id)
    )
    if found is None:
        session.add(
            Residency(
                compound_id=compound.id,
                unit_id=unit.id,
                person_id=person.id,
                role=ResidencyRole(role),
                status=ResidencyStatus.APPROVED,
                source=source,
            )
        )
