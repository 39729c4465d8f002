"""Every text id exists in Chinese and in English, with the same fields to fill."""

from __future__ import annotations

import ast
import re
import string
from pathlib import Path

from bot.i18n import LOCALE_DIR, LOCALES, load_catalog

ROOT = Path(__file__).resolve().parents[1]


def _fields(value: object) -> set[str]:
    texts = value.values() if isinstance(value, dict) else [value]
    return {
        name
        for text in texts
        if isinstance(text, str)
        for _, name, _, _ in string.Formatter().parse(text)
        if name
    }


def test_every_id_exists_in_every_language() -> None:
    catalogs = {locale: load_catalog(locale) for locale in LOCALES}
    all_ids = set().union(*catalogs.values())
    for locale, catalog in catalogs.items():
        missing = sorted(all_ids - catalog.keys())
        assert not missing, f"{locale} lacks {missing}"


def test_both_languages_fill_the_same_fields() -> None:
    zh, en = load_catalog("zh"), load_catalog("en")
    for key in zh:
        assert _fields(zh[key]) == _fields(en[key]), key


def test_same_files_in_each_language() -> None:
    names = {locale: {p.name for p in (LOCALE_DIR / locale).glob("*.yaml")} for locale in LOCALES}
    assert names["zh"] == names["en"]


def test_ids_used_in_code_exist() -> None:
    """Literal ids passed to say()/t()/translate() anywhere in the code are in the catalogue."""
    catalog = load_catalog("zh")
    used: set[tuple[str, str]] = set()
    for path in [*ROOT.glob("bot/**/*.py"), *ROOT.glob("handlers/**/*.py")]:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            name = getattr(node.func, "attr", getattr(node.func, "id", ""))
            if name not in {"say", "t", "translate"}:
                continue
            for arg in node.args[:2]:
                value = arg.value if isinstance(arg, ast.Constant) else None
                if isinstance(value, str) and re.fullmatch(r"[a-z]+(-[a-z0-9]+)+", value):
                    used.add((str(path.relative_to(ROOT)), value))
    missing = sorted((where, key) for where, key in used if key not in catalog)
    assert not missing, missing
