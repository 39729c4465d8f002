"""User-facing text: every string the bot says lives in `bot/locales/<lang>/<flow>.yaml`.

Ids are grouped by flow (`onboarding-welcome`, `error-apology`), one file per flow and
language; an id may appear in only one file. A value is either a template
with `{name}` fields, or a mapping that selects a form by a keyword argument: `count` picks a
plural form (`one`, `other`), any other selector picks by its value with `other` as fallback.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any, Protocol

import yaml

LOCALES = ("zh", "en")
LOCALE_DIR = Path(__file__).parent / "locales"


def normalize_locale(code: str | None, default: str = "zh") -> str:
    """Maps a messenger language code ("zh-hans", "en-GB") to a supported locale."""
    if not code:
        return default
    base = code.lower().replace("_", "-").split("-")[0]
    return base if base in LOCALES else default


@cache
def load_catalog(locale: str) -> dict[str, Any]:
    catalog: dict[str, Any] = {}
    for path in sorted((LOCALE_DIR / locale).glob("*.yaml")):
        with path.open(encoding="utf-8") as fh:
            data = yaml.safe_load(fh) or {}
        if not isinstance(data, dict):
            raise ValueError(f"{path} must be a mapping of ids to texts")
        for key in data.keys() & catalog.keys():
            raise ValueError(f"text id {key!r} appears twice in {locale} ({path.name})")
        catalog.update(data)
    return catalog


class MissingText(KeyError):
    pass


def translate(locale: str, key: str, /, **values: Any) -> str:
    """The text with id `key` in `locale`, its fields filled from `values`."""
    catalog = load_catalog(locale if locale in LOCALES else LOCALES[0])
    try:
        entry = catalog[key]
    except KeyError:
        raise MissingText(f"no text {key!r} in {locale}") from None
    if isinstance(entry, dict):
        entry = _select(entry, values)
    return str(entry).format(**values) if values else str(entry)


def _select(forms: dict[str, str], values: dict[str, Any]) -> str:
    selector = forms.get("_by", "count")
    chosen = values.get(selector)
    if selector == "count" and isinstance(chosen, int):
        key = "one" if chosen == 1 else "other"
        return forms.get(key, forms["other"])
    return forms.get(str(chosen), forms["other"])


class Translator:
    """Bound to one locale: `t("fee-balance", amount=...)`."""

    __slots__ = ("locale",)

    def __init__(self, locale: str) -> None:
        self.locale = locale

    def __call__(self, key: str, /, **values: Any) -> str:
        return translate(self.locale, key, **values)


class _Speaks(Protocol):
    @property
    def locale(self) -> str | None: ...


def locale_for(person: _Speaks | None, compound: _Speaks | None, default: str) -> str:
    """The language to write to someone in: the one they chose or Telegram reported, else
    their compound's, else the deployment's default. Every message to a person other than
    the one talking to us picks its language here."""
    return (person.locale if person else None) or (compound.locale if compound else None) or default
