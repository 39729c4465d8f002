"""Every case test runs twice: in the demo compound alone, and beside a second compound whose
residents have already filed today's first cases of every kind (case numbers are per compound
per day, so a number taken there must not stop one here)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.settings import Settings
from handlers.cases import rules
from storage.db import Database
from storage.models import Building, CaseKind, Compound, Person, Unit, Urgency
from tests.harness import Harness, SqliteTemplates

NEIGHBOUR_RESIDENT = 8_800_001


async def add_neighbour_compound(h: Harness) -> None:
    """A second compound with one resident who filed a case of every kind today."""
    async with h.services.db.write() as session:
        compound = Compound(code="cuihu", name="翠湖苑")
        session.add(compound)
        await session.flush()
        building = Building(compound_id=compound.id, name="1")
        session.add(building)
        await session.flush()
        unit = Unit(compound_id=compound.id, building_id=building.id, label="1-1-0101")
        person = Person(telegram_id=NEIGHBOUR_RESIDENT, name="邻居")
        session.add_all([unit, person])
        await session.flush()
        for kind, category, urgency in (
            (CaseKind.REPAIR, "plumbing", Urgency.NORMAL),
            (CaseKind.COMPLAINT, "noise", Urgency.NORMAL),
            (CaseKind.INQUIRY, "inquiry", Urgency.NORMAL),
            (CaseKind.EMERGENCY, "emergency", Urgency.EMERGENCY),
        ):
            draft = rules.Draft(
                kind=kind, category=category, description="隔壁小区的工单", urgency=urgency
            )
            await rules.open_case(
                session, compound=compound, resident=person, draft=draft, now=h.services.clock()
            )


@pytest.fixture(params=["one compound", "two compounds"])
async def harness(
    request: pytest.FixtureRequest,
    db: Database,
    settings: Settings,
    sqlite_templates: SqliteTemplates,
) -> AsyncIterator[Harness]:
    h = await Harness.create(db, settings, templates=sqlite_templates)
    if request.param == "two compounds":
        await add_neighbour_compound(h)
        h.compounds = 2
    yield h
