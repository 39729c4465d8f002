"""A database the bot cannot use stops every command at start with one line on stderr that
says what is wrong and how to fix it, never the password, never a traceback."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from bot.cli import main
from tests.conftest import PG_URL

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "s3cret-pw"
TOKEN = "123456789:AAFakeTokenForCourtyardTests_0123456"
# Every command that opens the database.
COMMANDS = [
    ["run"],
    ["chat", "--jsonl"],
    ["demo", "--seed-only"],
    ["db", "upgrade"],
    ["import", "units", "units.csv"],
    ["invite", "--unit", "1-1-0301"],
]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def cli_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A directory without a .env, a token shaped like one, and logging left as it is."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", TOKEN)
    monkeypatch.delenv("REDIS_URL", raising=False)
    # main() points the root logger at stderr; pytest's capture keeps its own handlers.
    monkeypatch.setattr("bot.logs.configure_logging", lambda *args, **kwargs: None)
    return tmp_path


def _refused(
    argv: list[str], url: str, monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture
) -> str:
    """Runs `courtyard ARGV` on DATABASE_URL=url; returns its one line on stderr."""
    monkeypatch.setenv("DATABASE_URL", url)
    status = main(argv)
    out, err = capfd.readouterr()
    assert status != 0, (out, err)
    assert "Traceback" not in out + err
    assert PASSWORD not in out + err
    lines = err.strip().splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith("courtyard: ")
    return lines[0]


@pytest.mark.parametrize("argv", COMMANDS, ids=lambda a: a[0])
def test_nothing_listening_on_the_port(
    argv: list[str], cli_env: Path, monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture
) -> None:
    port = _free_port()
    url = f"postgresql+asyncpg://courtyard:{PASSWORD}@127.0.0.1:{port}/courtyard"
    line = _refused(argv, url, monkeypatch, capfd)
    assert f"127.0.0.1:{port}" in line and "port" in line and "***" in line


@pytest.mark.parametrize("argv", COMMANDS, ids=lambda a: a[0])
def test_a_host_that_does_not_exist(
    argv: list[str], cli_env: Path, monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture
) -> None:
    url = f"postgresql+asyncpg://courtyard:{PASSWORD}@db.courtyard.invalid:5432/courtyard"
    line = _refused(argv, url, monkeypatch, capfd)
    assert "db.courtyard.invalid" in line and "host" in line


@pytest.mark.postgres
@pytest.mark.parametrize("argv", COMMANDS, ids=lambda a: a[0])
def test_a_database_that_does_not_exist(
    argv: list[str], cli_env: Path, monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture
) -> None:
    server = PG_URL.rsplit("/", 1)[0]
    url = f"{server}/courtyard_missing_db"
    line = _refused(argv, url, monkeypatch, capfd)
    if "does not exist" not in line:
        pytest.skip(f"no PostgreSQL to ask: {line}")
    assert '"courtyard_missing_db" does not exist' in line and "create" in line


@pytest.mark.parametrize("argv", COMMANDS, ids=lambda a: a[0])
@pytest.mark.parametrize(
    "url", [f"postgres:/x::{PASSWORD}@", "mysql+nosuchdriver://u@h/db", "postgresql://u@h/db"]
)
def test_a_database_url_that_cannot_be_used(
    argv: list[str],
    url: str,
    cli_env: Path,
    monkeypatch: pytest.MonkeyPatch,
    capfd: pytest.CaptureFixture,
) -> None:
    line = _refused(argv, url, monkeypatch, capfd)
    assert "DATABASE_URL" in line


@pytest.mark.parametrize("argv", COMMANDS, ids=lambda a: a[0])
def test_a_sqlite_folder_that_cannot_be_created(
    argv: list[str], cli_env: Path, monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture
) -> None:
    blocker = cli_env / "data"
    blocker.write_text("a file where the folder should be")
    line = _refused(argv, f"sqlite+aiosqlite:///{blocker}/courtyard.db", monkeypatch, capfd)
    assert str(blocker) in line


def _without_root_privileges(command: list[str]) -> list[str]:
    """Root writes to read-only files anyway; drop the capabilities that let it."""
    if os.geteuid() != 0:
        return command
    capsh = shutil.which("capsh")
    if capsh is None:
        pytest.skip("running as root without capsh: cannot make a file read-only for us")
    joined = " ".join(f"'{part}'" for part in command)
    return [capsh, "--drop=cap_dac_override,cap_dac_read_search,cap_fowner", "--", "-c", joined]


def _run_cli(tmp_path: Path, url: str, *argv: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATABASE_URL": url, "TELEGRAM_BOT_TOKEN": TOKEN}
    env.pop("REDIS_URL", None)
    command = _without_root_privileges([sys.executable, "-m", "bot", *argv])
    return subprocess.run(
        command,
        cwd=tmp_path,
        env={**env, "PYTHONPATH": str(ROOT)},
        input="",
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def _one_line_refusal(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode != 0, result
    assert "Traceback" not in result.stdout + result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, lines
    return lines[0]


def test_a_read_only_sqlite_file_is_refused_at_start(tmp_path: Path) -> None:
    database = tmp_path / "courtyard.db"
    url = f"sqlite+aiosqlite:///{database}"
    assert _run_cli(tmp_path, url, "demo", "--seed-only").returncode == 0
    database.chmod(0o444)
    for argv in (["chat", "--jsonl"], ["db", "upgrade"], ["demo", "--seed-only"]):
        line = _one_line_refusal(_run_cli(tmp_path, url, *argv))
        assert str(database) in line and "read-only" in line
    # A report only reads, so a read-only copy will do for it.
    report = _run_cli(tmp_path, url, "kb", "unanswered")
    assert report.returncode == 0, report.stderr


def test_a_sqlite_folder_that_cannot_be_written_is_refused_at_start(tmp_path: Path) -> None:
    folder = tmp_path / "data"
    folder.mkdir()
    database = folder / "courtyard.db"
    url = f"sqlite+aiosqlite:///{database}"
    assert _run_cli(tmp_path, url, "demo", "--seed-only").returncode == 0
    folder.chmod(0o555)
    try:
        line = _one_line_refusal(_run_cli(tmp_path, url, "chat", "--jsonl"))
        assert str(folder) in line and "written" in line
    finally:
        folder.chmod(0o755)


def test_the_real_process_prints_one_line(tmp_path: Path) -> None:
    """The same through a real process, whose logging does go to stderr."""
    url = f"postgresql+asyncpg://courtyard:{PASSWORD}@127.0.0.1:{_free_port()}/courtyard"
    result = _run_cli(tmp_path, url, "db", "upgrade")
    line = _one_line_refusal(result)
    assert PASSWORD not in result.stderr and line.startswith("courtyard: ")
