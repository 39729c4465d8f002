"""Logging set-up. The bot token never reaches a log line, not even inside a request URL."""

from __future__ import annotations

import logging
import re
import secrets

# Telegram tokens look like 123456789:AA...; they also appear in Bot API URLs as /bot<token>/.
TOKEN_PATTERN = re.compile(r"\d{5,}:[A-Za-z0-9_-]{20,}")
REDACTED = "<token>"


class RedactTokens(logging.Filter):
    """Rewrites every record so that neither the configured token nor anything shaped like a
    token remains in its message or arguments."""

    def __init__(self, secrets_to_hide: list[str] | None = None) -> None:
        super().__init__()
        self._secrets = [s for s in (secrets_to_hide or []) if s]

    def _clean(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, REDACTED)
        return TOKEN_PATTERN.sub(REDACTED, text)

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = self._clean(message)
        if record.exc_info and record.exc_info[1] is not None:
            # Format the traceback now, redacted, and drop the live exception object.
            record.exc_text = self._clean(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
        record.msg, record.args = cleaned, None
        return True


def configure_logging(level: str = "INFO", *, hide: list[str] | None = None) -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(RedactTokens(hide))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # aiohttp and aiogram log request URLs at debug level; keep them quieter by default.
    logging.getLogger("aiogram.event").setLevel(max(root.level, logging.INFO))
    # Alembic narrates every plugin it loads at INFO; only its warnings matter to operators.
    logging.getLogger("alembic").setLevel(max(root.level, logging.WARNING))


def new_reference() -> str:
    """A short id that ties an apology shown to a user to the log line with the details."""
    return secrets.token_hex(4).upper()
