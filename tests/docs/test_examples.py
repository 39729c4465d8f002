"""Every example in docs/ runs, and prints what the docs say it prints.

The docs hold their examples in fenced blocks, and every fenced block is one of these:

- ```sh: a terminal transcript. `$ ` starts a command (`courtyard ...`, or `python -m bot ...`,
  with optional `NAME=value` settings before it, `< FILE` for standard input, `2>/dev/null`, and
  `; echo "exit $?"` to show the exit status); the lines after it are what it prints, standard
  output and standard error as a terminal shows them. A command shown without the exit status
  must exit 0.
- ```json: what the last command of the ```sh block just before it printed (that command shows
  no output lines of its own): one JSON object, pretty-printed in the docs.
- ```jsonl: a `courtyard chat --jsonl` session. Lines starting `> ` are what the script writes,
  the others what courtyard prints on standard output, in order. Each session starts from a
  freshly seeded demo database.
- ```csv, ```text, ```yaml or ```dotenv with file=NAME: a file the following commands use; it
  is written before them, and a later example must name it (or its directory; .env is read by
  every command).

In expected output `...` stands for text left out (ids, codes, dates, long answers): within a
line or a JSON string it matches any text, a line of its own any number of lines, and the JSON
string "..." any value. JSON lines are compared as JSON: the same keys, the same values.

Each doc file runs in a directory of its own holding a copy of docs/examples/, on a database of
its own: empty (no schema yet), or a copy of the seeded demo compound when the file says
`<!-- doc-examples: demo -->`. Commands run in this process through `bot.cli.main`.
"""

from __future__ import annotations

import contextlib
import io
import json
import logging
import re
import shlex
import shutil
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

import bot.commands.console
from bot.adapters import console
from bot.cli import main
from bot.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
# The doc files with examples, and how many fenced blocks each holds: a block added, removed or
# not recognised shows up here.
EXPECTED_BLOCKS = {
    "README.md": 0,
    "cli.md": 13,
    "settings.md": 5,
    "imports.md": 12,
    "ask-json.md": 5,
    "chat-jsonl.md": 4,
    "notices.md": 7,
    "examples/README.md": 1,
}
FILE_LANGUAGES = ("csv", "text", "dotenv", "yaml")
FENCE = re.compile(r"^```(\S*)(.*)$")
EXIT_STATUS = re.compile(r'^(.*);\s*echo "exit \$\?"$')
SETTING = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=")
SETTING_NAMES = [name.upper() for name in Settings.model_fields]


@dataclass
class Block:
    doc: str
    line: int  # the line of the opening fence
    language: str
    options: dict[str, str]
    text: str

    def where(self) -> str:
        return f"docs/{self.doc}:{self.line}"


def fenced_blocks(doc: str) -> list[Block]:
    blocks: list[Block] = []
    lines = (DOCS / doc).read_text(encoding="utf-8").splitlines()
    opened: tuple[int, str, str] | None = None
    body: list[str] = []
    for number, line in enumerate(lines, start=1):
        if opened is None:
            found = FENCE.match(line.strip())
            if found:
                opened, body = (number, found[1], found[2]), []
            continue
        if line.strip() == "```":
            start, language, rest = opened
            options = dict(word.split("=", 1) for word in rest.split() if "=" in word)
            blocks.append(Block(doc, start, language, options, "\n".join(body)))
            opened = None
        else:
            body.append(line)
    assert opened is None, f"docs/{doc}:{opened[0]}: the block is never closed"
    return blocks


# Matching expected output -------------------------------------------------------------------


def text_matches(expected: str, actual: str) -> bool:
    pattern = ".*?".join(re.escape(part) for part in expected.split("..."))
    return re.fullmatch(pattern, actual, re.DOTALL) is not None


def json_matches(expected: Any, actual: Any) -> bool:
    if expected == "...":
        return True
    if isinstance(expected, str):
        return isinstance(actual, str) and text_matches(expected, actual)
    if isinstance(expected, dict):
        return (
            isinstance(actual, dict)
            and list(expected) == list(actual)
            and all(json_matches(expected[k], actual[k]) for k in expected)
        )
    if isinstance(expected, list):
        return (
            isinstance(actual, list)
            and len(expected) == len(actual)
            and all(json_matches(e, a) for e, a in zip(expected, actual, strict=True))
        )
    return type(expected) is type(actual) and expected == actual


def line_matches(expected: str, actual: str) -> bool:
    if expected.startswith("{"):
        try:
            return json_matches(json.loads(expected), json.loads(actual))
        except ValueError:
            return False
    return text_matches(expected, actual)


def lines_match(expected: list[str], actual: list[str]) -> bool:
    if not expected:
        return not actual
    if expected[0] == "...":
        return any(lines_match(expected[1:], actual[skip:]) for skip in range(len(actual) + 1))
    return (
        bool(actual)
        and line_matches(expected[0], actual[0])
        and lines_match(expected[1:], actual[1:])
    )


def assert_output(block: Block, command: str, expected: list[str], actual: str) -> None:
    got = [line.rstrip() for line in actual.splitlines()]
    want = [line.rstrip() for line in expected]
    assert lines_match(want, got), (
        f"{block.where()}: `{command}` printed\n"
        + "\n".join(got)
        + "\n\nthe docs say\n"
        + "\n".join(want)
    )


# Running commands in this process -----------------------------------------------------------


@dataclass
class Run:
    status: int
    output: str  # standard output and standard error, interleaved as a terminal shows them
    stdout: str


@contextlib.contextmanager
def saved_logging() -> Iterator[None]:
    """`main` points the root logger at this run's stderr; put pytest's handlers back after."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    try:
        yield
    finally:
        root.handlers[:], root.level = handlers, level


class Terminal:
    """Runs `courtyard` command lines in one directory, on one database."""

    def __init__(self, workdir: Path, database: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        self.workdir, self.database, self.monkeypatch = workdir, database, monkeypatch
        # Look sys.stdout up when the console starts, so that its output is captured here.
        monkeypatch.setattr(
            bot.commands.console, "stdout_writer", lambda: console.stdout_writer(sys.stdout)
        )

    def run(self, argv: list[str], *, env: dict[str, str], stdin: str = "") -> Run:
        combined, stdout = io.StringIO(), io.StringIO()

        class Both(io.StringIO):
            def write(self, text: str) -> int:
                combined.write(text)
                return stdout.write(text)

        with self.monkeypatch.context() as patch, saved_logging():
            patch.chdir(self.workdir)
            for name in SETTING_NAMES:
                patch.delenv(name, raising=False)
            patch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{self.database}")
            # Nothing here may reach Telegram: a token an example lets through fails fast.
            patch.setenv("TELEGRAM_API_BASE", "http://127.0.0.1:9")
            for name, value in env.items():
                patch.setenv(name, value)
            patch.setattr(sys, "stdin", io.StringIO(stdin))
            patch.setattr(sys, "stdout", Both())
            patch.setattr(sys, "stderr", combined)
            try:
                status = main(argv)
            except SystemExit as exit_:  # argparse: --help, usage errors
                status = exit_.code if isinstance(exit_.code, int) else 1
        return Run(status, combined.getvalue(), stdout.getvalue())

    def shell(self, block: Block, command: str) -> Run:
        """One `$ ` line of a transcript."""
        show_status = EXIT_STATUS.match(command)
        words = shlex.split(show_status[1] if show_status else command)
        env: dict[str, str] = {}
        while words and SETTING.match(words[0]):
            name, value = words.pop(0).split("=", 1)
            env[name] = value
        if words[:3] == ["python", "-m", "bot"]:
            words[:3] = ["courtyard"]
        assert words and words[0] == "courtyard", f"{block.where()}: not a courtyard command"
        stdin, quiet, argv = "", False, []
        rest = iter(words[1:])
        for word in rest:
            if word == "<":
                stdin = (self.workdir / next(rest)).read_text(encoding="utf-8")
            elif word == "2>/dev/null":
                quiet = True
            else:
                argv.append(word)
        run = self.run(argv, env=env, stdin=stdin)
        if quiet:
            run.output = run.stdout
        if show_status:
            run.output += f"exit {run.status}\n"
        else:
            assert run.status == 0, (
                f"{block.where()}: `{command}` exited {run.status}\n{run.output}"
            )
        return run


# The examples ---------------------------------------------------------------------------------


def transcript(block: Block) -> list[tuple[str, list[str]]]:
    """The commands of a ```sh block, each with the lines it prints."""
    steps: list[tuple[str, list[str]]] = []
    for line in block.text.splitlines():
        if line.startswith("$ "):
            steps.append((line[2:], []))
        else:
            assert steps, f"{block.where()}: a transcript starts with a `$ ` command"
            steps[-1][1].append(line)
    assert steps, f"{block.where()}: an empty transcript"
    return steps


def run_doc(doc: str, terminal: Terminal, seeded: Path) -> int:
    """Runs every block of one doc file in order; returns how many blocks ran."""
    blocks = fenced_blocks(doc)
    assert len(blocks) == EXPECTED_BLOCKS[doc], f"docs/{doc}: {len(blocks)} fenced blocks"
    texts = [b.text for b in blocks]
    # The last command run, and whether its transcript showed output lines.
    last: tuple[Block, str, Run, bool] | None = None
    ran = 0
    for index, block in enumerate(blocks):
        if block.language == "sh":
            steps = transcript(block)
            shown_next = index + 1 < len(blocks) and blocks[index + 1].language == "json"
            for step, (command, expected) in enumerate(steps, start=1):
                run = terminal.shell(block, command)
                last = (block, command, run, bool(expected))
                if expected or not (shown_next and step == len(steps)):
                    assert_output(block, command, expected, run.output)
        elif block.language == "json":
            assert last is not None and blocks[index - 1].language == "sh", (
                f"{block.where()}: a json block shows the output of the sh block just before it"
            )
            source, command, run, showed = last
            assert not showed, f"{source.where()}: `{command}` shows its output twice"
            assert json_matches(json.loads(block.text), json.loads(run.output)), (
                f"{block.where()}: `{command}` printed\n{run.output}"
            )
        elif block.language == "jsonl":
            shutil.copyfile(seeded, terminal.database)
            chat_session(block, terminal)
        elif block.language in FILE_LANGUAGES:
            name = block.options.get("file")
            assert name, f"{block.where()}: a {block.language} block needs file=NAME"
            later = "\n".join(texts[index + 1 :])
            # .env is read by every later command; a file in a directory may be named by it.
            used = name == ".env" or name.split("/")[0] in later
            assert used, f"{block.where()}: no later example uses {name}"
            path = terminal.workdir / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(block.text + "\n", encoding="utf-8")
        else:
            pytest.fail(f"{block.where()}: a fenced block that is no example: {block.language!r}")
        ran += 1
    return ran


def chat_session(block: Block, terminal: Terminal) -> None:
    inputs = [line[2:] for line in block.text.splitlines() if line.startswith("> ")]
    expected = [line for line in block.text.splitlines() if line and not line.startswith("> ")]
    assert inputs, f"{block.where()}: a session needs input lines (`> `)"
    run = terminal.run(["chat", "--jsonl"], env={}, stdin="\n".join(inputs) + "\n")
    assert run.status == 0, run.output
    assert_output(block, "courtyard chat --jsonl", expected, run.stdout)


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo compound, seeded once for the module."""
    folder = tmp_path_factory.mktemp("demo")
    with pytest.MonkeyPatch.context() as patch:
        run = Terminal(folder, folder / "demo.db", patch).run(["demo", "--seed-only"], env={})
    assert run.status == 0, run.output
    return folder / "demo.db"


@pytest.mark.parametrize("doc", list(EXPECTED_BLOCKS))
def test_every_example_runs_as_documented(
    doc: str, seeded: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    workdir = tmp_path / "checkout"
    shutil.copytree(DOCS / "examples", workdir / "docs" / "examples")
    database = tmp_path / "courtyard.db"
    if "<!-- doc-examples: demo -->" in (DOCS / doc).read_text(encoding="utf-8"):
        shutil.copyfile(seeded, database)
    assert run_doc(doc, Terminal(workdir, database, monkeypatch), seeded) == EXPECTED_BLOCKS[doc]


def test_every_doc_file_is_checked() -> None:
    found = {str(path.relative_to(DOCS)) for path in DOCS.rglob("*.md")}
    found = {name for name in found if not name.startswith("notes/")}
    assert found == set(EXPECTED_BLOCKS)


def test_the_matcher_is_strict_where_the_docs_are_exact() -> None:
    assert lines_match(["a", "...", "d"], ["a", "b", "c", "d"])
    assert not lines_match(["a", "d"], ["a", "b", "d"])
    assert line_matches('{"n": 1, "s": "E-...-001"}', '{"n": 1, "s": "E-20261201-001"}')
    assert not line_matches('{"n": 1}', '{"n": 1, "extra": 2}')
    assert not line_matches('{"n": 1}', '{"n": 1.0}')
    assert not line_matches("exit 0", "exit 1")
