"""The application factory: everything is wired here, from settings, and nowhere on import.

Tests call the same functions with test settings.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from sqlalchemy import select

from bot.engine.engine import Engine
from bot.engine.outbox import Transport
from bot.engine.registry import Flows
from bot.redis_client import connect_redis, redis_client
from bot.scheduler import DeadlineScheduler
from bot.services import Services
from bot.settings import Settings
from handlers import drafts, menu
from handlers.complaints import flow as complaints
from handlers.emergencies import broadcast as emergency_broadcast
from handlers.emergencies import flow as emergencies
from handlers.emergencies import rollcall
from handlers.events import flow as events
from handlers.faq import flow as faq
from handlers.fees import flow as fees
from handlers.inquiries import flow as inquiries
from handlers.my_cases import flow as my_cases
from handlers.notices import flow as notices
from handlers.onboarding import binding
from handlers.onboarding import flow as onboarding
from handlers.repairs import flow as repairs
from handlers.staff import casework, chats, compound_values, team
from knowledge.router import Routers
from storage import fee_settings
from storage.db import Database
from storage.migrate import require_current
from storage.models import Person
from storage.reach import check_database

if TYPE_CHECKING:
    from redis.asyncio import Redis

log = logging.getLogger(__name__)


def build_flows() -> Flows:
    """Every flow of the product, registered in one place."""
    flows = Flows()
    for module in (
        menu,
        drafts,
        onboarding,
        binding,
        team,
        compound_values,
        chats,
        casework,
        inquiries,
        emergencies,
        emergency_broadcast,
        rollcall,
        repairs,
        complaints,
        my_cases,
        notices,
        events,
        fees,
        faq,
    ):
        module.register(flows)
    return flows


async def open_services(settings: Settings, *, check_schema: bool = True) -> Services:
    """Connects to the store, and to Redis when REDIS_URL is set, and builds the services.

    Refuses a database it cannot reach or write (`DatabaseUnavailable`), an out-of-date
    schema (`SchemaOutOfDate`) and a Redis that does not answer (`RedisUnavailable`). Close
    the result with `await services.aclose()`.
    """
    await check_database(settings.database_url)
    db = Database(settings.database_url)
    redis: Redis | None = None
    try:
        if check_schema:
            await require_current(db.write_engine)
        if settings.redis_url:
            redis = await connect_redis(settings.redis_url)
        services = Services(settings=settings, db=db, flows=build_flows(), redis=redis)
        # The knowledge-base index is built now, once, not on the first resident's message.
        services.router = Routers(settings.kb_local_dir)
        services.router.warm()
        await _ensure_managers(services)
    except BaseException:
        if redis is not None:
            await redis.aclose()
        await db.dispose()
        raise
    return services


async def _ensure_managers(services: Services) -> None:
    """Managers listed in MANAGER_IDS exist from the first start, before they ever write."""
    ids = services.settings.manager_ids
    if not ids:
        return
    async with services.db.write() as session:
        known = set(
            await session.scalars(select(Person.telegram_id).where(Person.telegram_id.in_(ids)))
        )
        for telegram_id in sorted(ids - known):
            session.add(Person(telegram_id=telegram_id, name=""))


def build_engine(services: Services, transport: Transport) -> Engine:
    """The engine over the services. With REDIS_URL set, one user's events are handled one at
    a time across every process sharing that Redis, not only within this one."""
    if not services.settings.redis_url:
        return Engine(services, transport)
    from bot.engine.redis_ordering import RedisKeyedLocks

    if services.redis is None:
        # Services built by hand rather than by open_services: connect on first use; the
        # client is closed with the services (`aclose`).
        services.redis = redis_client(services.settings.redis_url)
    return Engine(services, transport, locks=RedisKeyedLocks(services.redis))


async def start_scheduler(services: Services, engine: Engine) -> DeadlineScheduler:
    """Starts the deadline scheduler over the store and lets the engine arm new deadlines.

    Call it once the engine is built, inside the running event loop; `await scheduler.stop()`
    on the way out."""
    # APScheduler narrates every job it adds and runs at INFO; the scheduler logs what it
    # fires itself, so only APScheduler's warnings are of use to an operator.
    logging.getLogger("apscheduler").setLevel(max(logging.getLogger().level, logging.WARNING))
    async with services.db.write() as session:
        # Compounds with bills remind households daily (handlers/fees/reminders.py).
        await fee_settings.schedule_all_reminders(session, services.clock())
    scheduler = DeadlineScheduler(engine)
    await scheduler.start()
    services.timers = scheduler
    return scheduler
