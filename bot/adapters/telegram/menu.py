"""The command menu Telegram shows behind the "/" button, in Chinese and English.

Only commands the engine's registry has are listed, each described by the locale text
`command-<name>` (bot/locales/*/telegram.yaml) and in that file's order. A command with no
description is left out of the menu; it still works when typed. Private chats and groups get
separate lists. Residents see only commands meant for everyone; the staff chat and the private
chats of staff and managers get their own, longer menus (`register_team_commands`).
"""

from __future__ import annotations

import logging

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
from bot.command_menu import EVERYONE, MANAGERS, STAFF, described_commands, description
from bot.engine.registry import Audience, Flows
from bot.i18n import LOCALES

log = logging.getLogger(__name__)

MAX_DESCRIPTION = 256


def menu_commands(
    flows: Flows, locale: str, *, group: bool, audiences: tuple[Audience, ...] = EVERYONE
) -> list[BotCommand]:
    """The menu for private chats or for groups, in `locale`, in the locale file's order,
    with the commands meant for `audiences`."""
    return [
        BotCommand(command=name, description=fit(text, MAX_DESCRIPTION))
        for name, text in described_commands(flows, locale, group=group, audiences=audiences)
    ]


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
        if not c.hidden and description(c.name, default_locale) is None
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
