"""Serving one bot token through python-telegram-bot: long polling and the webhook, each update
stored in the inbox before Telegram is told it arrived, then read by the shared reader
(bot/adapters/botapi/updates.py) and handed to the engine.

- Polling: each getUpdates batch is stored before the next getUpdates (whose offset confirms
  the batch) is asked for; an update the reader cannot read is logged by id (never by
  content), marked handled, and passed by the offset like any other.
- Webhook: the update is stored before Telegram gets its 200 (bot/adapters/botapi/webhook.py).
- Each update is handled in a task of its own, started in the order Telegram sent them; the
  engine keeps one person's updates in that order. Shutdown waits for those in progress.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

import telegram
from aiohttp import web
from telegram import Bot
from telegram.error import InvalidToken, TelegramError

from bot.adapters.botapi import webhook
from bot.adapters.botapi.errors import CallFailed, ConnectFailed
from bot.adapters.botapi.limits import redact
from bot.adapters.botapi.menus import MenuApi
from bot.adapters.botapi.pacing import Pacer, RedisSchedule
from bot.adapters.botapi.serving import Inflight, Senders, recover, set_menus, stop_on_signals
from bot.adapters.botapi.updates import USED_UPDATES, Unreadable, event_of, update_id_of
from bot.adapters.telegram_ptb.client import CourtyardBot, create_bot, failure_of
from bot.adapters.telegram_ptb.transport import PtbTransport
from bot.app import build_engine
from bot.engine.engine import Engine
from bot.engine.events import Membership
from bot.engine.inbox import Inbox
from bot.redis_client import redis_client
from bot.services import Services

log = logging.getLogger(__name__)

# Seconds between tries while the Bot API does not answer getUpdates, doubling up to the last.
FETCH_BACKOFF = (1.0, 2.0, 5.0, 15.0)


class PtbMenus:
    """setMyCommands and deleteMyCommands through python-telegram-bot's Bot."""

    def __init__(self, bot: Bot) -> None:
        self.bot, self.token = bot, bot.token

    async def set_commands(
        self, commands: list[tuple[str, str]], scope: dict[str, Any], language: str | None
    ) -> None:
        try:
            await self.bot.set_my_commands(
                commands, api_kwargs={"scope": scope}, language_code=language
            )
        except TelegramError as exc:
            raise CallFailed(failure_of(exc)) from exc

    async def delete_commands(self, scope: dict[str, Any], language: str | None) -> None:
        try:
            await self.bot.delete_my_commands(api_kwargs={"scope": scope}, language_code=language)
        except TelegramError as exc:
            raise CallFailed(failure_of(exc)) from exc


class PtbTelegram:
    """Everything that serves one bot token through python-telegram-bot."""

    def __init__(
        self, bot: CourtyardBot, engine: Engine, transport: PtbTransport, services: Services
    ) -> None:
        self.bot, self.engine, self.transport, self.services = bot, engine, transport, services
        self.inbox = Inbox(services.db, services.clock)
        self.inflight = Inflight()
        self.senders = Senders(engine)
        self.bot_id = 0
        self._tasks: set[asyncio.Task[None]] = set()
        self._stop = asyncio.Event()
        self._stopped = asyncio.Event()
        self._stopped.set()

    @property
    def library(self) -> str:
        return f"python-telegram-bot {telegram.__version__}"

    # -- connecting ----------------------------------------------------------------------------

    async def connect(self) -> str | None:
        """Asks Telegram who the bot is, which also checks the token, and fills the command
        menus in both languages."""
        await self.bot.open()
        try:
            me = await self.bot.get_me()
        except InvalidToken as exc:
            raise ConnectFailed(self._clean(exc), unauthorized=True) from exc
        except TelegramError as exc:
            raise ConnectFailed(self._clean(exc)) from exc
        self.bot_id = me.id
        if me.username:
            # Deep links (t.me/<name>?start=...) and "/help@<name>" in groups need the name.
            self.services.bot_username = me.username
        menus: MenuApi = PtbMenus(self.bot)
        await set_menus(self.services, menus)
        log.info("connected to Telegram as @%s", me.username)
        return me.username

    # -- handling ------------------------------------------------------------------------------

    def spawn(self, update: dict[str, Any]) -> None:
        """Starts handling one update; tasks start in the order they are spawned."""
        task = asyncio.create_task(self.handle(update))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def handle(self, update: dict[str, Any]) -> None:
        """Reads one stored update and hands it to the engine; one that is not for the engine
        (or cannot be read) is marked handled as it passes."""
        update_id = update_id_of(update)
        async with self.inflight.track():
            try:
                event = event_of(
                    update, bot_id=self.bot_id, bot_username=self.services.bot_username
                )
            except Unreadable as exc:
                # Where it failed, never the value: it would be a person's message.
                log.warning("skipped update %s: cannot read it: %s", update_id, exc)
                event = None
            if event is not None:
                try:
                    if isinstance(event, Membership):
                        await self.engine.membership(event)
                    else:
                        await self.engine.handle(event)
                except Exception:
                    # The engine apologises for failures in flows; this is past it (the
                    # database gone): the update stays stored and is handled at next start.
                    log.exception("update %s not handled", update_id)
                    return
            if update_id is not None and not self.engine.took(update_id):
                await self.inbox.mark_handled(update_id)

    # -- polling -------------------------------------------------------------------------------

    async def startup(self) -> None:
        """Handles what a killed predecessor left, then starts the senders."""
        await recover(self.engine, self.inbox, self.handle)
        self.senders.start()

    async def shutdown(self) -> None:
        """Lets updates in progress finish, then stops the senders."""
        await self.inflight.drain()
        await self.senders.stop()

    async def serve_polling(
        self, *, handle_signals: bool = True, polling_timeout: int = 30
    ) -> None:
        """Long polling until SIGINT or SIGTERM (with `handle_signals`) or `stop_polling`."""
        self._stop.clear()
        self._stopped.clear()
        try:
            # Telegram refuses getUpdates while a webhook is set; updates queued are kept.
            await self.bot.delete_webhook(drop_pending_updates=False)
            await self.startup()
            if handle_signals:
                async with stop_on_signals() as signalled:
                    waiter = asyncio.create_task(signalled.wait())
                    waiter.add_done_callback(lambda _: self._stop.set())
                    try:
                        await self._poll(polling_timeout)
                    finally:
                        waiter.cancel()
            else:
                await self._poll(polling_timeout)
        finally:
            await self.shutdown()
            self._stopped.set()

    async def stop_polling(self) -> None:
        """Stops asking for updates and returns once those in progress are done."""
        self._stop.set()
        await self._stopped.wait()

    async def _poll(self, polling_timeout: int) -> None:
        offset: int | None = None
        failures = 0
        log.info("polling for updates")
        while not self._stop.is_set():
            fetch = asyncio.create_task(
                self.bot.get_raw_updates(
                    offset=offset, wait=polling_timeout, allowed_updates=USED_UPDATES
                )
            )
            stopping = asyncio.create_task(self._stop.wait())
            await asyncio.wait({fetch, stopping}, return_when=asyncio.FIRST_COMPLETED)
            stopping.cancel()
            if not fetch.done():
                # Nothing was taken from this answer: Telegram offers it again next time.
                fetch.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await fetch
                return
            try:
                batch = fetch.result()
            except Exception as exc:
                # Named, not quoted: an answer that cannot be read may hold people's messages.
                reason = type(exc).__name__
                if isinstance(exc, TelegramError):
                    reason = f"{reason}: {self._clean(exc)}"
                log.error("could not fetch updates (%s); retrying", reason)
                delay = FETCH_BACKOFF[min(failures, len(FETCH_BACKOFF) - 1)]
                failures += 1
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stop.wait(), delay)
                continue
            failures = 0
            updates = [u for u in batch if isinstance(u, dict)]
            # Stored before the next getUpdates confirms them: a crash from here on loses none.
            await self.inbox.store([u for u in updates if update_id_of(u) is not None])
            for update in updates:
                update_id = update_id_of(update)
                if update_id is None:
                    log.warning("skipped an update without an id")
                    continue
                self.spawn(update)
                # Asking from here on confirms this update, read or skipped.
                offset = max(offset or 0, update_id + 1)

    # -- webhook -------------------------------------------------------------------------------

    def webhook_app(self, *, path: str, secret: str) -> web.Application:
        async def store(update: dict[str, Any]) -> None:
            if update_id_of(update) is not None:
                await self.inbox.store([update])

        return webhook.create_webhook_app(path=path, secret=secret, store=store, handle=self.spawn)

    async def set_webhook(self, url: str, *, secret: str) -> None:
        try:
            await self.bot.set_webhook(
                url,
                secret_token=secret,
                allowed_updates=list(USED_UPDATES),
                drop_pending_updates=False,
            )
        except TelegramError as exc:
            raise ConnectFailed(self._clean(exc)) from exc

    async def close(self) -> None:
        await self.bot.close_session()

    def _clean(self, exc: TelegramError) -> str:
        return redact(exc.message, self.bot.token)


def assemble(services: Services, bot: CourtyardBot) -> PtbTelegram:
    """Builds the transport and the engine around `bot`."""
    settings = services.settings
    if settings.redis_url and services.redis is None:
        services.redis = redis_client(settings.redis_url)
    schedule = RedisSchedule(services.redis) if services.redis is not None else None
    transport = PtbTransport(bot, pacer=Pacer(settings.send_rate, schedule=schedule))
    engine = build_engine(services, transport)
    return PtbTelegram(bot, engine, transport, services)


def build(services: Services) -> PtbTelegram:
    """The bot of `services.settings`, assembled (`courtyard run` with TELEGRAM_LIBRARY=ptb)."""
    return assemble(services, create_bot(services.settings))
