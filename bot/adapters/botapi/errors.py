"""What a failed Bot API call means for the message, whichever library made the call.

Each adapter describes its library's exception as a `Failure` (`failure_of` in the adapter);
`outcome` turns it into what the outbox (bot/engine/outbox.py) does with the message:
- 403 (the user blocked the bot, or it was removed from the group): `Undeliverable(blocked)`;
- 400 with a reason (a message Telegram will never accept): `Undeliverable(reason)`;
- 429: `RetryLater(delay=retry_after)`, however long Telegram asks to wait;
- 5xx, a network failure, a timeout: `RetryLater`, the outbox backs off.
Reasons are logged and kept without the token.
"""

from __future__ import annotations

import enum
import logging
import re
from dataclasses import dataclass

from bot.adapters.botapi.limits import redact
from bot.engine.replies import RetryLater, Undeliverable

log = logging.getLogger(__name__)

NOT_MODIFIED = "message is not modified"
# What a bot token looks like: the bot's id, a colon, the secret part (no spaces).
TOKEN_SHAPE = re.compile(r"\d+:\S+")


class Kind(enum.Enum):
    FLOOD = "flood"  # 429: wait retry_after
    FORBIDDEN = "forbidden"  # 403: the chat refuses the bot
    REFUSED = "refused"  # 400 and other answers that will not change
    UNAUTHORIZED = "unauthorized"  # 401: the token
    TRANSIENT = "transient"  # 5xx, network, timeout: try again
    MIGRATED = "migrated"  # the group became a supergroup: send there
    UNKNOWN = "unknown"  # not a Bot API failure at all: a bug, retried a few times


@dataclass(frozen=True, slots=True)
class Failure:
    """A failed call, described without its library."""

    kind: Kind
    description: str
    retry_after: float | None = None
    migrate_to: int | None = None

    @property
    def not_modified(self) -> bool:
        """An edit that asked for the text the message has already (a button pressed twice).
        Libraries word Telegram's description differently ("Bad Request: message is not..."
        or "Message is not..."), so the case is ignored."""
        return self.kind is Kind.REFUSED and NOT_MODIFIED in self.description.lower()


def outcome(failure: Failure, what: str, token: str) -> RetryLater | Undeliverable:
    """What the outbox should do with a message whose call failed with `failure`."""
    reason = redact(failure.description, token)
    if failure.kind is Kind.FLOOD:
        log.warning("%s: Telegram asks to wait %s s", what, failure.retry_after)
        return RetryLater("flood wait (429)", delay=failure.retry_after)
    if failure.kind is Kind.FORBIDDEN:
        log.info("%s refused: %s", what, reason)
        return Undeliverable(reason, blocked=True)
    if failure.kind is Kind.TRANSIENT:
        log.warning("%s not sent, will retry: %s", what, reason)
        return RetryLater(reason)
    if failure.kind in (Kind.REFUSED, Kind.UNAUTHORIZED, Kind.MIGRATED):
        log.warning("%s refused for good: %s", what, reason)
        return Undeliverable(reason)
    log.error("%s failed: %s", what, reason)
    return RetryLater(reason)


class ConnectFailed(Exception):
    """The bot could not start talking to Telegram: `unauthorized` when the token was refused
    (401), otherwise the Bot API did not answer as one (reason without the token)."""

    def __init__(self, reason: str, *, unauthorized: bool = False) -> None:
        super().__init__(reason)
        self.reason, self.unauthorized = reason, unauthorized


def looks_like_token(token: str) -> bool:
    """Whether `token` can be a bot token at all (Telegram says whether it is one)."""
    return TOKEN_SHAPE.fullmatch(token) is not None


class CallFailed(Exception):
    """A Bot API call failed; `failure` says how (raised by an adapter's small helpers that
    shared code calls, such as the command menu's)."""

    def __init__(self, failure: Failure) -> None:
        super().__init__(failure.description)
        self.failure = failure
