"""The Telegram adapters against a fake Bot API on loopback, over the real engine and store.

`live` runs every test that uses it once per Telegram library (aiogram and
python-telegram-bot): the same updates in, the same answers expected out.
"""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession

from bot.adapters.botapi.libraries import build
from bot.adapters.botapi.serving import Served
from bot.adapters.telegram import TelegramBot
from bot.app import build_flows
from bot.services import Services
from bot.settings import Settings
from storage import demo
from storage.db import Database
from storage.migrate import upgrade
from storage.models import Base, utcnow
from tests.harness import settle_sqlite
from tests.telegram.fake_api import FakeBotAPI
from tests.telegram.updates import Updates

# Shaped like a real token, so that the log redaction would catch it by its shape as well.
TOKEN = "123456789:AAFakeTokenForCourtyardTests_0123456"
BOT_ID = 123456789
BOT_USERNAME = "courtyard_test_bot"
LIBRARIES = ("aiogram", "ptb")


async def close_bot_session(bot: Bot) -> None:
    """For fixture teardown: `bot.session.close()` without the quarter second aiogram's
    AiohttpSession sleeps after closing, there so that TLS connections finish closing (aiohttp's
    graceful-shutdown advice). The fake API is plain HTTP on loopback, whose sockets close with
    the aiohttp session. Any other session, or an aiogram without `_session`, closes as usual."""
    inner = getattr(bot.session, "_session", None) if type(bot.session) is AiohttpSession else None
    if inner is None or not bot.session.api.base.startswith("http://127.0.0.1:"):
        await bot.session.close()
    elif not inner.closed:
        await inner.close()


async def close_served(telegram: Served) -> None:
    """Closes the library's HTTP session (aiogram's without its quarter-second sleep)."""
    if isinstance(telegram, TelegramBot):
        await close_bot_session(telegram.bot)
    else:
        await telegram.close()


@pytest.fixture(params=LIBRARIES)
def library(request: pytest.FixtureRequest) -> str:
    """Each Telegram library in turn (TELEGRAM_LIBRARY)."""
    value: str = request.param
    return value


@pytest.fixture
async def api() -> AsyncIterator[FakeBotAPI]:
    server = FakeBotAPI(token=TOKEN, username=BOT_USERNAME)
    await server.start()
    yield server
    await server.close()


@pytest.fixture
def tg_settings(tmp_path, api: FakeBotAPI) -> Settings:
    return Settings(
        _env_file=None,
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'telegram.db'}",
        telegram_bot_token=TOKEN,
        telegram_api_base=api.url,
        manager_ids=frozenset({9001}),
        default_locale="zh",
        redis_url=None,
        kb_local_dir=None,
    )


@dataclass(frozen=True)
class Seed:
    """What the tests need to know of the demo compound."""

    invite_code: str
    compound_name: str


async def _seed(url: str, *, migrate: bool = False) -> Seed:
    if migrate:
        await upgrade(url)
    db = Database(url)
    try:
        if not migrate:
            async with db.write_engine.begin() as connection:
                await connection.run_sync(Base.metadata.create_all)
        async with db.write() as session:
            summary = await demo.seed_demo(session, now=utcnow())
            return Seed(summary.invite_code, summary.compound.name)
    finally:
        await db.dispose()


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Seed]:
    """The demo compound seeded once; each test gets a copy of the file (seeding takes ~0.4 s)."""
    path = tmp_path_factory.mktemp("template") / "demo.db"
    seed = asyncio.run(_seed(f"sqlite+aiosqlite:///{path}"))
    settle_sqlite(path)  # all in the one file that is copied
    return path, seed


@pytest.fixture(scope="session")
def migrated_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo compound in a schema made by the migrations, as `courtyard run` requires."""
    path = tmp_path_factory.mktemp("migrated") / "demo.db"
    asyncio.run(_seed(f"sqlite+aiosqlite:///{path}", migrate=True))
    settle_sqlite(path)
    return path


@pytest.fixture
async def seeded(
    tg_settings: Settings, demo_template: tuple[Path, Seed]
) -> AsyncIterator[tuple[Services, Seed]]:
    """Services over a fresh copy of the demo compound."""
    template, seed = demo_template
    db = Database(tg_settings.database_url)
    shutil.copyfile(template, db.url.split("///", 1)[1])
    # Built as tests/harness.py does: open_services would also rebuild the knowledge index
    # (half a second a test); the flows share the process-wide one instead.
    yield Services(settings=tg_settings, db=db, flows=build_flows()), seed
    await db.dispose()


def served(services: Services, library: str) -> Served:
    """The bot over `services` through `library`, as `courtyard run` builds it."""
    services.settings = services.settings.model_copy(update={"telegram_library": library})
    return build(services)


@asynccontextmanager
async def polling(services: Services, library: str) -> AsyncIterator[Served]:
    """A bot connected and polling the fake API; stopped (updates in progress finished) and
    closed at the end of the block."""
    telegram = served(services, library)
    await telegram.connect()
    task = asyncio.create_task(telegram.serve_polling(handle_signals=False, polling_timeout=5))
    try:
        yield telegram
    finally:
        if not task.done():
            await telegram.stop_polling()
        await task
        await close_served(telegram)


@dataclass
class Live:
    """A bot polling the fake API: push updates, read what the bot sent."""

    telegram: Served
    api: FakeBotAPI
    demo: Seed
    updates: Updates = field(default_factory=Updates)

    @property
    def services(self) -> Services:
        return self.telegram.services


@pytest.fixture
async def live(api: FakeBotAPI, library: str, seeded: tuple[Services, Seed]) -> AsyncIterator[Live]:
    services, summary = seeded
    async with polling(services, library) as telegram:
        await api.wait_for("getUpdates")
        yield Live(telegram=telegram, api=api, demo=summary)
