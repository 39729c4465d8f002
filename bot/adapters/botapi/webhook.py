"""Webhook mode for an adapter that reads updates itself: an aiohttp application Telegram
posts updates to.

Telegram sends the secret given to setWebhook in the `X-Telegram-Bot-Api-Secret-Token`
header of every request; a request without it did not come from Telegram and gets 403. The
update is stored in the inbox before Telegram gets its 200 (a failure to store answers 500:
Telegram keeps the update and posts it again), then handled in the background, so Telegram
never times out waiting for a slow reply.
"""

from __future__ import annotations

import hmac
import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


def create_webhook_app(
    *,
    path: str,
    secret: str,
    store: Callable[[dict[str, Any]], Awaitable[None]],
    handle: Callable[[dict[str, Any]], None],
) -> web.Application:
    """The web application serving `path`: `store` is awaited before the answer, `handle`
    starts handling in the background."""
    if not secret:
        raise ValueError("a webhook needs a secret token")

    async def receive(request: web.Request) -> web.Response:
        given = request.headers.get(SECRET_HEADER, "")
        if not hmac.compare_digest(given.encode(), secret.encode()):
            log.warning("webhook request without the right secret token from %s", request.remote)
            return web.Response(status=403, text="Forbidden")
        try:
            update = json.loads(await request.read())
        except ValueError:
            # Not JSON: Telegram never sends that; answering 200 would not make it so.
            return web.Response(status=400, text="Bad Request")
        if not isinstance(update, dict):
            return web.Response(status=400, text="Bad Request")
        await store(update)
        handle(update)
        return web.json_response({})

    app = web.Application()
    app.router.add_post(path, receive)
    return app
