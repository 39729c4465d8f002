"""Reading updates one at a time, so that one aiogram cannot read is skipped, not retried.

aiogram parses a whole getUpdates answer at once: one update its models refuse (a field
shaped in a way this version does not know) fails the batch, the polling loop retries the
same offset forever, and the bot stalls for everyone. It also logs the refusal with the
update's content. Here each update is parsed on its own; one that fails is logged by its id
only (no content: it is somebody's message) and the offset moves past it. Webhook mode
skips such an update the same way.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncGenerator
from typing import Any, cast

from aiogram import Bot, Dispatcher
from aiogram.dispatcher.dispatcher import DEFAULT_BACKOFF_CONFIG
from aiogram.exceptions import ClientDecodeError
from aiogram.methods import GetUpdates
from aiogram.types import Update
from aiogram.utils.backoff import Backoff, BackoffConfig
from aiogram.webhook.aiohttp_server import SimpleRequestHandler
from aiohttp import web
from pydantic import ValidationError

from bot.engine.inbox import Inbox

log = logging.getLogger(__name__)


class RawGetUpdates(GetUpdates):
    """getUpdates answered with plain objects, each parsed on its own by `read_update`."""

    __returning__ = list[dict[str, Any]]


def read_update(raw: object, bot: Bot) -> Update | None:
    """The update as aiogram's model, or None (logged by id and field, not content)."""
    try:
        return Update.model_validate(raw, context={"bot": bot})
    except ValidationError as exc:
        update_id = raw.get("update_id") if isinstance(raw, dict) else None
        # Where it failed and why, never the value: `input` would be a person's message.
        fields = ", ".join(
            f"{'.'.join(str(p) for p in error['loc'])} ({error['type']})"
            for error in exc.errors()[:3]
        )
        log.warning("skipped update %s: aiogram cannot read it: %s", update_id, fields)
        return None


class TolerantDispatcher(Dispatcher):
    """aiogram's dispatcher, polling with `read_update` (see the module docstring), and
    storing every batch in the inbox before asking for the next one, which confirms it."""

    def __init__(self, inbox: Inbox, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.inbox = inbox

    async def _listen_updates(  # type: ignore[override]
        self,
        bot: Bot,
        polling_timeout: int = 30,
        backoff_config: BackoffConfig = DEFAULT_BACKOFF_CONFIG,
        allowed_updates: list[str] | None = None,
    ) -> AsyncGenerator[Update, None]:
        """aiogram's loop (retry with back-off while the Bot API does not answer), with each
        update parsed on its own and the offset moved past every update, read or not."""
        backoff = Backoff(config=backoff_config)
        get_updates = RawGetUpdates(timeout=polling_timeout, allowed_updates=allowed_updates)
        kwargs = {}
        if bot.session.timeout:
            # The request may take the whole long poll, plus the session's own timeout.
            kwargs["request_timeout"] = int(bot.session.timeout + polling_timeout)
        while True:
            try:
                # RawGetUpdates returns plain objects, whatever GetUpdates' type says.
                raw_updates = cast(list[dict[str, Any]], await bot(get_updates, **kwargs))
            except Exception as exc:
                # A decode error quotes the answer, people's messages and all: name it only.
                reason = type(exc).__name__
                if not isinstance(exc, ClientDecodeError):
                    reason = f"{reason}: {exc}"
                log.error("could not fetch updates (%s); retrying", reason)
                await backoff.asleep()
                continue
            backoff.reset()
            # Stored before the next getUpdates confirms them: a crash from here on loses none.
            await self.inbox.store(raw_updates)
            for raw in raw_updates:
                update = read_update(raw, bot)
                if update is not None:
                    yield update
                elif isinstance(raw.get("update_id"), int):
                    await self.inbox.mark_handled(raw["update_id"])
                update_id = raw.get("update_id")
                if isinstance(update_id, int):
                    # Asking from here on confirms this update, read or skipped.
                    get_updates.offset = update_id + 1


class TolerantRequestHandler(SimpleRequestHandler):
    """aiogram's webhook handler: the update is stored in the inbox before Telegram gets its
    200, then handled in the background; one aiogram cannot read is skipped, as in polling."""

    async def _handle_request_background(self, bot: Bot, request: web.Request) -> web.Response:
        update = await request.json(loads=bot.session.json_loads)
        inbox = getattr(self.dispatcher, "inbox", None)
        if isinstance(inbox, Inbox) and isinstance(update, dict):
            # A failure here answers 500: Telegram keeps the update and posts it again.
            await inbox.store([update])
        task = asyncio.create_task(self._background_feed_update(bot=bot, update=update))
        self._background_feed_update_tasks.add(task)
        task.add_done_callback(self._background_feed_update_tasks.discard)
        return web.json_response({}, dumps=bot.session.json_dumps)

    async def _background_feed_update(self, bot: Bot, update: dict[str, Any]) -> None:
        if read_update(update, bot) is None:
            inbox = getattr(self.dispatcher, "inbox", None)
            if isinstance(inbox, Inbox) and isinstance(update.get("update_id"), int):
                await inbox.mark_handled(update["update_id"])
            return
        await super()._background_feed_update(bot, update)
