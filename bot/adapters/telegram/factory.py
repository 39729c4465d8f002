"""Wiring for one Telegram bot: the aiogram Bot, the transport, the engine, the dispatcher.

`courtyard run` and the tests build the bot with the same functions.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from aiogram import Bot, Dispatcher
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.types import User
from sqlalchemy import select

from bot.adapters.telegram.menu import register_commands, register_team_commands
from bot.adapters.telegram.pacing import Pacer, RedisSchedule
from bot.adapters.telegram.routes import create_dispatcher
from bot.adapters.telegram.transport import TelegramTransport
from bot.app import build_engine
from bot.engine.engine import Engine
from bot.engine.inbox import Inbox
from bot.redis_client import redis_client
from bot.services import Services
from bot.settings import Settings
from storage.models import ChatBinding, ChatPurpose, Person, StaffMember, StaffRole

log = logging.getLogger(__name__)


@dataclass(slots=True)
class TelegramBot:
    """Everything that serves one bot token."""

    bot: Bot
    dispatcher: Dispatcher
    engine: Engine
    transport: TelegramTransport
    services: Services


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
    await register_commands(
        telegram.bot,
        telegram.services.flows,
        default_locale=telegram.services.settings.default_locale,
    )
    staff_chats, team = await _team(telegram.services)
    await register_team_commands(
        telegram.bot,
        telegram.services.flows,
        default_locale=telegram.services.settings.default_locale,
        staff_chats=staff_chats,
        team=team,
    )
    log.info("connected to Telegram as @%s", me.username)
    return me


async def _team(services: Services) -> tuple[list[int], list[tuple[int, bool]]]:
    """The staff chats, and every staff member and manager as (Telegram id, is manager)."""
    async with services.db.read() as session:
        chats = list(
            await session.scalars(
                select(ChatBinding.chat_id).where(ChatBinding.purpose == ChatPurpose.STAFF)
            )
        )
        rows = await session.execute(
            select(Person.telegram_id, StaffMember.role)
            .join(StaffMember, StaffMember.person_id == Person.id)
            .where(StaffMember.active.is_(True), Person.telegram_id.is_not(None))
        )
        managers: dict[int, bool] = {}
        for telegram_id, role in rows:
            if telegram_id is None:
                continue
            managers[telegram_id] = managers.get(telegram_id, False) or role is StaffRole.MANAGER
    for telegram_id in services.settings.manager_ids:
        managers[telegram_id] = True
    return chats, sorted(managers.items())
