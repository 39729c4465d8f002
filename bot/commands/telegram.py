"""`courtyard run`: the bot on Telegram, by long polling or, with `--webhook`, behind a webhook,
through the library TELEGRAM_LIBRARY names (aiogram or python-telegram-bot).

A setting that cannot work, a library not installed, a token Telegram rejects, a database
schema older than this release, or a REDIS_URL that does not answer stops the command at once
with one line on stderr and exit status 2; the token itself is never printed. SIGINT or
SIGTERM stops the bot gracefully: updates already being handled finish, then the deadline
scheduler stops, then the bot session, Redis and the database are closed.
"""

from __future__ import annotations

import argparse
import logging
import re
import sys

from aiohttp import web

from bot.adapters.botapi.errors import ConnectFailed, looks_like_token
from bot.adapters.botapi.libraries import LibraryMissing, adapter, build
from bot.adapters.botapi.serving import Served, stop_on_signals
from bot.app import open_services, start_scheduler
from bot.redis_client import RedisUnavailable
from bot.settings import Settings
from storage.migrate import SchemaOutOfDate

log = logging.getLogger(__name__)

# Seconds Telegram holds a getUpdates call open while there is nothing new.
POLLING_TIMEOUT = 30
# What Telegram accepts as a webhook secret token.
SECRET_SHAPE = re.compile(r"[A-Za-z0-9_-]{1,256}")
CONFIG_ERROR, RUNTIME_ERROR = 2, 1


async def run(args: argparse.Namespace, settings: Settings) -> int:
    """Serves Telegram until SIGINT or SIGTERM; returns the exit status."""
    problem = config_problem(settings, webhook=args.webhook)
    if problem:
        return _fail(problem)
    try:
        adapter(settings.telegram_library)
    except LibraryMissing as exc:
        return _fail(str(exc))
    try:
        services = await open_services(settings)
    except (SchemaOutOfDate, RedisUnavailable) as exc:
        return _fail(str(exc))
    telegram = build(services)
    log.info("Telegram library: %s", telegram.library)
    try:
        return await _serve(telegram, settings, webhook=args.webhook)
    finally:
        await telegram.close()
        await services.aclose()


def config_problem(settings: Settings, *, webhook: bool) -> str | None:
    """Why these settings cannot run the bot, in one line; None when they can."""
    token = settings.telegram_bot_token.get_secret_value() if settings.telegram_bot_token else ""
    if not token.strip():
        return "TELEGRAM_BOT_TOKEN is not set: put the token @BotFather gave you in .env"
    if not looks_like_token(token):
        return "TELEGRAM_BOT_TOKEN is not a bot token (digits, a colon, then the secret part)"
    if not webhook:
        return None
    if not settings.webhook_url:
        return "webhook mode needs WEBHOOK_URL, the public https address Telegram calls"
    secret = settings.webhook_secret.get_secret_value() if settings.webhook_secret else ""
    if not secret:
        return "webhook mode needs WEBHOOK_SECRET, so that only Telegram can post updates"
    if not SECRET_SHAPE.fullmatch(secret):
        return "WEBHOOK_SECRET may hold only letters, digits, _ and - (at most 256)"
    if not settings.webhook_path.startswith("/"):
        return f"WEBHOOK_PATH must start with /, not {settings.webhook_path!r}"
    return None


async def _serve(telegram: Served, settings: Settings, *, webhook: bool) -> int:
    try:
        await telegram.connect()
    except ConnectFailed as exc:
        if exc.unauthorized:
            return _fail("Telegram rejected TELEGRAM_BOT_TOKEN (401 Unauthorized): check the token")
        where = settings.telegram_api_base
        return _fail(f"no answer from the Bot API at {where}: {exc.reason}", RUNTIME_ERROR)
    # Reminders and escalations go out through this bot, so they start once it is connected
    # and stop after the last update has been handled.
    scheduler = await start_scheduler(telegram.services, telegram.engine)
    try:
        if webhook:
            return await serve_webhook(telegram, settings)
        await serve_polling(telegram)
        return 0
    finally:
        await scheduler.stop()


async def serve_polling(
    telegram: Served,
    *,
    handle_signals: bool = True,
    polling_timeout: int = POLLING_TIMEOUT,
) -> None:
    """Long polling until SIGINT or SIGTERM (or `telegram.stop_polling()`).

    Each batch is stored in the inbox before the next getUpdates confirms it, so nothing is
    skipped across a restart.
    """
    await telegram.serve_polling(handle_signals=handle_signals, polling_timeout=polling_timeout)


async def serve_webhook(telegram: Served, settings: Settings) -> int:
    """Listens on WEBHOOK_HOST:WEBHOOK_PORT, tells Telegram where to post, runs until a signal."""
    assert settings.webhook_url is not None and settings.webhook_secret is not None
    secret = settings.webhook_secret.get_secret_value()
    app = telegram.webhook_app(path=settings.webhook_path, secret=secret)
    runner = web.AppRunner(app, handle_signals=False)
    await runner.setup()
    await telegram.startup()
    # Signals are caught from here on, so that one during start-up still shuts down cleanly.
    async with stop_on_signals() as stop:
        try:
            site = web.TCPSite(runner, settings.webhook_host, settings.webhook_port)
            try:
                await site.start()
            except OSError as exc:
                where = f"{settings.webhook_host}:{settings.webhook_port}"
                return _fail(f"cannot listen on {where}: {exc.strerror or exc}", RUNTIME_ERROR)
            url = settings.webhook_url.rstrip("/") + settings.webhook_path
            try:
                # Set only once listening, so that Telegram's first post finds us.
                await telegram.set_webhook(url, secret=secret)
            except ConnectFailed as exc:
                return _fail(f"Telegram refused the webhook {url}: {exc.reason}", RUNTIME_ERROR)
            log.info("webhook set to %s; listening on %s", url, runner.addresses)
            await stop.wait()
        finally:
            # Stop taking requests first, then let updates in progress finish their replies.
            await runner.cleanup()
            await telegram.shutdown()
    return 0


def _fail(reason: str, status: int = CONFIG_ERROR) -> int:
    """One line on stderr, for the operator."""
    first_line = reason.strip().splitlines()[0] if reason.strip() else "failed"
    print(f"courtyard: {first_line}", file=sys.stderr)
    return status
