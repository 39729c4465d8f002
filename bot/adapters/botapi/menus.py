"""The command menu Telegram shows behind the "/" button, in Chinese and English, for every
Telegram library: what to set where is decided here, each adapter only makes the two calls
(`MenuApi`).

Only commands the engine's registry has are listed, each described by the locale text
`command-<name>` (bot/locales/*/telegram.yaml) and in that file's order. A command with no
description is left out of the menu; it still works when typed. Private chats and groups get
separate lists. Residents see only commands meant for everyone; the staff chat and the private
chats of staff and managers get their own, longer menus (`register_team_commands`).
"""

from __future__ import annotations

import logging
from typing import Any, Protocol

from bot.adapters.botapi.errors import CallFailed
from bot.adapters.botapi.limits import fit, redact
from bot.command_menu import EVERYONE, MANAGERS, STAFF, described_commands, description
from bot.engine.registry import Audience, Flows
from bot.i18n import LOCALES

log = logging.getLogger(__name__)

MAX_DESCRIPTION = 256
# Bot API command scopes, as Telegram's JSON.
PRIVATE_CHATS: dict[str, Any] = {"type": "all_private_chats"}
GROUP_CHATS: dict[str, Any] = {"type": "all_group_chats"}


def chat_scope(chat_id: int) -> dict[str, Any]:
    return {"type": "chat", "chat_id": chat_id}


class MenuApi(Protocol):
    """setMyCommands and deleteMyCommands through one library; failures raise `CallFailed`."""

    token: str

    async def set_commands(
        self, commands: list[tuple[str, str]], scope: dict[str, Any], language: str | None
    ) -> None: ...

    async def delete_commands(self, scope: dict[str, Any], language: str | None) -> None: ...


def menu_commands(
    flows: Flows, locale: str, *, group: bool, audiences: tuple[Audience, ...] = EVERYONE
) -> list[tuple[str, str]]:
    """(command, description) for private chats or for groups, in `locale`, in the locale
    file's order, with the commands meant for `audiences`."""
    return [
        (name, fit(text, MAX_DESCRIPTION))
        for name, text in described_commands(flows, locale, group=group, audiences=audiences)
    ]


async def register_commands(api: MenuApi, flows: Flows, *, default_locale: str) -> None:
    """Sets the menu in every language for private chats and for groups, and a default list
    (in `default_locale`) for people whose Telegram speaks neither language."""
    for scope, group in ((PRIVATE_CHATS, False), (GROUP_CHATS, True)):
        for language in (*LOCALES, None):
            commands = menu_commands(flows, language or default_locale, group=group)
            try:
                if commands:
                    await api.set_commands(commands, scope, language)
                else:
                    await api.delete_commands(scope, language)
            except CallFailed as exc:
                # The bot works without a menu; a missing menu is not worth refusing to start.
                log.warning(
                    "command menu for %s (%s) not set: %s",
                    scope["type"],
                    language or "default",
                    redact(exc.failure.description, api.token),
                )
    undescribed = sorted(
        c.name
        for c in flows.commands.values()
        if not c.hidden and description(c.name, default_locale) is None
    )
    if undescribed:
        log.info("left out of the command menu, no description text: /%s", ", /".join(undescribed))


async def register_team_commands(
    api: MenuApi,
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
        try:
            for language in (*LOCALES, None):
                locale = language or default_locale
                commands = menu_commands(flows, locale, group=group, audiences=audiences)
                if commands:
                    await api.set_commands(commands, chat_scope(chat_id), language)
        except CallFailed as exc:
            log.info(
                "no command menu for chat %s: %s",
                chat_id,
                redact(exc.failure.description, api.token),
            )
