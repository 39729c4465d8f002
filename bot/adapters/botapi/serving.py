"""What `courtyard run` needs of a Telegram adapter (`Served`), and the parts of serving that do
not depend on the library: the team's menus, the senders, the recovery of stored updates, and
waiting for updates in progress at shutdown.

Nothing lost to a crash: Telegram's updates go through the inbox, replies through the outbox.
- Polling stores each batch in the inbox before asking for the next one (which confirms the
  batch to Telegram), and the webhook stores the update before it answers 200. The engine
  marks an update handled with what handling it changed.
- At start, before polling or the webhook take anything new, the updates a killed process
  stored and never handled are handled, oldest first (`recover`); then the outbox delivers,
  and keeps delivering, whatever is owed (`bot/engine/outbox.py`), and the bulk sender sends
  the broadcasts (`bot/engine/bulk.py`) (`Senders`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import TYPE_CHECKING, Any, Protocol

from sqlalchemy import select

from bot.adapters.botapi.menus import MenuApi, register_commands, register_team_commands
from bot.engine.engine import Engine
from bot.engine.inbox import Inbox
from bot.services import Services
from storage.models import ChatBinding, ChatPurpose, Person, StaffMember, StaffRole

if TYPE_CHECKING:
    from aiohttp import web

log = logging.getLogger(__name__)

# How long shutdown waits for updates already being handled (a reply half-sent, a commit).
DRAIN_TIMEOUT = 10.0


class Served(Protocol):
    """One bot token served through one Telegram library."""

    services: Services
    engine: Engine

    @property
    def library(self) -> str:
        """The library and its version, for the start-up log line."""
        ...

    async def connect(self) -> str | None:
        """Asks Telegram who the bot is (checking the token) and sets the command menus;
        returns the bot's username. Raises `ConnectFailed`."""
        ...

    async def serve_polling(
        self, *, handle_signals: bool = True, polling_timeout: int = 30
    ) -> None:
        """Long polling until SIGINT or SIGTERM (or `stop_polling`); the inbox is recovered
        first, the senders run meanwhile, updates in progress finish before it returns."""
        ...

    async def stop_polling(self) -> None: ...

    def webhook_app(self, *, path: str, secret: str) -> web.Application:
        """The aiohttp application Telegram posts updates to, behind its secret header."""
        ...

    async def startup(self) -> None:
        """Webhook mode, before listening: recovery and the senders."""
        ...

    async def shutdown(self) -> None:
        """Webhook mode, after listening: updates in progress finish, the senders stop."""
        ...

    async def set_webhook(self, url: str, *, secret: str) -> None:
        """Raises `ConnectFailed` when Telegram refuses it."""
        ...

    async def close(self) -> None:
        """Closes the library's HTTP session (last, after the database work is done)."""
        ...


async def team(services: Services) -> tuple[list[int], list[tuple[int, bool]]]:
    """The staff chats, and every staff member and manager as (Telegram id, is manager)."""
    async with services.db.read() as session:
        chats = list(
            await session.scalars(
                select(ChatBinding.chat_id).where(ChatBinding.purpose == ChatPurpose.STAFF)
            )
        )
        rows = await session.execute(
            select(Person.telegram_id, StaffMember.role)
            .join(StaffMember, StaffMember.person_id == Person.id)
            .where(StaffMember.active.is_(True), Person.telegram_id.is_not(None))
        )
        managers: dict[int, bool] = {}
        for telegram_id, role in rows:
            if telegram_id is None:
                continue
            managers[telegram_id] = managers.get(telegram_id, False) or role is StaffRole.MANAGER
    for telegram_id in services.settings.manager_ids:
        managers[telegram_id] = True
    return chats, sorted(managers.items())


async def set_menus(services: Services, api: MenuApi) -> None:
    """Everyone's menus, then the staff chats' and the team's."""
    locale = services.settings.default_locale
    await register_commands(api, services.flows, default_locale=locale)
    staff_chats, people = await team(services)
    await register_team_commands(
        api, services.flows, default_locale=locale, staff_chats=staff_chats, team=people
    )


async def recover(
    engine: Engine, inbox: Inbox, handle: Callable[[dict[str, Any]], Awaitable[None]]
) -> None:
    """Handles, oldest first, the updates a killed predecessor stored and never handled."""
    if not engine.services.settings.redis_url:
        # The only process: every claim on an outbox row was its killed predecessor's.
        await engine.outbox.release_claims()
    left = await inbox.pending()
    if left:
        log.info("handling %d update(s) stored before the last stop", len(left))
    for payload in left:
        await handle(payload)
    await inbox.prune()


class Senders:
    """The outbox's sender and the bulk sender, running while the bot serves."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._stop = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []

    def start(self) -> None:
        self._stop.clear()
        self._tasks = [
            asyncio.create_task(self.engine.outbox.run(self._stop)),
            asyncio.create_task(self.engine.bulk.run(self._stop)),
        ]

    async def stop(self) -> None:
        """Stops the senders after their current round; what is still owed (a broadcast half
        sent included) waits for the next start."""
        self._stop.set()
        for task in self._tasks:
            with contextlib.suppress(Exception):
                await task
        self._tasks = []


class Inflight:
    """Counts updates being handled, so that shutdown waits for them instead of closing the
    database under a reply."""

    def __init__(self, *, grace: float = DRAIN_TIMEOUT) -> None:
        self.grace = grace
        self.count = 0
        self._idle = asyncio.Event()
        self._idle.set()

    @contextlib.asynccontextmanager
    async def track(self) -> AsyncIterator[None]:
        self.count += 1
        self._idle.clear()
        try:
            yield
        finally:
            self.count -= 1
            if not self.count:
                self._idle.set()

    async def drain(self) -> None:
        """Waits, at most `grace` seconds, until no update is being handled."""
        if self.count:
            log.info("letting %s update(s) in progress finish", self.count)
        try:
            await asyncio.wait_for(self._idle.wait(), self.grace)
        except TimeoutError:
            log.warning("%s update(s) still in progress at shutdown", self.count)


@contextlib.asynccontextmanager
async def stop_on_signals() -> AsyncIterator[asyncio.Event]:
    """An event set by SIGINT or SIGTERM while the block runs."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    signals = (signal.SIGINT, signal.SIGTERM)

    def on_signal(received: signal.Signals) -> None:
        log.info("received %s: shutting down", received.name)
        stop.set()

    # Windows has no loop signal handlers; there Ctrl+C ends the process through the CLI.
    with contextlib.suppress(NotImplementedError):
        for sig in signals:
            loop.add_signal_handler(sig, on_signal, sig)
    try:
        yield stop
    finally:
        with contextlib.suppress(NotImplementedError):
            for sig in signals:
                loop.remove_signal_handler(sig)
