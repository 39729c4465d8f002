"""No flow, rule, storage or engine module depends on a Telegram library, and the shared
Telegram layer depends on neither: each library stays in its own adapter package."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LIBRARIES = frozenset({"aiogram", "telegram"})
NEUTRAL = ("handlers", "knowledge", "storage", "bot/engine", "bot/adapters/botapi")


def _imported(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("folder", NEUTRAL)
def test_no_telegram_library_is_imported(folder: str) -> None:
    modules = sorted((ROOT / folder).rglob("*.py"))
    assert modules, f"nothing found under {folder}"
    offenders = {
        str(path.relative_to(ROOT)): sorted(_imported(path) & LIBRARIES)
        for path in modules
        if _imported(path) & LIBRARIES
    }
    assert offenders == {}


@pytest.mark.parametrize(
    ("adapter", "other"),
    [("bot.adapters.telegram_ptb", "aiogram"), ("bot.adapters.telegram", "telegram")],
)
def test_an_adapter_loads_without_the_other_library(adapter: str, other: str) -> None:
    """What makes the lean choice lean: serving through one library never loads the other."""
    code = f"import sys, {adapter}, bot.commands.telegram; print({other!r} in sys.modules)"
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "False"
