"""Small builders for storage tests: a compound with a unit, people."""

from __future__ import annotations

from dataclasses import dataclass

from storage.db import Database
from storage.models import Building, Compound, Person, Unit


@dataclass(frozen=True)
class Place:
    compound_id: int
    unit_id: int


async def make_place(db: Database, *, code: str = "maple", label: str = "1-1-0301") -> Place:
    """A compound with one building and one unit."""
    async with db.write() as session:
        compound = Compound(code=code, name=f"{code} compound")
        session.add(compound)
        await session.flush()
        building = Building(compound_id=compound.id, name=label.split("-")[0])
        session.add(building)
        await session.flush()
        unit = Unit(compound_id=compound.id, building_id=building.id, label=label)
        session.add(unit)
        await session.flush()
        return Place(compound_id=compound.id, unit_id=unit.id)


async def make_people(db: Database, *telegram_ids: int) -> list[int]:
    """Persons with these Telegram ids; returns their person ids in the same order."""
    async with db.write() as session:
        people = [
            Person(telegram_id=telegram_id, name=f"user {telegram_id}")
            for telegram_id in telegram_ids
        ]
        session.add_all(people)
        await session.flush()
        return [person.id for person in people]
