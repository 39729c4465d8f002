"""`courtyard run`: what an operator sees when it cannot start, and a clean stop on a signal,
through each Telegram library."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import shutil
import signal
import socket
import sys
from pathlib import Path

import aiohttp
import pytest
from pydantic import SecretStr

from bot.adapters.botapi.libraries import LIBRARIES
from bot.commands.telegram import run
from bot.settings import Settings
from tests.telegram.fake_api import FakeBotAPI
from tests.telegram.updates import Person, Updates

NEWCOMER = Person(5001, "Emily", "en")
SECRET = "courtyard-webhook-secret_1"


def _args(*, webhook: bool = False) -> argparse.Namespace:
    return argparse.Namespace(webhook=webhook)


def _with(settings: Settings, **changes: object) -> Settings:
    return settings.model_copy(update=changes)


@pytest.fixture
def run_settings(tg_settings: Settings, migrated_template: Path, library: str) -> Settings:
    """Settings over a copy of a migrated, seeded database, serving through `library`."""
    shutil.copyfile(migrated_template, tg_settings.database_url.split("///", 1)[1])
    return _with(tg_settings, telegram_library=library)


def _one_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith("courtyard: ")
    return lines[0]


async def test_missing_token_is_one_line_and_exit_2(
    tg_settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    assert await run(_args(), _with(tg_settings, telegram_bot_token=None)) == 2
    assert "TELEGRAM_BOT_TOKEN" in _one_line(capsys.readouterr().err)


async def test_malformed_token_is_refused_without_printing_it(
    tg_settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    settings = _with(tg_settings, telegram_bot_token=SecretStr("not a token"))
    assert await run(_args(), settings) == 2
    captured = capsys.readouterr()
    assert "not a token" not in captured.out + captured.err
    assert "TELEGRAM_BOT_TOKEN" in _one_line(captured.err)


async def test_rejected_token_exits_2_and_never_shows_the_token(
    run_settings: Settings,
    api: FakeBotAPI,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    wrong = "987654321:AAWrongTokenTelegramDoesNotKnow_42"
    assert await run(_args(), _with(run_settings, telegram_bot_token=SecretStr(wrong))) == 2
    assert [call.method for call in api.calls] == ["getMe"]  # asked, and refused with 401
    captured = capsys.readouterr()
    assert "401" in _one_line(captured.err)
    everything = captured.out + captured.err + caplog.text
    assert wrong not in everything
    assert wrong.split(":")[1] not in everything


async def test_out_of_date_schema_is_one_line_and_exit_2(
    tg_settings: Settings, api: FakeBotAPI, capsys: pytest.CaptureFixture[str]
) -> None:
    # tg_settings points at a database file nobody has migrated.
    assert await run(_args(), tg_settings) == 2
    assert "courtyard db upgrade" in _one_line(capsys.readouterr().err)
    assert api.calls == []


@pytest.mark.parametrize(
    ("changes", "named"),
    [
        ({"webhook_url": None, "webhook_secret": SecretStr(SECRET)}, "WEBHOOK_URL"),
        ({"webhook_url": "https://courtyard.example", "webhook_secret": None}, "WEBHOOK_SECRET"),
        (
            {"webhook_url": "https://courtyard.example", "webhook_secret": SecretStr("no spaces")},
            "WEBHOOK_SECRET",
        ),
    ],
)
async def test_webhook_mode_refuses_to_start_without_its_settings(
    tg_settings: Settings,
    api: FakeBotAPI,
    capsys: pytest.CaptureFixture[str],
    changes: dict[str, object],
    named: str,
) -> None:
    assert await run(_args(webhook=True), _with(tg_settings, **changes)) == 2
    assert named in _one_line(capsys.readouterr().err)
    assert api.calls == []


async def test_polling_serves_until_sigint(
    run_settings: Settings, api: FakeBotAPI, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    api.webhook = {"url": "https://old.example/hook"}  # left over from an earlier deployment
    running = asyncio.create_task(run(_args(), run_settings))
    await api.wait_for("getUpdates")
    await api.push(Updates().text(NEWCOMER, "/start"))
    (welcome,) = await api.wait_sent(NEWCOMER.id)
    assert welcome.startswith("Hello Emily!")
    os.kill(os.getpid(), signal.SIGINT)
    assert await asyncio.wait_for(running, 5) == 0
    methods = [call.method for call in api.calls]
    assert methods.index("deleteWebhook") < methods.index("getUpdates")
    assert api.of("deleteWebhook")[0].params.get("drop_pending_updates") != "true"
    expected = {"aiogram": "aiogram 3.", "ptb": "python-telegram-bot 22."}
    assert f"Telegram library: {expected[run_settings.telegram_library]}" in caplog.text


async def test_a_library_not_installed_is_one_line_naming_the_extra(
    run_settings: Settings,
    api: FakeBotAPI,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """As on a machine installed without the library's extra (None in sys.modules makes
    importing it fail the way a missing package does)."""
    library = LIBRARIES[run_settings.telegram_library]
    for name in [n for n in sys.modules if n.startswith(library.adapter)]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, library.package, None)
    assert await run(_args(), run_settings) == 2
    line = _one_line(capsys.readouterr().err)
    assert f"TELEGRAM_LIBRARY={library.setting}" in line
    assert f"courtyard[{library.extra}]" in line
    assert api.calls == []


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


async def test_webhook_serves_until_sigint(run_settings: Settings, api: FakeBotAPI) -> None:
    port = _free_port()
    settings = _with(
        run_settings,
        webhook_url="https://courtyard.example/",
        webhook_secret=SecretStr(SECRET),
        webhook_host="127.0.0.1",
        webhook_port=port,
    )
    running = asyncio.create_task(run(_args(webhook=True), settings))
    (set_webhook,) = await api.wait_for("setWebhook")
    assert set_webhook.params["url"] == "https://courtyard.example/telegram/webhook"
    assert set_webhook.params["secret_token"] == SECRET
    assert {"message", "callback_query"} <= set(set_webhook.params["allowed_updates"])
    endpoint = f"http://127.0.0.1:{port}/telegram/webhook"
    update = Updates().text(NEWCOMER, "/start")
    async with (
        aiohttp.ClientSession() as client,
        client.post(
            endpoint, json=update, headers={"X-Telegram-Bot-Api-Secret-Token": SECRET}
        ) as response,
    ):
        assert response.status == 200
    (welcome,) = await api.wait_sent(NEWCOMER.id)
    assert welcome.startswith("Hello Emily!")
    os.kill(os.getpid(), signal.SIGINT)
    assert await asyncio.wait_for(running, 5) == 0
    assert not any(call.is_("getUpdates") for call in api.calls)
