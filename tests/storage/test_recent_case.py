"""The case a follow-up message joins: the resident's own, open, recent, of the same kind."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from storage.db import Database
from storage.models import Case, CaseKind, CaseStatus
from storage.repos.cases import recent_open_case
from tests.storage.factories import make_people, make_place

NOW = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)


async def test_only_the_residents_recent_open_case_of_that_kind(any_db: Database) -> None:
    place = await make_place(any_db)
    resident, other = await make_people(any_db, 1, 2)
    rows = [
        # (number, resident, kind, status, minutes ago)
        ("E-1", resident, CaseKind.EMERGENCY, CaseStatus.SUBMITTED, 50),  # too old
        ("E-2", resident, CaseKind.EMERGENCY, CaseStatus.ASSIGNED, 20),  # the one
        ("E-3", resident, CaseKind.EMERGENCY, CaseStatus.CANCELLED, 5),  # closed
        ("E-4", other, CaseKind.EMERGENCY, CaseStatus.SUBMITTED, 1),  # someone else's
        ("R-1", resident, CaseKind.REPAIR, CaseStatus.SUBMITTED, 1),  # another kind
    ]
    async with any_db.write() as session:
        for number, person, kind, status, minutes in rows:
            session.add(
                Case(
                    compound_id=place.compound_id,
                    number=number,
                    kind=kind,
                    category="emergency",
                    status=status,
                    resident_id=person,
                    created_at=NOW - timedelta(minutes=minutes),
                )
            )
    async with any_db.write() as session:
        found = await recent_open_case(
            session,
            compound_id=place.compound_id,
            resident_id=resident,
            kind=CaseKind.EMERGENCY,
            since=NOW - timedelta(minutes=30),
        )
        assert found is not None and found.number == "E-2"
        assert found.resident is not None  # loaded for the card
        none = await recent_open_case(
            session,
            compound_id=place.compound_id,
            resident_id=other,
            kind=CaseKind.REPAIR,
            since=NOW - timedelta(minutes=30),
        )
        assert none is None
