"""python-telegram-bot's Bot on TELEGRAM_API_BASE, and its exceptions described for the shared
error taxonomy (bot/adapters/botapi/errors.py)."""

from __future__ import annotations

import datetime as dtm
import logging
import warnings
from collections.abc import Sequence
from typing import Any

from telegram import Bot
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TelegramError,
)
from telegram.request import HTTPXRequest
from telegram.warnings import PTBDeprecationWarning

from bot.adapters.botapi.errors import Failure, Kind
from bot.settings import Settings

# python-telegram-bot logs every call's URL (the token is in it) and parameters (people's
# messages) at DEBUG, and httpx every request's URL at INFO: kept out of the logs whatever
# LOG_LEVEL says. Failures still reach the log through the adapter, without the token.
for _name, _level in (("telegram", logging.INFO), ("httpx", logging.WARNING)):
    logging.getLogger(_name).setLevel(_level)
logging.getLogger("httpcore").setLevel(logging.INFO)

# 22.x warns, as it builds every RetryAfter, that `retry_after` becomes a timedelta in a later
# major version; `_seconds` reads either, so the warning says nothing to an operator.
warnings.filterwarnings("ignore", message=".*`retry_after`.*", category=PTBDeprecationWarning)

# Connections for the senders (the outbox's, the bulk sender's and every update's replies).
POOL_SIZE = 64
# Seconds a call may take to answer, beyond a long poll's own wait.
READ_TIMEOUT = 10.0


class CourtyardBot(Bot):
    """The library's Bot, with getUpdates answered as the Bot API's JSON: each update is
    stored as it came and read on its own (one the reader cannot read is skipped, not the
    batch)."""

    async def open(self) -> None:
        """Opens the HTTP clients without asking Telegram anything (`initialize` also calls
        getMe)."""
        for request in self._request:
            await request.initialize()

    async def close_session(self) -> None:
        """Closes the HTTP clients (`shutdown` skips a Bot never `initialize`d)."""
        for request in self._request:
            await request.shutdown()

    async def get_raw_updates(
        self, *, offset: int | None, wait: int, allowed_updates: Sequence[str]
    ) -> list[Any]:
        """getUpdates as plain objects, held open up to `wait` seconds while there is nothing
        new; `offset` confirms every update below it."""
        result = await self._post(
            "getUpdates",
            {"offset": offset, "timeout": wait, "allowed_updates": list(allowed_updates)},
            # The request may take the whole long poll, plus an ordinary call's time.
            read_timeout=READ_TIMEOUT + wait,
        )
        return list(result) if isinstance(result, list) else []


def create_bot(settings: Settings) -> CourtyardBot:
    """The Bot on TELEGRAM_API_BASE: Telegram's server, or a self-hosted Bot API server.
    Texts go out as written (no parse mode): a resident's "<3" or "*urgent*" is not markup."""
    if settings.telegram_bot_token is None:
        raise ValueError("TELEGRAM_BOT_TOKEN is not set")
    base = settings.telegram_api_base
    return CourtyardBot(
        settings.telegram_bot_token.get_secret_value(),
        base_url=f"{base}/bot",
        base_file_url=f"{base}/file/bot",
        request=HTTPXRequest(connection_pool_size=POOL_SIZE, read_timeout=READ_TIMEOUT),
        get_updates_request=HTTPXRequest(connection_pool_size=1, read_timeout=READ_TIMEOUT),
    )


def failure_of(exc: BaseException) -> Failure:
    """python-telegram-bot's exception described for the shared error taxonomy."""
    if isinstance(exc, RetryAfter):
        return Failure(Kind.FLOOD, exc.message, retry_after=_seconds(exc))
    if isinstance(exc, ChatMigrated):
        return Failure(Kind.MIGRATED, exc.message, migrate_to=exc.new_chat_id)
    if isinstance(exc, Forbidden):
        return Failure(Kind.FORBIDDEN, exc.message)
    if isinstance(exc, InvalidToken):
        return Failure(Kind.UNAUTHORIZED, exc.message)
    if isinstance(exc, BadRequest):
        return Failure(Kind.REFUSED, exc.message)
    if isinstance(exc, NetworkError):
        # 5xx answers, timeouts and connections that failed all arrive as NetworkError.
        return Failure(Kind.TRANSIENT, exc.message)
    if isinstance(exc, TelegramError):
        return Failure(Kind.REFUSED, exc.message)
    if isinstance(exc, TimeoutError | OSError):
        return Failure(Kind.TRANSIENT, type(exc).__name__)
    return Failure(Kind.UNKNOWN, type(exc).__name__)


def _seconds(exc: RetryAfter) -> float:
    value = exc.retry_after
    return value.total_seconds() if isinstance(value, dtm.timedelta) else float(value)
