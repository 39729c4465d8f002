"""The README's own examples are true on the demo: its commands run, its sample questions are
answered outright, and the people it names to play are who it says."""

from __future__ import annotations

import re
import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from knowledge.router import Routers
from storage import demo
from storage.db import Database
from storage.models import Person, Residency, ResidencyRole, StaffMember, StaffRole
from tests.docs.test_examples import ROOT, Terminal

README = (ROOT / "README.md").read_text(encoding="utf-8")
# A command line as the README writes it, in a code block or in `backticks`.
COMMAND = re.compile(r"(?:\.venv/bin/)?courtyard ((?:invite|import|db) [^`\n]*)")
TRY_IT = README[README.index("## Try it") : README.index("## Run it on Telegram")]


PLACEHOLDER = re.compile(r"^\[|^[A-Z]{3,}")


def readme_commands() -> list[list[str]]:
    """The concrete command lines (the command table's `import KIND FILE.csv` is syntax)."""
    found = [match.group(1).split() for match in COMMAND.finditer(README)]
    return [
        argv
        for argv in found
        if not any(PLACEHOLDER.match(word) for word in argv)
        and not (argv[0] == "import" and len(argv) < 3)
    ]


def test_the_readme_names_the_commands_this_test_runs() -> None:
    kinds = {argv[0] for argv in readme_commands()}
    assert kinds == {"invite", "import", "db"}


def test_the_set_up_commands_run_in_order_on_a_fresh_database(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`db upgrade`, then the imports with the example files in docs/examples/."""
    for name in ("compounds", "units", "residents", "staff"):
        shutil.copy(ROOT / "docs" / "examples" / f"{name}.csv", tmp_path / f"{name}.csv")
    terminal = Terminal(tmp_path, tmp_path / "fresh.db", monkeypatch)
    for argv in dict.fromkeys(tuple(a) for a in readme_commands()):
        if argv[0] in ("db", "import"):
            run = terminal.run(list(argv), env={})
            assert run.status == 0, f"courtyard {' '.join(argv)}\n{run.output}"


def test_the_invite_example_works_on_the_demo(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    terminal = Terminal(tmp_path, tmp_path / "demo.db", monkeypatch)
    assert terminal.run(["demo", "--seed-only"], env={}).status == 0
    (invite,) = [argv for argv in readme_commands() if argv[0] == "invite"]
    run = terminal.run(invite, env={})
    assert run.status == 0, run.output
    assert re.fullmatch(r"[A-Z0-9]{6,}", run.stdout.strip().splitlines()[-1])


def test_the_sample_questions_are_answered_outright() -> None:
    questions = re.findall(r"`([^`/]+)`", TRY_IT.split("Type a question", 1)[1].split(")")[0])
    assert questions, "the README names sample questions"
    router = Routers(None).get(None)
    for question in questions:
        decision = router.route(question, compound=demo.KB_VALUES)
        assert decision.outcome == "answer", (question, decision.outcome, decision.topic)


async def test_the_personas_are_who_the_readme_says(db: Database) -> None:
    async with db.write() as session:
        await demo.seed_demo(session, now=datetime.now(UTC))
    async with db.read() as session:
        by_id = {p.telegram_id: p for p in await session.scalars(select(Person))}
        roles = {r.person_id: r.role for r in await session.scalars(select(Residency))}
        staff = {s.person_id: s.role for s in await session.scalars(select(StaffMember))}
    wang, david = by_id[1001], by_id[1002]
    assert "王芳" in TRY_IT and wang.name == "王芳" and roles[wang.id] is ResidencyRole.OWNER
    assert "tenant" in TRY_IT and roles[david.id] is ResidencyRole.TENANT
    assert staff[by_id[2001].id] is StaffRole.STAFF and staff[by_id[3001].id] is StaffRole.MANAGER
    assert by_id.get(5001) is None or by_id[5001].id not in roles  # no home linked yet
