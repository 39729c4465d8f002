"""The inbox and outbox around aiogram's dispatcher (what they do: bot/adapters/botapi/serving.py).

- Polling stores each batch in the inbox before asking for the next one, and the webhook
  stores the update before it answers 200 (`reading.py`).
- At start, before polling or the webhook take anything new, the updates a killed process
  stored and never handled are handled, oldest first; then the senders start.
- An update nothing handles (a kind the bot ignores) is marked handled as it passes, so it is
  not offered again at the next start.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import Bot, Dispatcher
from aiogram.types import TelegramObject, Update

from bot.adapters.botapi.serving import Senders, recover
from bot.adapters.telegram.reading import read_update
from bot.engine.engine import Engine
from bot.engine.inbox import Inbox

log = logging.getLogger(__name__)

RECOVERING = "recovering"


class Durability:
    """The inbox and outbox around one dispatcher; `install` wires it in."""

    def __init__(self, engine: Engine, inbox: Inbox) -> None:
        self.engine, self.inbox = engine, inbox
        self.senders = Senders(engine)

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

        async def handle(payload: dict[str, Any]) -> None:
            update = read_update(payload, bot)
            if update is None:
                await self.inbox.mark_handled(payload["update_id"])
            else:
                await dispatcher.feed_update(bot, update)

        await recover(self.engine, self.inbox, handle)
        self.senders.start()

    async def shutdown(self) -> None:
        """Stops the senders after their current round."""
        await self.senders.stop()
