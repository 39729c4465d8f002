"""Models round-trip on every backend: times stay aware UTC, ids stay 64-bit, JSON keeps text."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from sqlalchemy.exc import StatementError
from sqlalchemy.orm import selectinload

from storage.db import Database
from storage.models import (
    Building,
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
)

# Past 2**31 (Telegram ids are) and with microseconds (SQLite stores them as text).
BIG_ID = 2**40 + 7
SHANGHAI_MORNING = datetime(2026, 3, 1, 9, 30, 15, 123456, tzinfo=ZoneInfo("Asia/Shanghai"))


async def test_aware_times_come_back_aware_utc_and_equal(any_db: Database) -> None:
    async with any_db.write() as session:
        session.add(Person(telegram_id=BIG_ID, name="王芳", blocked_at=SHANGHAI_MORNING))
    async with any_db.read() as session:
        person = await session.scalar(select(Person).where(Person.telegram_id == BIG_ID))
    assert person is not None and person.blocked_at is not None
    assert person.blocked_at == SHANGHAI_MORNING
    assert person.blocked_at.utcoffset() == timedelta(0)
    assert person.blocked_at.hour == 1  # 09:30 in Shanghai is 01:30 UTC
    assert person.created_at.tzinfo is not None
    assert abs(datetime.now(UTC) - person.created_at) < timedelta(minutes=1)


async def test_naive_times_are_refused(any_db: Database) -> None:
    with pytest.raises(StatementError, match="naive datetime"):
        async with any_db.write() as session:
            session.add(Person(name="x", blocked_at=datetime(2026, 3, 1, 9, 30)))
    async with any_db.read() as session:
        assert (await session.scalars(select(Person))).all() == []


async def test_a_compound_with_its_people_round_trips(any_db: Database) -> None:
    async with any_db.write() as session:
        compound = Compound(code="maple", name="枫林苑", settings={"kb": {"office_phone": "021"}})
        session.add(compound)
        await session.flush()
        building = Building(compound_id=compound.id, name="1")
        session.add(building)
        await session.flush()
        unit = Unit(
            compound_id=compound.id, building_id=building.id, label="1-1-0301", area_m2=89.5
        )
        person = Person(telegram_id=BIG_ID, name="王芳")
        session.add_all([unit, person])
        await session.flush()
        session.add_all(
            [
                Residency(
                    compound_id=compound.id,
                    unit_id=unit.id,
                    person_id=person.id,
                    role=ResidencyRole.TENANT,
                    status=ResidencyStatus.APPROVED,
                    source="import",
                ),
                StaffMember(
                    compound_id=compound.id,
                    person_id=person.id,
                    role=StaffRole.MANAGER,
                    skills=["plumbing", "lifts"],
                ),
                ChatBinding(
                    compound_id=compound.id, chat_id=-1_001_234_567_890, purpose=ChatPurpose.STAFF
                ),
            ]
        )
    async with any_db.read() as session:
        residency = await session.scalar(
            select(Residency).options(selectinload(Residency.unit), selectinload(Residency.person))
        )
        member = await session.scalar(select(StaffMember))
        binding = await session.scalar(select(ChatBinding))
        compound = await session.scalar(select(Compound))
    assert residency is not None and member is not None and binding is not None
    assert compound is not None
    assert residency.role is ResidencyRole.TENANT and residency.status is ResidencyStatus.APPROVED
    assert (residency.unit.label, residency.unit.area_m2) == ("1-1-0301", 89.5)
    assert residency.person.telegram_id == BIG_ID
    assert (member.role, member.skills) == (StaffRole.MANAGER, ["plumbing", "lifts"])
    assert (binding.chat_id, binding.purpose) == (-1_001_234_567_890, ChatPurpose.STAFF)
    assert compound.settings == {"kb": {"office_phone": "021"}}
    assert (compound.locale, compound.unit_label_format) == ("zh", "{building}-{room}")
