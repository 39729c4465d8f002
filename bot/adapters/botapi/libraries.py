"""Which Telegram library serves the bot (TELEGRAM_LIBRARY): aiogram 3 or python-telegram-bot
22. Each is an adapter package that builds a `Served` (bot/adapters/botapi/serving.py); the
one not installed by default comes with its extra, and choosing it without the extra is one
line naming the extra."""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from types import ModuleType
from typing import Literal

from bot.adapters.botapi.serving import Served
from bot.services import Services

LibraryName = Literal["aiogram", "ptb"]


@dataclass(frozen=True, slots=True)
class Library:
    setting: str  # TELEGRAM_LIBRARY's value
    adapter: str  # the package that serves through it
    package: str  # what the library's import is called
    distribution: str  # what pip calls it
    extra: str  # courtyard[<extra>] installs it


LIBRARIES: dict[str, Library] = {
    "aiogram": Library("aiogram", "bot.adapters.telegram", "aiogram", "aiogram", "aiogram"),
    "ptb": Library("ptb", "bot.adapters.telegram_ptb", "telegram", "python-telegram-bot", "ptb"),
}


class LibraryMissing(Exception):
    """The chosen library is not installed; the message says how to install it."""


def adapter(name: str) -> ModuleType:
    """The adapter package for TELEGRAM_LIBRARY=`name`; raises LibraryMissing without it."""
    library = LIBRARIES[name]
    try:
        return importlib.import_module(library.adapter)
    except ImportError as exc:
        if (exc.name or "").split(".")[0] != library.package:
            raise
        raise LibraryMissing(
            f"TELEGRAM_LIBRARY={name} needs {library.distribution}: "
            f"pip install 'courtyard[{library.extra}]'"
        ) from exc


def build(services: Services) -> Served:
    """The bot of TELEGRAM_LIBRARY, assembled over `services` (not yet connected)."""
    served: Served = adapter(services.settings.telegram_library).build(services)
    return served
