"""The fuzzer's world: the demo compound, a second compound, and cases already in every state.

The demo seed (storage/demo.py) has no cases and one compound, so on its own a forged press
would mostly meet "no such case". Here the world also holds:

- a second compound (北苑 North Court) with its own resident, staff member and staff chat, so
  that staff of one compound acting on the other's cases is exercised;
- cases of several residents in several states (submitted, assigned, in progress, resolved),
  including an anonymous complaint and a common-area repair;
- a pending request to link a home, for the staff's approve/reject buttons;

so that pressing a button with someone else's case or residency id reaches the rule that must
refuse it. `reset` empties every table and seeds again: one episode cannot leak into the next.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from handlers.cases.rules import Draft, open_case
from storage import demo
from storage.db import Database
from storage.models import (
    Base,
    Building,
    Case,
    CaseKind,
    CaseStatus,
    ChatBinding,
    ChatPurpose,
    Compound,
    Person,
    Residency,
    ResidencyRole,
    ResidencyStatus,
    StaffMember,
    StaffRole,
    Unit,
    Urgency,
    utcnow,
)

NORTH_CODE = "north"
NORTH_STAFF_CHAT = -100_600_001
NORTH_RESIDENT = 6001
NORTH_STAFF = 6002
# Asked to link a home in the demo compound; staff have not decided yet.
APPLICANT = 5002
# Managers of every compound through the MANAGER_IDS setting (no StaffMember row).
GLOBAL_MANAGER = 9001

RESIDENTS = (1001, 1002, 1003, 1004, NORTH_RESIDENT)
STAFF = (2001, 2002, 2003, 2004, NORTH_STAFF)
MANAGERS = (3001, GLOBAL_MANAGER)
NEWCOMERS = (demo.NEWCOMER_ID, APPLICANT)
KNOWN_USERS = (*RESIDENTS, *STAFF, *MANAGERS, *NEWCOMERS)
GROUPS = (demo.RESIDENT_GROUP_ID, demo.STAFF_CHAT_ID, NORTH_STAFF_CHAT)


async def create(db: Database) -> None:
    """Creates the tables (an empty database or schema) and seeds the world."""
    await create_at(db, now=utcnow())


async def create_at(db: Database, *, now: datetime) -> None:
    """`create`, with the cases filed at `now`."""
    async with db.write_engine.begin() as connection:
        await connection.run_sync(Base.metadata.create_all)
    await seed(db, now=now)


async def reset(db: Database) -> None:
    """Empties every table and seeds again."""
    async with db.write() as session:
        for table in reversed(Base.metadata.sorted_tables):
            await session.execute(table.delete())
    # Bulk deletes bypass the ORM events that clear the compound/chat-binding cache.
    db.rows.clear()
    await seed(db)


async def seed(db: Database, *, now: datetime | None = None) -> None:
    moment = now or utcnow()
    async with db.write() as session:
        summary = await demo.seed_demo(session, now=moment)
        north = await _north(session)
        await _applicant(session, summary.compound)
        await _cases(session, summary.compound, north, moment)


async def _person(session: AsyncSession, telegram_id: int, name: str, locale: str) -> Person:
    person = Person(telegram_id=telegram_id, name=name, locale=locale)
    session.add(person)
    await session.flush()
    return person


async def _north(session: AsyncSession) -> Compound:
    north = Compound(
        code=NORTH_CODE,
        name="北苑 North Court",
        locale="zh",
        timezone="Asia/Shanghai",
        settings={"kb": {"office_phone": "0571-0000 0000"}},
    )
    session.add(north)
    await session.flush()
    building = Building(compound_id=north.id, name="1")
    session.add(building)
    await session.flush()
    unit = Unit(compound_id=north.id, building_id=building.id, label="1-0101", floor=1)
    session.add(unit)
    resident = await _person(session, NORTH_RESIDENT, "周北", "zh")
    staff = await _person(session, NORTH_STAFF, "北师傅", "zh")
    await session.flush()
    session.add_all(
        [
            Residency(
                compound_id=north.id,
                unit_id=unit.id,
                person_id=resident.id,
                role=ResidencyRole.OWNER,
                status=ResidencyStatus.APPROVED,
                source="import",
            ),
            StaffMember(
                compound_id=north.id,
                person_id=staff.id,
                role=StaffRole.STAFF,
                skills=["plumbing", "electrical"],
            ),
            ChatBinding(
                compound_id=north.id,
                chat_id=NORTH_STAFF_CHAT,
                purpose=ChatPurpose.STAFF,
                title="北苑物业",
            ),
        ]
    )
    await session.flush()
    return north


async def _applicant(session: AsyncSession, compound: Compound) -> None:
    person = await _person(session, APPLICANT, "申请人", "zh")
    unit = await session.scalar(select(Unit).where(Unit.label == "1-2-1001"))
    assert unit is not None
    session.add(
        Residency(
            compound_id=compound.id,
            unit_id=unit.id,
            person_id=person.id,
            role=ResidencyRole.TENANT,
            status=ResidencyStatus.PENDING,
            source="request",
            registered_name="申请人",
        )
    )
    await session.flush()


async def _cases(session: AsyncSession, sunny: Compound, north: Compound, now: datetime) -> None:
    people = {
        p.telegram_id: p for p in (await session.scalars(select(Person))).all() if p.telegram_id
    }
    units = {u.label: u for u in (await session.scalars(select(Unit))).all()}
    specs: list[tuple[int, Compound, Draft, CaseStatus, int | None]] = [
        (
            1001,
            sunny,
            Draft(CaseKind.REPAIR, "plumbing", "厨房水管漏水", unit_id=units["1-1-0301"].id),
            CaseStatus.SUBMITTED,
            None,
        ),
        (
            1002,
            sunny,
            Draft(CaseKind.COMPLAINT, "noise", "Loud music after midnight", anonymous=True),
            CaseStatus.ASSIGNED,
            2001,
        ),
        (
            1003,
            sunny,
            Draft(CaseKind.REPAIR, "lift", "3号楼电梯异响", building="3", place="3号楼电梯"),
            CaseStatus.IN_PROGRESS,
            2002,
        ),
        (
            1004,
            sunny,
            Draft(CaseKind.REPAIR, "electrical", "卧室插座没电", unit_id=units["3-2-1102"].id),
            CaseStatus.RESOLVED,
            2001,
        ),
        (
            NORTH_RESIDENT,
            north,
            Draft(
                CaseKind.REPAIR,
                "plumbing",
                "卫生间漏水",
                unit_id=units["1-0101"].id,
                urgency=Urgency.URGENT,
            ),
            CaseStatus.SUBMITTED,
            None,
        ),
    ]
    for telegram_id, compound, draft, status, assignee in specs:
        # North's case is a day old: case numbers are unique across compounds but counted per
        # compound, so today's first North repair would take the number of Sunny's (a product
        # bug the fuzzer reports; seeding must not trip over it).
        filed = now - timedelta(days=1) if compound is north else now
        change = await open_case(
            session, compound=compound, resident=people[telegram_id], draft=draft, now=filed
        )
        case: Case = change.case
        case.status = status
        if assignee is not None:
            case.assignee_id = people[assignee].id
            case.acknowledged_at = now
        if status is CaseStatus.RESOLVED:
            case.resolved_at = now
            case.outcome = "已更换插座"
    await session.flush()
