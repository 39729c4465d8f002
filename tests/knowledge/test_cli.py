"""`courtyard ask` and `courtyard kb ...` as operators run them."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path

from storage.db import Database
from storage.migrate import upgrade
from storage.models import Compound, UnansweredQuestion, utcnow

ROOT = Path(__file__).resolve().parents[2]


def courtyard(*args: str, cwd: Path, env: dict[str, str] | None = None, stdin: str = ""):
    environment = {k: v for k, v in os.environ.items() if k not in ("KB_LOCAL_DIR",)}
    environment.update(env or {})
    environment["PYTHONPATH"] = str(ROOT)
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=cwd,
        env=environment,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_ask_json_file_one_line_out_per_line_in_without_side_effects(tmp_path: Path) -> None:
    database = tmp_path / "never.db"
    messages = ["物业电话多少", "", "着火了!!", "how do I pay the property fee", "asdfgh"]
    (tmp_path / "in.txt").write_text("\n".join(messages) + "\n", encoding="utf-8")
    result = courtyard(
        "ask",
        "--json",
        "--file",
        "in.txt",
        cwd=tmp_path,
        env={"DATABASE_URL": f"sqlite+aiosqlite:///{database}"},
    )
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [line["text"] for line in lines] == messages
    assert lines[0]["intent"] == "faq" and lines[0]["topic"] == "office.hours_contact"
    assert lines[0]["outcome"] == "answer" and "物业服务中心" in lines[0]["answer"]
    assert lines[2]["intent"] == "emergency.report" and lines[2]["outcome"] == "flow"
    assert lines[3]["topic"] == "fees.payment_methods"
    assert lines[4]["outcome"] == "handoff" and lines[4]["answer"] is None
    for line in lines:
        assert set(line) == {
            "text",
            "intent",
            "topic",
            "score",
            "outcome",
            "alternatives",
            "answer",
        }
    assert not database.exists()  # no database was needed, and none was created


def test_ask_plain_text_and_standard_input(tmp_path: Path) -> None:
    result = courtyard("ask", "楼上漏水谁负责", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("faq repair.responsibility  answer")
    piped = courtyard("ask", "--json", "--file", "-", cwd=tmp_path, stdin="转人工\nhi\n")
    assert [json.loads(x)["intent"] for x in piped.stdout.splitlines()] == [
        "human.handoff",
        "smalltalk",
    ]


def test_ask_fills_a_compound_values_from_the_database(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'courtyard.db'}"

    async def seed() -> None:
        await upgrade(url)
        db = Database(url)
        async with db.write() as session:
            session.add(
                Compound(code="elm", name="Elm", settings={"kb": {"office_phone": "555-0101"}})
            )
        await db.dispose()

    asyncio.run(seed())
    result = courtyard(
        "ask",
        "--json",
        "--compound",
        "elm",
        "物业电话多少",
        cwd=tmp_path,
        env={"DATABASE_URL": url},
    )
    assert result.returncode == 0, result.stderr
    assert "555-0101" in json.loads(result.stdout)["answer"]


def test_kb_check_lists_every_problem_and_fails(tmp_path: Path) -> None:
    (tmp_path / "kb").mkdir()
    (tmp_path / "kb" / "bad.yaml").write_text(
        "- topic: fees.parkin\n  questions: {zh: [停车费]}\n  answer: {zh: '见{office_phon}'}\n",
        encoding="utf-8",
    )
    result = courtyard("kb", "check", "kb", cwd=tmp_path)
    assert result.returncode == 1
    assert "unknown topic id 'fees.parkin'" in result.stdout
    assert "questions have no en phrasings" in result.stdout
    assert "answer has no en text" in result.stdout

    (tmp_path / "good").mkdir()
    ok = courtyard("kb", "check", "good", cwd=tmp_path)
    assert ok.returncode == 0, ok.stdout
    assert ok.stdout.startswith("ok: 52 shipped entries")


def test_kb_unanswered_groups_similar_questions_most_frequent_first(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'courtyard.db'}"

    async def seed() -> None:
        await upgrade(url)
        db = Database(url)
        async with db.write() as session:
            compound = Compound(code="elm", name="Elm")
            session.add(compound)
            await session.flush()
            for text in (
                "会所wifi密码多少",
                "会所wifi密码是多少",
                "会所的wifi密码多少？",
                "狗能进会所吗",
            ):
                session.add(
                    UnansweredQuestion(
                        compound_id=compound.id,
                        text=text,
                        locale="zh",
                        at=utcnow(),
                        best_topic="facilities.amenities",
                    )
                )
        await db.dispose()

    asyncio.run(seed())
    result = courtyard(
        "kb", "unanswered", "--compound", "elm", cwd=tmp_path, env={"DATABASE_URL": url}
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].strip().startswith("3×  会所wifi密码多少")
    assert any(line.strip().startswith("1×  狗能进会所吗") for line in lines)
    assert lines[-1] == "4 question(s) in 2 group(s)"
