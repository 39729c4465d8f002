"""The long-lived things a handler may need, built once by the application factory."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

from bot.settings import Settings
from storage.db import Database
from storage.models import utcnow

if TYPE_CHECKING:
    from redis.asyncio import Redis

    from bot.engine.registry import Flows
    from knowledge.router import Routers


class Timers(Protocol):
    """Arms a timed step stored as a row; the row, not the timer, is the source of truth."""

    def arm(self, row_id: int, due_at: datetime) -> None: ...

    def arm_job(self, row_id: int, due_at: datetime) -> None: ...


@dataclass(slots=True)
class Services:
    settings: Settings
    db: Database
    flows: Flows
    clock: Callable[[], datetime] = utcnow
    # The messenger's name for the bot, for deep links (t.me/<name>?start=...).
    bot_username: str = "courtyard_bot"
    # The deadline scheduler, once the application has started one.
    timers: Timers | None = None
    # The shared Redis client when REDIS_URL is set (several bot processes); None otherwise.
    redis: Redis | None = None
    # The knowledge-base routers (per compound), built at start-up by open_services.
    router: Routers | None = None
    # Optional parts that later flows attach (knowledge router, scheduler, ...).
    extras: dict[str, Any] = field(default_factory=dict)

    def deep_link(self, payload: str) -> str:
        return f"https://t.me/{self.bot_username}?start={payload}"

    async def aclose(self) -> None:
        """Closes the connections the services opened: Redis (if any), then the database."""
        try:
            if self.redis is not None:
                await self.redis.aclose()
        finally:
            await self.db.dispose()
