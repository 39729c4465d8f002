"""The per-compound values an office sets: the knowledge base's placeholders (fee rates,
renovation hours, payment channels..., knowledge/placeholders.yaml) and the office hours that
deadlines count (`working_hours`). One list of known keys and one check, shared by
`courtyard import settings`, the managers' `/setting` command and `courtyard kb check
--compound`.

A placeholder's value is text for both languages, or per language: `fee_rate.en` sets only the
English text (the other language keeps its own, or falls back to this one).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from knowledge.loader import LOCALES, load_placeholders
from storage import fee_settings, quiet_hours, working_hours
from storage.models import Compound

VALUE_MAX = 500


class SettingRefused(ValueError):
    """The key or value cannot be set; the message says why, as the operator reads it."""


@dataclass(frozen=True, slots=True)
class Setting:
    """A checked key: `name` is the setting, `locale` the one language it is for (or None)."""

    name: str
    locale: str | None
    value: Any


def placeholder_names() -> list[str]:
    return sorted(load_placeholders().defaults)


def _working_hours(text: str) -> Any:
    try:
        return working_hours.to_setting(working_hours.parse(text))
    except working_hours.BadWorkingHours as bad:
        raise SettingRefused(f"{working_hours.SETTING}: {bad}") from None


def _quiet_hours(text: str) -> Any:
    try:
        return quiet_hours.parse(text).text
    except quiet_hours.BadQuietHours as bad:
        raise SettingRefused(f"{quiet_hours.SETTING}: {bad}") from None


def _fee_setting(name: str) -> Callable[[str], Any]:
    def parse(text: str) -> Any:
        try:
            return fee_settings.parse(name, text)
        except fee_settings.BadFeeSetting as bad:
            raise SettingRefused(str(bad)) from None

    return parse


# Settings that are the compound's own (not knowledge-base text): the same in every language,
# stored under their name, each read by its parser (which raises SettingRefused).
OWN_SETTINGS: dict[str, Callable[[str], Any]] = {
    quiet_hours.SETTING: _quiet_hours,
    working_hours.SETTING: _working_hours,
    # Currency, the late-fee rule (it also fills the `late_fee` placeholder), tenants' access
    # to bills, reminder days: storage/fee_settings.py.
    **{name: _fee_setting(name) for name in fee_settings.KEYS},
}


def known_keys() -> list[str]:
    """Every key a compound may set, as the refusal of an unknown one lists them."""
    return sorted({*placeholder_names(), *OWN_SETTINGS})


def check(key: str, value: str, locale: str | None = None) -> Setting:
    """Checks a key (`fee_rate`, `fee_rate.en`, or with `locale`) and its value."""
    name, dot, suffix = key.strip().partition(".")
    if dot:
        if locale and locale != suffix:
            raise SettingRefused(f"key {key!r} and language {locale!r} disagree")
        locale = suffix
    locale = locale or None
    if name not in known_keys():
        raise SettingRefused(f"unknown key {name!r}; known keys: {', '.join(known_keys())}")
    if locale is not None and locale not in LOCALES:
        raise SettingRefused(f"unknown language {locale!r}: use {' or '.join(LOCALES)}")
    text = " ".join(value.split()) if name in OWN_SETTINGS else value.strip()
    if not text:
        raise SettingRefused(f"{name} needs a value")
    if len(text) > VALUE_MAX:
        raise SettingRefused(f"{name}: at most {VALUE_MAX} characters")
    if name in OWN_SETTINGS:
        if locale is not None:
            raise SettingRefused(f"{name} is the same in every language")
        return Setting(name, None, OWN_SETTINGS[name](text))
    return Setting(name, locale, text)


def apply(compound: Compound, setting: Setting) -> bool:
    """Stores the value on the compound; True when anything changed."""
    if setting.name in fee_settings.KEYS:
        return fee_settings.store(compound, setting.name, setting.value)
    settings = dict(compound.settings or {})
    if setting.name in OWN_SETTINGS:
        settings[setting.name] = setting.value
    else:
        kb = dict(settings.get("kb") or {})
        old = kb.get(setting.name)
        if setting.locale is None:
            kb[setting.name] = setting.value
        else:
            # The other language keeps the text it had (a plain value applied to both).
            both = dict(old) if isinstance(old, dict) else dict.fromkeys(LOCALES, old)
            both = {k: v for k, v in both.items() if isinstance(v, str) and v}
            kb[setting.name] = {**both, setting.locale: setting.value}
        settings["kb"] = kb
    if settings == (compound.settings or {}):
        return False
    # A new dict, not an edit in place: the ORM notices a JSON change only on assignment.
    compound.settings = settings
    return True


def missing(compound: Compound) -> list[tuple[str, str]]:
    """Placeholders the compound has no value for, with the default wording residents read
    instead (in the compound's language)."""
    placeholders = load_placeholders()
    kb = (compound.settings or {}).get("kb") or {}
    lacking = []
    for name in placeholder_names():
        given = kb.get(name)
        has = (isinstance(given, str) and given.strip()) or (
            isinstance(given, dict)
            and any(isinstance(v, str) and v.strip() for v in given.values())
        )
        if not has:
            lacking.append((name, placeholders.value(name, compound.locale) or ""))
    return lacking
