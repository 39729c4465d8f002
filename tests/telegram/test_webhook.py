"""The webhook endpoint, for each Telegram library: only requests carrying Telegram's secret
token reach the engine, and the update is stored before Telegram gets its 200."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import aiohttp
import pytest
from aiohttp import web

from bot.adapters.botapi.webhook import SECRET_HEADER
from bot.i18n import translate
from bot.services import Services
from storage.models import InboxUpdate
from tests.telegram.conftest import Seed, close_served, served
from tests.telegram.fake_api import FakeBotAPI
from tests.telegram.updates import Person, Updates

SECRET = "s3cret_from-setWebhook"
DAVID = Person(1002, "David", "en")
PATH = "/telegram/webhook"


@pytest.fixture
async def endpoint(
    api: FakeBotAPI, library: str, seeded: tuple[Services, Seed]
) -> AsyncIterator[str]:
    services, _ = seeded
    telegram = served(services, library)
    await telegram.connect()
    app = telegram.webhook_app(path=PATH, secret=SECRET)
    await telegram.startup()
    runner = web.AppRunner(app, handle_signals=False, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    host, port = runner.addresses[0][:2]
    yield f"http://{host}:{port}{PATH}"
    await runner.cleanup()
    await telegram.shutdown()
    await close_served(telegram)


async def _post(url: str, update: dict, headers: dict[str, str]) -> int:
    async with (
        aiohttp.ClientSession() as client,
        client.post(url, json=update, headers=headers) as response,
    ):
        return response.status


@pytest.mark.parametrize("headers", [{}, {SECRET_HEADER: "guessed"}, {SECRET_HEADER: SECRET + "x"}])
async def test_wrong_or_missing_secret_is_forbidden(
    endpoint: str, api: FakeBotAPI, headers: dict[str, str]
) -> None:
    updates = Updates()
    assert await _post(endpoint, updates.text(DAVID, "/help"), headers) == 403
    # Had the refused /help reached the engine, its reply would come before this one's:
    # the engine handles one person's updates in the order they arrive.
    assert await _post(endpoint, updates.text(DAVID, "/menu"), {SECRET_HEADER: SECRET}) == 200
    texts = await api.wait_sent(DAVID.id)
    assert texts == [translate("en", "common-menu-title")]


async def test_right_secret_reaches_the_engine(endpoint: str, api: FakeBotAPI) -> None:
    update = Updates().text(DAVID, "/menu")
    assert await _post(endpoint, update, {SECRET_HEADER: SECRET}) == 200
    assert await api.wait_sent(DAVID.id) == [translate("en", "common-menu-title")]


async def test_an_unreadable_update_is_skipped_without_its_content(
    endpoint: str, api: FakeBotAPI, caplog: pytest.LogCaptureFixture
) -> None:
    updates = Updates()
    bad = updates.text(DAVID, "my door code is 4711")
    bad["message"]["date"] = "yesterday, around noon"
    assert await _post(endpoint, bad, {SECRET_HEADER: SECRET}) == 200
    assert await _post(endpoint, updates.text(DAVID, "/menu"), {SECRET_HEADER: SECRET}) == 200
    assert await api.wait_sent(DAVID.id) == [translate("en", "common-menu-title")]
    assert f"skipped update {bad['update_id']}:" in caplog.text
    assert "4711" not in caplog.text and "Traceback" not in caplog.text


async def test_the_update_is_stored_before_telegram_gets_its_200(
    endpoint: str, api: FakeBotAPI, seeded: tuple[Services, Seed]
) -> None:
    """A process killed right after answering 200 still has the update: Telegram will not
    send it again, so the inbox must hold it."""
    services, _ = seeded
    gate = api.hold("sendMessage")  # the reply cannot go out: handling is still under way
    update = Updates().text(DAVID, "/menu")
    assert await _post(endpoint, update, {SECRET_HEADER: SECRET}) == 200
    async with services.db.read() as session:
        stored = await session.get(InboxUpdate, update["update_id"])
    assert stored is not None and stored.payload["message"]["text"] == "/menu"
    gate.set()
    assert await api.wait_sent(DAVID.id) == [translate("en", "common-menu-title")]
    async with services.db.read() as session:
        stored = await session.get(InboxUpdate, update["update_id"])
        assert stored is not None and stored.handled_at is not None

    # Telegram posting the same update again (it saw no answer in time) changes nothing.
    assert await _post(endpoint, update, {SECRET_HEADER: SECRET}) == 200
    await asyncio.sleep(0.3)
    assert len(api.of("sendMessage", chat_id=DAVID.id)) == 1
