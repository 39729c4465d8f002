"""Wiring for one Telegram bot through aiogram: the Bot, the transport, the engine, the
dispatcher, served as `courtyard run` asks (bot/adapters/botapi/serving.py: `Served`).

`courtyard run` and the tests build the bot with the same functions.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import aiogram
from aiogram import Bot, Dispatcher
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import ClientDecodeError, TelegramAPIError, TelegramUnauthorizedError
from aiogram.types import User
from aiohttp import web

from bot.adapters.botapi.errors import ConnectFailed
from bot.adapters.botapi.limits import redact
from bot.adapters.botapi.pacing import Pacer, RedisSchedule
from bot.adapters.botapi.serving import set_menus
from bot.adapters.telegram.menu import AiogramMenus
from bot.adapters.telegram.routes import create_dispatcher
from bot.adapters.telegram.transport import TelegramTransport
from bot.adapters.telegram.webhook import create_webhook_app
from bot.app import build_engine
from bot.engine.engine import Engine
from bot.engine.inbox import Inbox
from bot.redis_client import redis_client
from bot.services import Services
from bot.settings import Settings

log = logging.getLogger(__name__)


@dataclass(slots=True)
class TelegramBot:
    """Everything that serves one bot token."""

    bot: Bot
    dispatcher: Dispatcher
    engine: Engine
    transport: TelegramTransport
    services: Services

    @property
    def library(self) -> str:
        return f"aiogram {aiogram.__version__}"

    async def connect(self) -> str | None:
        try:
            me = await connect(self)
        except TelegramUnauthorizedError as exc:
            raise ConnectFailed(redact(str(exc), self.bot.token), unauthorized=True) from exc
        except (TelegramAPIError, ClientDecodeError) as exc:
            raise ConnectFailed(redact(str(exc), self.bot.token)) from exc
        return me.username

    async def serve_polling(
        self, *, handle_signals: bool = True, polling_timeout: int = 30
    ) -> None:
        """aiogram asks only for the update kinds the routers handle, and confirms an update
        only by asking for the next ones (after storing them: reading.py)."""
        # Telegram refuses getUpdates while a webhook is set; updates already queued are kept.
        await self.bot.delete_webhook(drop_pending_updates=False)
        await self.dispatcher.start_polling(
            self.bot,
            polling_timeout=polling_timeout,
            handle_signals=handle_signals,
            # close() closes the session after the database work of the last updates is done.
            close_bot_session=False,
        )

    async def stop_polling(self) -> None:
        await self.dispatcher.stop_polling()

    def webhook_app(self, *, path: str, secret: str) -> web.Application:
        return create_webhook_app(self.dispatcher, self.bot, path=path, secret=secret)

    async def startup(self) -> None:
        await self.dispatcher.emit_startup(bot=self.bot, dispatcher=self.dispatcher)

    async def shutdown(self) -> None:
        await self.dispatcher.emit_shutdown(bot=self.bot, dispatcher=self.dispatcher)

    async def set_webhook(self, url: str, *, secret: str) -> None:
        try:
            await self.bot.set_webhook(
                url=url,
                secret_token=secret,
                allowed_updates=self.dispatcher.resolve_used_update_types(),
                drop_pending_updates=False,
            )
        except TelegramAPIError as exc:
            raise ConnectFailed(redact(str(exc), self.bot.token)) from exc

    async def close(self) -> None:
        await self.bot.session.close()


def build(services: Services) -> TelegramBot:
    """The bot of `services.settings`, assembled (`courtyard run` with TELEGRAM_LIBRARY=aiogram)."""
    return assemble(services, create_bot(services.settings))


def create_bot(settings: Settings) -> Bot:
    """The aiogram Bot on TELEGRAM_API_BASE: Telegram's server, or a self-hosted Bot API server.

    Raises aiogram's TokenValidationError for a token that cannot be one. Texts go out as
    written (no parse mode): a resident's "<3" or "*urgent*" is not markup.
    """
    if settings.telegram_bot_token is None:
        raise ValueError("TELEGRAM_BOT_TOKEN is not set")
    api = TelegramAPIServer.from_base(settings.telegram_api_base)
    return Bot(settings.telegram_bot_token.get_secret_value(), session=AiohttpSession(api=api))


def assemble(services: Services, bot: Bot) -> TelegramBot:
    """Builds the transport, the engine and the dispatcher around `bot`."""
    settings = services.settings
    if settings.redis_url and services.redis is None:
        services.redis = redis_client(settings.redis_url)
    schedule = RedisSchedule(services.redis) if services.redis is not None else None
    transport = TelegramTransport(bot, pacer=Pacer(settings.send_rate, schedule=schedule))
    engine = build_engine(services, transport)
    dispatcher = create_dispatcher(engine, Inbox(services.db, services.clock))
    return TelegramBot(bot, dispatcher, engine, transport, services)


async def connect(telegram: TelegramBot) -> User:
    """Asks Telegram who the bot is, which also checks the token (401 raises aiogram's
    TelegramUnauthorizedError), and fills the command menu in both languages."""
    me = await telegram.bot.me()
    if me.username:
        # Deep links (t.me/<name>?start=...) and "/help@<name>" in groups need the real name.
        telegram.services.bot_username = me.username
    await set_menus(telegram.services, AiogramMenus(telegram.bot))
    log.info("connected to Telegram as @%s", me.username)
    return me
