"""`courtyard import` and `courtyard invite` as an operator runs them (docs/cli.md)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.cli import build_parser
from bot.settings import Settings
from storage.db import Database
from storage.migrate import upgrade
from storage.models import Compound, Person, Unit, utcnow
from storage.repos.invites import ALPHABET, CODE_LENGTH, Redeemed, redeem_invite

EXAMPLES = Path(__file__).parents[2] / "docs" / "examples"
ORDER = ("compounds", "units", "residents", "staff")


async def courtyard(settings: Settings, *argv: str) -> int:
    """Runs one command line the way `courtyard` does, with the test's settings."""
    args = build_parser().parse_args(list(argv))
    return await args.run(args, settings)


async def import_examples(settings: Settings) -> None:
    for kind in ORDER:
        assert await courtyard(settings, "import", kind, str(EXAMPLES / f"{kind}.csv")) == 0


async def test_the_examples_import_and_report_what_they_did(
    settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    await upgrade(settings.database_url)
    capsys.readouterr()
    await import_examples(settings)
    await import_examples(settings)
    assert capsys.readouterr().out.splitlines() == [
        "imported compounds.csv: created 2, updated 0, unchanged 0",
        "imported units.csv: created 8, updated 0, unchanged 0; buildings created: 4; "
        "unit label format of maple: {building}-{entrance}-{room}",
        "imported residents.csv: created 7, updated 0, unchanged 0",
        "imported staff.csv: created 5, updated 0, unchanged 0",
        "imported compounds.csv: created 0, updated 0, unchanged 2",
        "imported units.csv: created 0, updated 0, unchanged 8",
        "imported residents.csv: created 0, updated 0, unchanged 7",
        "imported staff.csv: created 0, updated 0, unchanged 5",
    ]


async def test_a_bad_file_prints_each_bad_row_and_imports_nothing(
    settings: Settings, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    await upgrade(settings.database_url)
    path = tmp_path / "compounds.csv"
    path.write_text("code,name,locale\nelm,Elm Court,en\n,No Code,zh\noak,Oak,fr\n")
    assert await courtyard(settings, "import", "compounds", str(path)) == 1
    captured = capsys.readouterr()
    assert captured.err.splitlines() == [
        "line 3: code is empty",
        "line 4: locale 'fr' is not one of: zh, en",
        "courtyard: nothing imported from compounds.csv (bad rows: 2)",
    ]
    assert captured.out == ""
    db = Database(settings.database_url)
    try:
        async with db.read() as session:
            assert await session.scalar(select(func.count(Compound.id))) == 0
    finally:
        await db.dispose()


async def test_an_out_of_date_schema_is_refused_in_one_line(
    settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    assert await courtyard(settings, "import", "compounds", str(EXAMPLES / "compounds.csv")) == 2
    assert await courtyard(settings, "invite", "--unit", "1-1-0301") == 2
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 2
    assert all(line.startswith("courtyard: ") and "courtyard db upgrade" in line for line in lines)


async def test_invite_prints_a_working_code_as_the_last_line(
    settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    await upgrade(settings.database_url)
    await import_examples(settings)
    capsys.readouterr()
    argv = ("invite", "--unit", "1－1－0302", "--compound", "maple", "--role", "tenant")
    assert await courtyard(settings, *argv) == 0
    code = capsys.readouterr().out.splitlines()[-1]
    assert re.fullmatch(f"[{ALPHABET}]{{{CODE_LENGTH}}}", code)

    db = Database(settings.database_url)
    try:
        async with db.write() as session:
            person = Person(telegram_id=555, name="New tenant")
            session.add(person)
            await session.flush()
            redemption = await redeem_invite(session, code=code, person_id=person.id, now=utcnow())
            assert redemption.outcome is Redeemed.RESIDENT
            assert redemption.invite is not None
            unit = await session.get(Unit, redemption.invite.unit_id)
            assert unit is not None and unit.label == "1-1-0302"
    finally:
        await db.dispose()


async def test_invite_explains_what_it_cannot_find(
    settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    await upgrade(settings.database_url)
    await import_examples(settings)
    capsys.readouterr()
    assert await courtyard(settings, "invite", "--unit", "1-1-0302") == 1
    assert await courtyard(settings, "invite", "--unit", "9-9-9999", "--compound", "maple") == 1
    assert await courtyard(settings, "invite", "--unit", "1-1-0302", "--compound", "elm") == 1
    assert capsys.readouterr().err.splitlines() == [
        "courtyard: several compounds: name one with --compound",
        "courtyard: no unit '9-9-9999' in maple",
        "courtyard: no compound with code 'elm'",
    ]
