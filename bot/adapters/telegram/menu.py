"""The command menu through aiogram: the two calls only; what goes in which menu is shared with
every Telegram library (bot/adapters/botapi/menus.py)."""

from __future__ import annotations

from typing import Any

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError
from aiogram.methods import DeleteMyCommands, SetMyCommands
from aiogram.types import BotCommand

from bot.adapters.botapi import menus
from bot.adapters.botapi.errors import CallFailed
from bot.adapters.telegram.transport import failure_of
from bot.command_menu import EVERYONE
from bot.engine.registry import Audience, Flows


class AiogramMenus:
    """setMyCommands and deleteMyCommands through aiogram's Bot."""

    def __init__(self, bot: Bot) -> None:
        self.bot, self.token = bot, bot.token

    async def set_commands(
        self, commands: list[tuple[str, str]], scope: dict[str, Any], language: str | None
    ) -> None:
        listed = [BotCommand(command=name, description=text) for name, text in commands]
        method = SetMyCommands.model_validate(
            {"commands": listed, "scope": scope, "language_code": language}
        )
        await self._call(method)

    async def delete_commands(self, scope: dict[str, Any], language: str | None) -> None:
        await self._call(
            DeleteMyCommands.model_validate({"scope": scope, "language_code": language})
        )

    async def _call(self, method: SetMyCommands | DeleteMyCommands) -> None:
        try:
            await self.bot(method)
        except TelegramAPIError as exc:
            raise CallFailed(failure_of(exc)) from exc


def menu_commands(
    flows: Flows, locale: str, *, group: bool, audiences: tuple[Audience, ...] = EVERYONE
) -> list[BotCommand]:
    """The menu for private chats or for groups as aiogram's BotCommand list."""
    return [
        BotCommand(command=name, description=text)
        for name, text in menus.menu_commands(flows, locale, group=group, audiences=audiences)
    ]


async def register_commands(bot: Bot, flows: Flows, *, default_locale: str) -> None:
    """The menus for everyone (bot/adapters/botapi/menus.py), set through `bot`."""
    await menus.register_commands(AiogramMenus(bot), flows, default_locale=default_locale)


async def register_team_commands(
    bot: Bot,
    flows: Flows,
    *,
    default_locale: str,
    staff_chats: list[int],
    team: list[tuple[int, bool]],
) -> None:
    """The staff's and managers' menus (bot/adapters/botapi/menus.py), set through `bot`."""
    await menus.register_team_commands(
        AiogramMenus(bot),
        flows,
        default_locale=default_locale,
        staff_chats=staff_chats,
        team=team,
    )
