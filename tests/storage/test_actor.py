"""Who wrote and what they may act as, read in one query per event."""

from __future__ import annotations

from storage.db import Database
from storage.models import (
    Building,
    Residency,
    ResidencyRole,
    ResidencyStatus,
    StaffMember,
    StaffRole,
    Unit,
)
from storage.repos.people import ensure_actor
from tests.storage.factories import make_people, make_place


async def test_only_approved_homes_and_active_staff_roles_count(any_db: Database) -> None:
    maple = await make_place(any_db, code="maple", label="1-1-0101")
    birch = await make_place(any_db, code="birch", label="2-1-0202")
    (person_id,) = await make_people(any_db, 4242)
    async with any_db.write() as session:
        building = Building(compound_id=maple.compound_id, name="9")
        session.add(building)
        await session.flush()
        pending_unit = Unit(compound_id=maple.compound_id, building_id=building.id, label="9-1")
        session.add(pending_unit)
        await session.flush()
        for unit_id, compound_id, status in (
            (maple.unit_id, maple.compound_id, ResidencyStatus.APPROVED),
            (birch.unit_id, birch.compound_id, ResidencyStatus.APPROVED),
            (pending_unit.id, maple.compound_id, ResidencyStatus.PENDING),
        ):
            session.add(
                Residency(
                    compound_id=compound_id,
                    unit_id=unit_id,
                    person_id=person_id,
                    role=ResidencyRole.OWNER,
                    status=status,
                    source="import",
                )
            )
        session.add_all(
            [
                StaffMember(
                    compound_id=maple.compound_id, person_id=person_id, role=StaffRole.MANAGER
                ),
                StaffMember(
                    compound_id=birch.compound_id,
                    person_id=person_id,
                    role=StaffRole.MANAGER,
                    active=False,
                ),
            ]
        )

    async with any_db.write() as session:
        actor = await ensure_actor(
            session, telegram_id=4242, name="", locale=None, manager_ids=frozenset()
        )
        assert [unit.label for unit in actor.units] == ["1-1-0101", "2-1-0202"]
        assert actor.compound_ids() == [maple.compound_id, birch.compound_id]
        assert actor.is_manager(maple.compound_id)
        assert not actor.is_staff(birch.compound_id)


async def test_someone_new_is_recorded_with_no_roles(any_db: Database) -> None:
    async with any_db.write() as session:
        actor = await ensure_actor(
            session, telegram_id=5151, name="Li", locale="zh", manager_ids=frozenset({5151})
        )
        assert actor.person.id is not None
        assert (actor.residencies, actor.staff) == ([], [])
        assert actor.is_manager(1)  # listed in MANAGER_IDS
