"""`courtyard demo` and `courtyard chat`: the console, on the configured database."""

from __future__ import annotations

import argparse
import asyncio
import sys

from sqlalchemy import select

from bot.adapters.console import ConsoleChat, ConsoleTransport, Persona, stdout_writer
from bot.app import build_engine, open_services, start_scheduler
from bot.i18n import translate
from bot.redis_client import RedisUnavailable
from bot.services import Services
from bot.settings import Settings
from storage import demo as demo_data
from storage.migrate import SchemaOutOfDate, upgrade
from storage.models import ChatBinding, ChatPurpose


async def demo(args: argparse.Namespace, settings: Settings) -> int:
    """Seeds the demo compound (idempotent) and opens the console chat on it."""
    await upgrade(settings.database_url)
    try:
        services = await open_services(settings)
    except RedisUnavailable as exc:
        print(f"courtyard: {exc}", file=sys.stderr)
        return 2
    try:
        async with services.db.write() as session:
            summary = await demo_data.seed_demo(session, now=services.clock())
        if args.seed_only:
            print(f"demo compound {summary.compound.code!r} ready: {summary.units} units")
            return 0
        print(translate(settings.default_locale, "console-banner", code=summary.invite_code))
        return await _chat(services, persona=Persona(user_id=1001, name="王芳", lang="zh"))
    finally:
        await services.aclose()


async def chat(args: argparse.Namespace, settings: Settings) -> int:
    """The console chat on whatever the database holds."""
    try:
        services = await open_services(settings)
    except (SchemaOutOfDate, RedisUnavailable) as exc:
        print(f"courtyard: {exc}", file=sys.stderr)
        return 2
    try:
        user = args.as_user if args.as_user is not None else 1001
        return await _chat(services, persona=Persona(user_id=user), jsonl=args.jsonl)
    finally:
        await services.aclose()


async def _chat(services: Services, *, persona: Persona, jsonl: bool = False) -> int:
    transport = ConsoleTransport(write=stdout_writer(), jsonl=jsonl)
    async with services.db.read() as session:
        bindings = (await session.scalars(select(ChatBinding))).all()
    staff_chats = {b.chat_id: b.title for b in bindings if b.purpose is ChatPurpose.STAFF}
    transport.chat_names.update({b.chat_id: b.title or str(b.chat_id) for b in bindings})
    engine = build_engine(services, transport)
    # What a killed earlier session still owed goes out first.
    await engine.outbox.release_claims()
    await engine.outbox.deliver_due()
    scheduler = await start_scheduler(services, engine)
    console = ConsoleChat(engine, services, transport, persona=persona, staff_chats=staff_chats)
    stop = asyncio.Event()
    bulk = asyncio.create_task(engine.bulk.run(stop))
    try:
        await console.run(sys.stdin)
    finally:
        stop.set()
        await bulk
        await scheduler.stop()
    return 0
