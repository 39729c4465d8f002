"""Nothing lost to a crash: Telegram's updates go through the inbox, replies through the outbox.

- Polling stores each batch in the inbox before asking for the next one (which confirms the
  batch to Telegram), and the webhook stores the update before it answers 200
  (`reading.py`). The engine marks an update handled with what handling it changed.
- At start, before polling or the webhook take anything new, the updates a killed process
  stored and never handled are handled, oldest first; then the outbox delivers, and keeps
  delivering, whatever is owed (`bot/engine/outbox.py`), and the bulk sender sends the
  broadcasts (`bot/engine/bulk.py`).
- An update nothing handles (a kind the bot ignores) is marked handled as it passes, so it is
  not offered again at the next start.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import Bot, Dispatcher
from aiogram.types import TelegramObject, Update

from bot.adapters.telegram.reading import read_update
from bot.engine.engine import Engine
from bot.engine.inbox import Inbox

log = logging.getLogger(__name__)

RECOVERING = "recovering"


class Durability:
    """The inbox and outbox around one dispatcher; `install` wires it in."""

    def __init__(self, engine: Engine, inbox: Inbox) -> None:
        self.engine, self.inbox = engine, inbox
        self._stop = asyncio.Event()
        self._senders: list[asyncio.Task[None]] = []

    def install(self, dispatcher: Dispatcher) -> None:
        dispatcher.update.outer_middleware(self.settle)
        dispatcher.startup.register(self.startup)
        # After the updates in progress (registered before this) have finished.
        dispatcher.shutdown.register(self.shutdown)

    async def settle(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        """Marks an update handled when the engine did not (nothing of the bot's handled it)."""
        try:
            return await handler(event, data)
        finally:
            if isinstance(event, Update) and not self.engine.took(event.update_id):
                await self.inbox.mark_handled(event.update_id)

    async def startup(self, bot: Bot, dispatcher: Dispatcher) -> None:
        """Handles what a killed predecessor left, then starts delivering the outbox."""
        if not self.engine.services.settings.redis_url:
            # The only process: every claim on an outbox row was its killed predecessor's.
            await self.engine.outbox.release_claims()
        left = await self.inbox.pending()
        if left:
            log.info("handling %d update(s) stored before the last stop", len(left))
        for payload in left:
            update = read_update(payload, bot)
            if update is None:
                await self.inbox.mark_handled(payload["update_id"])
                continue
            await dispatcher.feed_update(bot, update)
        await self.inbox.prune()
        self._stop.clear()
        self._senders = [
            asyncio.create_task(self.engine.outbox.run(self._stop)),
            asyncio.create_task(self.engine.bulk.run(self._stop)),
        ]

    async def shutdown(self) -> None:
        """Stops the senders after their current round; what is still owed (a broadcast half
        sent included) waits for the next start."""
        self._stop.set()
        for sender in self._senders:
            with contextlib.suppress(Exception):
                await sender
        self._senders = []
