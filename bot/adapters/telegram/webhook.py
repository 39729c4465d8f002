"""Webhook mode: an aiohttp application that Telegram posts updates to.

Telegram sends the secret given to setWebhook in the `X-Telegram-Bot-Api-Secret-Token`
header of every request; a request without it did not come from Telegram and gets 403.
"""

from __future__ import annotations

import logging

from aiogram import Bot, Dispatcher
from aiohttp import web

from bot.adapters.botapi.webhook import SECRET_HEADER
from bot.adapters.telegram.reading import TolerantRequestHandler

log = logging.getLogger(__name__)


class SecretCheckedHandler(TolerantRequestHandler):
    """aiogram's handler, answering a wrong secret with 403 Forbidden, and skipping an update
    it cannot read (bot/adapters/telegram/reading.py).

    aiogram's own answer is 401, which asks the caller to authenticate over HTTP; there is no
    such thing here, only a caller that is not Telegram.
    """

    async def handle(self, request: web.Request) -> web.Response:
        if not self.verify_secret(request.headers.get(SECRET_HEADER, ""), self.bot):
            log.warning("webhook request without the right secret token from %s", request.remote)
            return web.Response(status=403, text="Forbidden")
        return await super().handle(request)


def create_webhook_app(
    dispatcher: Dispatcher, bot: Bot, *, path: str, secret: str
) -> web.Application:
    """The web application serving `path`. Updates are answered with 200 at once and handled
    in the background, so Telegram never times out waiting for a slow reply."""
    if not secret:
        raise ValueError("a webhook needs a secret token")
    handler = SecretCheckedHandler(dispatcher, bot, handle_in_background=True, secret_token=secret)
    app = web.Application()
    # Not handler.register(): it would close the bot session on shutdown, before updates
    # still in progress have sent their replies. The caller closes the session last.
    app.router.add_post(path, handler.handle)
    return app
