"""The application factory: everything is wired here, from settings, and nowhere on import.

Tests call the same functions with test settings.
"""

from __future__ import annotations

import logging

from sqlalchemy import select

from bot.engine.engine import Engine, Transport
from bot.engine.registry import Flows
from bot.services import Services
from bot.settings import Settings
from handlers import common, inquiries, onboarding, staff_admin, staff_cases
from storage.db import Database
from storage.migrate import require_current
from storage.models import Person

log = logging.getLogger(__name__)


def build_flows() -> Flows:
    """Every flow of the product, registered in one place."""
    flows = Flows()
    for module in (common, onboarding, staff_admin, staff_cases, inquiries):
        module.register(flows)
    return flows


async def open_services(settings: Settings, *, check_schema: bool = True) -> Services:
    """Connects to the store and builds the services; refuses an out-of-date schema."""
    db = Database(settings.database_url)
    try:
        if check_schema:
            await require_current(db.write_engine)
        services = Services(settings=settings, db=db, flows=build_flows())
        await _ensure_managers(services)
    except BaseException:
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
    return Engine(services, transport)
