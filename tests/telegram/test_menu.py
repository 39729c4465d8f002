"""The command menu: both languages, private chats and groups apart, only real commands."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator

import pytest
from aiogram import Bot

from bot.adapters.telegram import create_bot
from bot.adapters.telegram.menu import menu_commands, register_commands, register_team_commands
from bot.app import build_flows
from bot.engine.context import Context
from bot.engine.registry import Flows
from bot.i18n import translate
from bot.settings import Settings
from tests.telegram.conftest import close_bot_session
from tests.telegram.fake_api import FakeBotAPI

PRIVATE, GROUPS = "all_private_chats", "all_group_chats"


async def _nothing(ctx: Context) -> None:
    """A command handler that is never called here."""


@pytest.fixture
async def bot(tg_settings: Settings) -> AsyncIterator[Bot]:
    bot = create_bot(tg_settings)
    yield bot
    await close_bot_session(bot)


def _names(api: FakeBotAPI, scope: str, language: str | None) -> list[str]:
    return [command["command"] for command in api.commands[(scope, language)]]


async def test_menus_in_both_languages_for_private_chats_and_groups(
    bot: Bot, api: FakeBotAPI
) -> None:
    flows = build_flows()
    await register_commands(bot, flows, default_locale="zh")
    assert set(api.commands) == {
        (scope, language) for scope in (PRIVATE, GROUPS) for language in ("zh", "en", None)
    }
    private = _names(api, PRIVATE, "en")
    assert private[:5] == ["start", "help", "menu", "lang", "cancel"]  # telegram.yaml's order
    assert not {"staffchat", "residentgroup"} & set(private)
    groups = _names(api, GROUPS, "en")
    assert "help" in groups
    # Residents' menus carry no staff or manager commands.
    team_only = {n for n, c in flows.commands.items() if c.audience != "everyone"}
    assert {"staffchat", "cases", "addstaff"} <= team_only
    assert not team_only & (set(groups) | set(private))
    private_only = {name for name, command in flows.commands.items() if command.private_only}
    assert not ({"start"} | private_only) & set(groups)
    for scope in (PRIVATE, GROUPS):
        assert set(_names(api, scope, "zh")) <= set(flows.commands)  # nothing invented
        assert api.commands[(scope, None)] == api.commands[(scope, "zh")]  # the default
    help_en = next(c for c in api.commands[(PRIVATE, "en")] if c["command"] == "help")
    help_zh = next(c for c in api.commands[(PRIVATE, "zh")] if c["command"] == "help")
    assert help_en["description"] == translate("en", "command-help")
    assert help_zh["description"] == translate("zh", "command-help")


def test_commands_without_a_description_hidden_or_misnamed_stay_out() -> None:
    flows = Flows()
    flows.command("help", _nothing)
    flows.command("nodescription", _nothing)
    flows.command("menu", _nothing, hidden=True)
    flows.command("Lang", _nothing)  # Telegram takes lower-case names only
    listed = menu_commands(flows, "en", group=False)
    assert [c.command for c in listed] == ["help"]


async def test_an_empty_menu_is_deleted_not_set(bot: Bot, api: FakeBotAPI) -> None:
    flows = Flows()
    flows.command("staffchat", _nothing)  # a group command only: private chats get none
    await register_commands(bot, flows, default_locale="en")
    assert len(api.of("deleteMyCommands")) == 3
    assert _names(api, GROUPS, "en") == ["staffchat"]


async def test_a_refused_menu_does_not_stop_the_bot(
    bot: Bot, api: FakeBotAPI, caplog: pytest.LogCaptureFixture
) -> None:
    api.flood("setMyCommands", retry_after=30, times=6)
    with caplog.at_level(logging.WARNING):
        await register_commands(bot, build_flows(), default_locale="zh")
    assert len(api.of("setMyCommands")) == 6
    assert "command menu" in caplog.text


async def test_the_team_gets_its_own_menus(bot: Bot, api: FakeBotAPI) -> None:
    flows = build_flows()
    await register_team_commands(
        bot,
        flows,
        default_locale="zh",
        staff_chats=[-100500001],
        team=[(2001, False), (3001, True)],
    )
    staff_chat = set(_names(api, "chat:-100500001", "zh"))
    assert {"cases", "staffchat", "help"} <= staff_chat
    technician = set(_names(api, "chat:2001", "en"))
    assert {"cases", "invite", "help"} <= technician and "addstaff" not in technician
    manager = set(_names(api, "chat:3001", None))
    assert {"cases", "addstaff", "invite"} <= manager
