"""Which commands a person is shown, and how each is described: one list for the messenger's
"/" menu (bot/adapters/telegram/menu.py) and for `/help` (handlers/help.py).

A command is listed when the registry has it, it is not hidden, it is meant for one of the
person's audiences (`Command.audience`), and the locale has a description `command-<name>`
(bot/locales/*/telegram.yaml); it is listed in that file's order, residents' commands first.
"""

from __future__ import annotations

import re

from bot.engine.registry import Audience, Command, Flows
from bot.i18n import MissingText, load_catalog, translate

# Commands that act on the group they are typed in (binding it to a compound).
GROUP_ONLY = frozenset({"staffchat", "residentgroup"})
# In a group /start only points to a private chat; the group's menu stays short without it.
PRIVATE_ONLY = frozenset({"start"})
COMMAND_NAME = re.compile(r"[a-z0-9_]{1,32}")  # what Telegram accepts in a menu

EVERYONE = (Audience.EVERYONE,)
STAFF = (Audience.EVERYONE, Audience.STAFF)
MANAGERS = (Audience.EVERYONE, Audience.STAFF, Audience.MANAGERS)


def listed(command: Command, *, group: bool | None, audiences: tuple[Audience, ...]) -> bool:
    """`group`: True for a group's menu, False for a private chat's, None for either (help
    lists what a person may use anywhere)."""
    if command.hidden or not COMMAND_NAME.fullmatch(command.name):
        return False
    if command.audience not in audiences:
        return False
    if group is None:
        return True
    if group:
        return not command.private_only and command.name not in PRIVATE_ONLY
    return command.name not in GROUP_ONLY


def description(name: str, locale: str) -> str | None:
    """The command's `command-<name>` text in `locale`; None when there is none."""
    try:
        text = translate(locale, f"command-{name}").strip()
    except MissingText:
        return None
    return text or None


def _order(locale: str) -> dict[str, int]:
    ids = [key for key in load_catalog(locale) if key.startswith("command-")]
    return {key.removeprefix("command-"): index for index, key in enumerate(ids)}


def described_commands(
    flows: Flows,
    locale: str,
    *,
    group: bool | None,
    audiences: tuple[Audience, ...] = EVERYONE,
) -> list[tuple[str, str]]:
    """(name, description) of each listed command, in the locale file's order."""
    order = _order(locale)
    found: list[tuple[str, str]] = []
    for command in sorted(flows.commands.values(), key=lambda c: order.get(c.name, len(order))):
        if not listed(command, group=group, audiences=audiences):
            continue
        text = description(command.name, locale)
        if text is not None:
            found.append((command.name, text))
    return found
