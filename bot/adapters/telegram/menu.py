"""The command menu Telegram shows behind the "/" button, in Chinese and English.

Only commands the engine's registry has are listed, each described by the locale text
`command-<name>` (bot/locales/*/telegram.yaml) and in that file's order. A command with no
description is left out of the menu; it still works when typed. Private chats and groups get
separate lists. Residents see only commands meant for everyone; the staff chat and the private
chats of staff and managers get their own, longer menus (`register_team_commands`).
"""

from __future__ import annotations

import logging
import re

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError
from aiogram.methods import DeleteMyCommands, SetMyCommands
from aiogram.types import (
    BotCommand,
    BotCommandScopeAllGroupChats,
    BotCommandScopeAllPrivateChats,
    BotCommandScopeChat,
)

from bot.adapters.telegram.limits import fit, redact
from bot.engine.registry import Audience, Command, Flows
from bot.i18n import LOCALES, MissingText, load_catalog, translate

log = logging.getLogger(__name__)

# Commands that act on the group they are typed in (binding it to a compound).
GROUP_ONLY = frozenset({"staffchat", "residentgroup"})
# In a group /start only points to a private chat; the group's menu stays short without it.
PRIVATE_ONLY = frozenset({"start"})
COMMAND_NAME = re.compile(r"[a-z0-9_]{1,32}")  # what Telegram accepts in a menu
MAX_DESCRIPTION = 256


EVERYONE = (Audience.EVERYONE,)
STAFF = (Audience.EVERYONE, Audience.STAFF)
MANAGERS = (Audience.EVERYONE, Audience.STAFF, Audience.MANAGERS)


def _listed(command: Command, *, group: bool, audiences: tuple[Audience, ...] = EVERYONE) -> bool:
    if command.hidden or not COMMAND_NAME.fullmatch(command.name):
        return False
    if command.audience not in audiences:
        return False
    if group:
        return not command.private_only and command.name not in PRIVATE_ONLY
    return command.name not in GROUP_ONLY


def _description(name: str, locale: str) -> str | None:
    try:
        text = translate(locale, f"command-{name}").strip()
    except MissingText:
        return None
    return fit(text, MAX_DESCRIPTION) if text else None


def _menu_order(locale: str) -> dict[str, int]:
    """Where each description stands in the locale file: residents' commands come first."""
    ids = [key for key in load_catalog(locale) if key.startswith("command-")]
    return {key.removeprefix("command-"): index for index, key in enumerate(ids)}


def menu_commands(
    flows: Flows, locale: str, *, group: bool, audiences: tuple[Audience, ...] = EVERYONE
) -> list[BotCommand]:
    """The menu for private chats or for groups, in `locale`, in the locale file's order,
    with the commands meant for `audiences`."""
    order = _menu_order(locale)
    listed: list[BotCommand] = []
    for command in sorted(flows.commands.values(), key=lambda c: order.get(c.name, len(order))):
        if not _listed(command, group=group, audiences=audiences):
            continue
        description = _description(command.name, locale)
        if description is not None:
            listed.append(BotCommand(command=command.name, description=description))
    return listed


async def register_commands(bot: Bot, flows: Flows, *, default_locale: str) -> None:
    """Sets the menu in every language for private chats and for groups, and a default list
    (in `default_locale`) for people whose Telegram speaks neither language."""
    for scope, group in (
        (BotCommandScopeAllPrivateChats(), False),
        (BotCommandScopeAllGroupChats(), True),
    ):
        for language in (*LOCALES, None):
            commands = menu_commands(flows, language or default_locale, group=group)
            try:
                if commands:
                    await bot(SetMyCommands(commands=commands, scope=scope, language_code=language))
                else:
                    await bot(DeleteMyCommands(scope=scope, language_code=language))
            except TelegramAPIError as exc:
                # The bot works without a menu; a missing menu is not worth refusing to start.
                log.warning(
                    "command menu for %s (%s) not set: %s",
                    scope.type,
                    language or "default",
                    redact(str(exc), bot.token),
                )
    undescribed = sorted(
        c.name
        for c in flows.commands.values()
        if not c.hidden and _description(c.name, default_locale) is None
    )
    if undescribed:
        log.info("left out of the command menu, no description text: /%s", ", /".join(undescribed))


async def register_team_commands(
    bot: Bot,
    flows: Flows,
    *,
    default_locale: str,
    staff_chats: list[int],
    team: list[tuple[int, bool]],
) -> None:
    """Longer menus for the people who run the compound: every staff chat gets the staff and
    manager commands, and each staff member (or manager) gets theirs in a private chat.
    `team` is (Telegram id, is manager). A chat Telegram does not know yet (someone who never
    opened the bot) is skipped; their menu is set at the next start."""
    targets: list[tuple[int, bool, tuple[Audience, ...]]]
    targets = [(chat_id, True, MANAGERS) for chat_id in staff_chats]
    targets += [(user_id, False, MANAGERS if manager else STAFF) for user_id, manager in team]
    for chat_id, group, audiences in targets:
        scope = BotCommandScopeChat(chat_id=chat_id)
        try:
            for language in (*LOCALES, None):
                locale = language or default_locale
                commands = menu_commands(flows, locale, group=group, audiences=audiences)
                if commands:
                    await bot(SetMyCommands(commands=commands, scope=scope, language_code=language))
        except TelegramAPIError as exc:
            log.info("no command menu for chat %s: %s", chat_id, redact(str(exc), bot.token))
