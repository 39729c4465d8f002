"""`courtyard import` on every backend: the example files, re-imports, and every kind of bad row."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from storage.db import Database
from storage.importer import Defaults, ImportFailed, Problem, Summary, import_file
from storage.models import (
    AuditEntry,
    Base,
    Building,
    Compound,
    Person,
    Residency,
    ResidencyRole,
    ResidencyStatus,
    StaffMember,
    StaffRole,
    Unit,
)

EXAMPLES = Path(__file__).parents[2] / "docs" / "examples"
ORDER = ("compounds", "units", "residents", "staff")


async def import_examples(db: Database, *kinds: str) -> list[Summary]:
    return [await import_file(db, kind, EXAMPLES / f"{kind}.csv") for kind in kinds or ORDER]


def write(tmp_path: Path, text: str, name: str = "file.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


async def snapshot(db: Database) -> dict[str, list[Any]]:
    """Every row of every table, to prove that something did not change the database."""
    async with db.read() as session:
        return {
            table.name: (await session.execute(select(table).order_by(*table.primary_key))).all()
            for table in Base.metadata.sorted_tables
        }


async def problems_of(db: Database, kind: str, path: Path) -> list[str]:
    with pytest.raises(ImportFailed) as failed:
        await import_file(db, kind, path)
    return [str(problem) for problem in failed.value.problems]


async def test_the_example_files_import_cleanly(any_db: Database) -> None:
    summaries = await import_examples(any_db)
    assert [(s.created, s.updated, s.unchanged) for s in summaries] == [
        (2, 0, 0),
        (8, 0, 0),
        (7, 0, 0),
        (5, 0, 0),
    ]
    assert str(summaries[1]) == (
        "imported units.csv: created 8, updated 0, unchanged 0; buildings created: 4; "
        "unit label format of maple: {building}-{entrance}-{room}"
    )
    async with any_db.read() as session:
        compounds = {c.code: c for c in (await session.scalars(select(Compound))).all()}
        units = {u.label: u for u in (await session.scalars(select(Unit))).all()}
        buildings = (await session.scalars(select(Building.name).order_by(Building.name))).all()
        residencies = (
            await session.scalars(
                select(Residency)
                .options(selectinload(Residency.person), selectinload(Residency.unit))
                .order_by(Residency.id)
            )
        ).all()
        staff = (
            await session.scalars(select(StaffMember).options(selectinload(StaffMember.person)))
        ).all()
        actions = (await session.scalars(select(AuditEntry.action))).all()

    maple, harbour = compounds["maple"], compounds["harbour"]
    assert (maple.name, maple.locale, maple.timezone) == (
        "枫林苑 Maple Court",
        "zh",
        "Asia/Shanghai",
    )
    assert maple.settings["kb"]["office_phone"] == "021-6288 3100"
    assert (harbour.locale, harbour.timezone) == ("en", "Asia/Hong_Kong")
    # The example a resident is shown follows the labels: 3-2-1502 here, A-1201 there.
    assert maple.unit_label_format == "{building}-{entrance}-{room}"
    assert harbour.unit_label_format == "{building}-{room}"
    assert buildings == ["1", "2", "A", "B"]
    assert (units["1-1-0301"].floor, units["1-1-0301"].area_m2) == (3, 89.5)
    assert units["A-1202"].area_m2 is None

    by_name = {r.registered_name: r for r in residencies}
    wang = by_name["王建华"]
    assert (wang.person.telegram_id, wang.person.phone) == (700100001, "138 0013 8000")
    assert (wang.status, wang.source, wang.role) == (
        ResidencyStatus.APPROVED,
        "import",
        ResidencyRole.OWNER,
    )
    roster = by_name["李娜"]
    assert roster.person.telegram_id is None and roster.person.name == "李娜"
    assert roster.role is ResidencyRole.TENANT
    # One person owning two flats in one compound: two residencies, one person.
    chen = [r for r in residencies if r.registered_name == "陈志强"]
    assert sorted(r.unit.label for r in chen) == ["2-1-1502", "2-1-1601"]
    assert len({r.person_id for r in chen}) == 1

    members = {m.person.telegram_id: m for m in staff}
    assert (members[700900001].role, members[700900001].skills) == (
        StaffRole.STAFF,
        ["plumbing", "electrical"],
    )
    assert (members[700900003].role, members[700900003].skills) == (StaffRole.MANAGER, [])
    assert members[700900001].person.name == "周师傅"

    assert sorted(set(actions)) == [
        "import.compounds",
        "import.residents",
        "import.staff",
        "import.units",
        "residency.imported",
        "staff.imported",
    ]
    assert actions.count("residency.imported") == 7 and actions.count("staff.imported") == 5


async def test_importing_the_same_files_again_changes_nothing(any_db: Database) -> None:
    await import_examples(any_db)
    before = await snapshot(any_db)
    again = await import_examples(any_db)
    assert [(s.created, s.updated, s.unchanged) for s in again] == [
        (0, 0, 2),
        (0, 0, 8),
        (0, 0, 7),
        (0, 0, 5),
    ]
    assert await snapshot(any_db) == before


async def test_changed_rows_are_updated_and_empty_cells_keep_values(
    any_db: Database, tmp_path: Path
) -> None:
    await import_examples(any_db)
    units = write(
        tmp_path,
        "compound,building,unit,floor,area_m2\n"
        "maple,1,1-1-0301,3,90\n"  # area changed
        "maple,1,1-1-0302,,\n"  # empty cells: floor 3 and area 76 stay
        "maple,3,3-1-0101,1,55\n",  # new, in a new building
    )
    summary = await import_file(any_db, "units", units)
    assert (summary.created, summary.updated, summary.unchanged) == (1, 1, 1)
    assert "buildings created: 1" in summary.notes

    staff = write(
        tmp_path,
        "compound,telegram_id,name,role,skills\n"
        "maple,700900001,周师傅,manager,\n"  # promoted; skills kept
        "maple,700900002,吴阿姨,staff,cleaning\n",  # skills replaced
    )
    summary = await import_file(any_db, "staff", staff)
    assert (summary.created, summary.updated, summary.unchanged) == (0, 2, 0)

    residents = write(
        tmp_path, "compound,unit,name,role,telegram_id\nmaple,1-1-0301,王小雨,tenant,700100002\n"
    )
    summary = await import_file(any_db, "residents", residents)
    assert (summary.created, summary.updated, summary.unchanged) == (0, 1, 0)

    async with any_db.read() as session:
        unit = await session.scalar(select(Unit).where(Unit.label == "1-1-0302"))
        assert unit is not None and (unit.floor, unit.area_m2) == (3, 76.0)
        members = {
            m.person.telegram_id: m
            for m in await session.scalars(
                select(StaffMember).options(selectinload(StaffMember.person))
            )
        }
        role = await session.scalar(
            select(Residency.role).join(Residency.person).where(Person.telegram_id == 700100002)
        )
    assert (members[700900001].role, members[700900001].skills) == (
        StaffRole.MANAGER,
        ["plumbing", "electrical"],
    )
    assert members[700900002].skills == ["cleaning"]
    assert role is ResidencyRole.TENANT


async def test_a_pending_request_is_approved_by_the_import(any_db: Database) -> None:
    await import_examples(any_db, "compounds", "units")
    async with any_db.write() as session:
        unit = await session.scalar(select(Unit).where(Unit.label == "1-1-0301"))
        assert unit is not None
        person = Person(telegram_id=700100001, name="Jianhua")
        session.add(person)
        await session.flush()
        session.add(
            Residency(
                compound_id=unit.compound_id,
                unit_id=unit.id,
                person_id=person.id,
                role=ResidencyRole.OWNER,
                status=ResidencyStatus.PENDING,
                source="request",
            )
        )
    (summary,) = await import_examples(any_db, "residents")
    assert (summary.created, summary.updated) == (6, 1)
    async with any_db.read() as session:
        mine = (
            await session.scalars(
                select(Residency).join(Residency.person).where(Person.telegram_id == 700100001)
            )
        ).all()
        name = await session.scalar(select(Person.name).where(Person.telegram_id == 700100001))
    assert [(r.status, r.source, r.registered_name) for r in mine] == [
        (ResidencyStatus.APPROVED, "request", "王建华")
    ]
    assert mine[0].decided_at is not None
    assert name == "Jianhua"  # the messenger's name stays; the register's is registered_name


async def test_a_new_compound_takes_the_deployment_defaults(
    any_db: Database, tmp_path: Path
) -> None:
    path = write(tmp_path, "code,name\nelm,Elm Court\n")
    await import_file(any_db, "compounds", path, defaults=Defaults("en", "Europe/London"))
    async with any_db.read() as session:
        compound = await session.scalar(select(Compound))
    assert compound is not None
    assert (compound.locale, compound.timezone) == ("en", "Europe/London")


BAD_FILES = {
    "compounds": (
        "code,name,locale,timezone,office_phone\n"
        ",枫林苑,zh,Asia/Shanghai,\n"
        "my code,X,fr,Mars/Olympus,\n"
        "elm,,EN,UTC,\n"
        "ash,Ash,,," + "9" * 65 + "\n"
        "oak,Oak,,,\n"
        "oak,Oak Again,,,\n",
        [
            "line 2: code is empty",
            "line 3: code 'my code' may only use letters, digits, '-' and '_'; locale 'fr' is "
            "not one of: zh, en; timezone 'Mars/Olympus' is not an IANA time zone "
            "(e.g. Asia/Shanghai)",
            "line 4: name is empty",
            "line 5: office_phone is longer than 64 characters",
            "line 7: the same compound code as line 6",
        ],
    ),
    "units": (
        "compound,building,unit,floor,area_m2\n"
        "nope,1,1-1-0101,1,50\n"
        "maple,2,1-1-0101,1,50\n"
        "maple,1,1-1-01 01,1,50\n"
        "maple,1,1-1-0102,first,-3\n"
        "maple,1,1-1-0103,,\n"
        "maple,1,1－1－0103 ,,\n"
        "maple,,--,999,abc\n",
        [
            "line 2: compound 'nope' does not exist (import compounds first)",
            "line 3: unit 1-1-0101 is not in building 2 (its label starts 1-)",
            "line 4: unit '1-1-01 01' is not a unit label: letters and digits in parts joined "
            "by '-', e.g. 3-2-1502",
            "line 5: floor 'first' is not a whole number; area_m2 '-3' must be a number above 0",
            "line 7: the same unit as line 6",
            "line 8: building is empty; unit '--' is not a unit label: letters and digits in "
            "parts joined by '-', e.g. 3-2-1502; floor 999 is out of range (-20 to 300); "
            "area_m2 'abc' is not a number",
        ],
    ),
    "residents": (
        "compound,unit,name,role,phone,telegram_id\n"
        "maple,1-1-9999,张三,owner,,\n"
        "maple,1-1-0301,,landlord,call me,\n"
        "maple,1-1-0301,张三,owner,,7.001E+08\n"
        "maple,1-1-0301,张三,owner,,-5\n"
        "maple,1-1-0302,李四,owner,,700100009\n"
        "maple,1-1-0302,李四 (again),tenant,,700100009\n"
        "maple,1-1-0302,赵五,owner,,\n"
        "maple,1-1-0302,赵五,family,,\n",
        [
            "line 2: unit 1-1-9999 does not exist in compound maple (import units first)",
            "line 3: name is empty; role 'landlord' is not one of: owner, tenant, family; "
            "phone 'call me' is not a phone number (digits, spaces, + - and brackets)",
            "line 4: telegram_id '7.001E+08' is not a whole number (Excel shortened it: format "
            "the column as text and type it again)",
            "line 5: telegram_id -5 is out of range",
            "line 7: the same resident as line 6",
            "line 9: the same resident as line 8",
        ],
    ),
    "staff": (
        "compound,telegram_id,name,role,skills\n"
        "maple,,周师傅,staff,plumbing\n"
        "maple,700900001,周师傅,boss,plumbing;cooking;Lifts\n"
        'maple,700900002,吴阿姨,staff,"cleaning,greening"\n'
        "maple,700900003,钱经理,manager,\n"
        "maple,700900003,钱经理,staff,\n",
        [
            "line 2: telegram_id is empty",
            "line 3: role 'boss' is not one of: staff, manager; unknown skill 'cooking': use "
            "plumbing, electrical, lifts, doors, cleaning, security, greening, billing, "
            "separated by ';'",
            "line 4: unknown skill 'cleaning,greening': use plumbing, electrical, lifts, doors, "
            "cleaning, security, greening, billing, separated by ';'",
            "line 6: the same staff member as line 5",
        ],
    ),
}


@pytest.mark.parametrize("kind", list(BAD_FILES))
async def test_every_bad_row_is_named_and_nothing_is_imported(
    any_db: Database, tmp_path: Path, kind: str
) -> None:
    await import_examples(any_db, "compounds", "units")
    before = await snapshot(any_db)
    text, expected = BAD_FILES[kind]
    assert await problems_of(any_db, kind, write(tmp_path, text)) == expected
    assert await snapshot(any_db) == before


async def test_one_bad_row_among_good_ones_imports_nothing(
    any_db: Database, tmp_path: Path
) -> None:
    await import_examples(any_db, "compounds", "units")
    before = await snapshot(any_db)
    good = (EXAMPLES / "residents.csv").read_text(encoding="utf-8")
    path = write(tmp_path, good + "maple,1-1-0301,路人,visitor,,\n")
    assert await problems_of(any_db, "residents", path) == [
        "line 9: role 'visitor' is not one of: owner, tenant, family"
    ]
    assert await snapshot(any_db) == before


async def test_a_missing_column_is_one_clear_problem(any_db: Database, tmp_path: Path) -> None:
    await import_examples(any_db, "compounds")
    path = write(tmp_path, "compound,unit,floor\nmaple,1-1-0301,3\nmaple,1-1-0302,3\n")
    assert await problems_of(any_db, "units", path) == [
        "line 1: missing column building (a units file needs compound, building, unit; "
        "it may also have floor, area_m2)"
    ]


async def test_excel_files_import_as_they_are(any_db: Database, tmp_path: Path) -> None:
    """A byte-order mark, CRLF line ends, headers in another case and order, extra columns,
    an empty row and full-width dashes are all fine."""
    await import_examples(any_db, "compounds")
    path = tmp_path / "units.csv"
    path.write_bytes(
        "\ufeffUnit ,Notes, COMPOUND,Building\r\n"
        "1－1－0301,南向,maple,1\r\n"
        ",,,\r\n"
        "1-1-0302,,maple,1\r\n".encode()
    )
    summary = await import_file(any_db, "units", path)
    assert summary.created == 2
    async with any_db.read() as session:
        labels = (await session.scalars(select(Unit.label).order_by(Unit.label))).all()
    assert labels == ["1-1-0301", "1-1-0302"]


async def test_a_missing_file_is_one_problem(any_db: Database, tmp_path: Path) -> None:
    problems = await problems_of(any_db, "units", tmp_path / "nope.csv")
    assert problems == [f"{tmp_path / 'nope.csv'}: no such file"]


def test_problem_reads_as_the_operator_sees_it() -> None:
    assert str(Problem(4, "name is empty")) == "line 4: name is empty"
    assert str(Problem(None, "units.csv: no such file")) == "units.csv: no such file"
