"""The emergency broadcast's templates: one bilingual text per kind of emergency a manager
announces (bot/locales/*/rollcall.yaml `rollcall-template-<kind>`), editable before sending.

A drill is a template like the others; what it changes is that every message, the board and
the export say it is a drill.
"""

from __future__ import annotations

from bot.i18n import LOCALES, translate

FIRE, GAS, FLOOD, POWER, LIFT, DRILL = "fire", "gas", "flood", "power", "lift", "drill"
TEMPLATES = (FIRE, GAS, FLOOD, POWER, LIFT, DRILL)
# The manager wrote the text themselves.
CUSTOM = "custom"
# What a broadcast text may hold: a chat message with its frame must stay under 4096.
TEXT_MAX = 1500


def template_texts(template: str) -> dict[str, str]:
    """The template's text in every language the bot speaks."""
    return {locale: translate(locale, f"rollcall-template-{template}") for locale in LOCALES}


def title(locale: str, template: str) -> str:
    """ "🔥 Fire", "📝 Own text": for buttons and the staff chat's board."""
    return translate(locale, f"rollcall-template-{template}-title")


def text_for(texts: dict[str, str], locale: str) -> str:
    """What a reader of `locale` reads: their language's text, else the first there is (a
    manager's own text is the same in every language)."""
    return texts.get(locale) or next(iter(texts.values()), "")


def drill_mark(locale: str, drill: bool) -> str:
    """ "【演练】" / "[DRILL] " at the head of every message of a drill; nothing otherwise."""
    return translate(locale, "rollcall-drill-mark") if drill else ""
