"""Engine benchmark (issue 2): the full engine behind the real aiogram dispatcher, against bare
aiogram echo handling of the very same updates, in the same run.

    .venv/bin/python bench/engine.py [--users 1000] [--concurrency 50] [--sweep 1,5]

Each of the distinct users sends a realistic mix: /start, a knowledge-base question in private,
a question addressed to the bot in the compound's group, group chatter not addressed to it, and
the multi-step request to link a home (button press, unit, role press, name), which posts a card
to the staff chat. Both runs use one in-memory Bot API session (no network), so the figures are
what the dispatcher and the handlers cost, not loopback HTTP. Prints updates per second for
both, their ratio, p50/p99 latency per update and peak RSS; then the engine's p50/p99 with
fewer residents in flight (`--sweep`), closer to what one compound sends.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import resource
import statistics
import sys
import tempfile
import time
from collections.abc import AsyncGenerator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from aiogram import Bot, Dispatcher, F, Router
from aiogram.client.session.base import BaseSession
from aiogram.methods import AnswerCallbackQuery, EditMessageText, GetMe, TelegramMethod
from aiogram.types import CallbackQuery, Message, Update

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.adapters.botapi.pacing import Pacer  # noqa: E402
from bot.adapters.telegram.factory import assemble  # noqa: E402
from bot.app import open_services  # noqa: E402
from bot.settings import Settings  # noqa: E402
from storage import demo  # noqa: E402
from storage.migrate import upgrade  # noqa: E402

BOT_ID = 424242
TOKEN = f"{BOT_ID}:BENCHbenchBENCHbenchBENCHbench12345"
BOT_NAME = "courtyard_bench_bot"
GROUP = demo.RESIDENT_GROUP_ID
FIRST_USER = 700_000
QUESTIONS = (
    "物业费怎么交",
    "装修几点可以施工",
    "门禁卡丢了怎么补办",
    "how do I pay the property fee",
)


class MemorySession(BaseSession):
    """Answers Bot API calls in memory the way Telegram would, and keeps what was sent."""

    def __init__(self) -> None:
        super().__init__()
        self.ids = itertools.count(1)
        self.last_markup: dict[int, Any] = {}
        self.sent = 0

    async def make_request(
        self,
        bot: Bot,
        method: TelegramMethod[Any],
        timeout: int | None = None,  # noqa: ASYNC109
    ) -> Any:
        if isinstance(method, GetMe):
            return method.__returning__.model_validate(
                {"id": BOT_ID, "is_bot": True, "first_name": "Courtyard", "username": BOT_NAME}
            )
        if isinstance(method, AnswerCallbackQuery):
            return True
        chat_id = int(getattr(method, "chat_id", 0) or 0)
        if isinstance(method, EditMessageText):
            return True
        self.sent += 1
        markup = getattr(method, "reply_markup", None)
        if markup is not None:
            self.last_markup[chat_id] = markup
        return Message.model_validate(
            {
                "message_id": next(self.ids),
                "date": int(time.time()),
                "chat": {"id": chat_id, "type": "private" if chat_id > 0 else "supergroup"},
                "text": getattr(method, "text", "") or "",
            }
        )

    async def stream_content(self, *args: Any, **kwargs: Any) -> AsyncGenerator[bytes, None]:
        raise NotImplementedError
        yield b""  # pragma: no cover

    async def close(self) -> None:
        return None


class Updates:
    """Builds Telegram updates the way Telegram would send them."""

    def __init__(self) -> None:
        self.ids = itertools.count(1)

    def _user(self, user: int) -> dict[str, Any]:
        return {
            "id": user,
            "is_bot": False,
            "first_name": f"居民{user % 1000}",
            "language_code": "zh",
        }

    def message(self, user: int, text: str, *, group: bool = False) -> Update:
        chat = (
            {"id": GROUP, "type": "supergroup", "title": "阳光花园业主群"}
            if group
            else {"id": user, "type": "private", "first_name": "居民"}
        )
        entities = []
        if text.startswith("/"):
            entities.append({"type": "bot_command", "offset": 0, "length": len(text.split()[0])})
        mention = f"@{BOT_NAME}"
        if mention in text:
            entities.append(
                {"type": "mention", "offset": text.index(mention), "length": len(mention)}
            )
        payload = {
            "message_id": next(self.ids),
            "date": int(datetime.now(UTC).timestamp()),
            "chat": chat,
            "from": self._user(user),
            "text": text,
        }
        if entities:
            payload["entities"] = entities
        return Update.model_validate({"update_id": next(self.ids), "message": payload})

    def press(self, user: int, data: str) -> Update:
        return Update.model_validate(
            {
                "update_id": next(self.ids),
                "callback_query": {
                    "id": str(next(self.ids)),
                    "from": self._user(user),
                    "chat_instance": "bench",
                    "data": data,
                    "message": {
                        "message_id": next(self.ids),
                        "date": int(time.time()),
                        "chat": {"id": user, "type": "private"},
                        "from": {"id": BOT_ID, "is_bot": True, "first_name": "Courtyard"},
                        "text": "…",
                    },
                },
            }
        )


def button(session: MemorySession, chat: int, label_part: str, fallback: str) -> str:
    """The data of the newest button in `chat` whose label contains `label_part`."""
    markup = session.last_markup.get(chat)
    for row in markup.inline_keyboard if markup else []:
        for b in row:
            if label_part in b.text and b.callback_data:
                return b.callback_data
    return fallback


async def user_script(
    index: int, dp: Dispatcher, bot: Bot, session: MemorySession, updates: Updates
) -> list[float]:
    """One resident's messages, in order; returns the latency of each update."""
    user = FIRST_USER + index
    unit = f"{1 + index % 3}-{1 + index % 2}-{1 + index % 12:02d}{1 + index % 2:02d}"
    timings: list[float] = []

    async def feed(update: Update) -> None:
        start = time.perf_counter()
        await dp.feed_update(bot, update)
        timings.append(time.perf_counter() - start)

    await feed(updates.message(user, "/start"))
    await feed(updates.message(user, QUESTIONS[index % len(QUESTIONS)]))
    await feed(updates.message(user, f"@{BOT_NAME} 垃圾分类几点投放", group=True))
    await feed(updates.message(user, "今天天气不错，大家出去走走", group=True))
    await feed(updates.press(user, button(session, user, "申请", "ob:request")))
    await feed(updates.message(user, unit))
    await feed(updates.press(user, button(session, user, "业主", "or:owner:x")))
    await feed(updates.message(user, f"居民{index}"))
    return timings


def echo_dispatcher() -> Dispatcher:
    """Bare aiogram: echo every text, answer every press."""
    router = Router()

    @router.message(F.text)
    async def echo(message: Message) -> None:
        await message.answer(message.text or "")

    @router.callback_query()
    async def pressed(callback: CallbackQuery) -> None:
        await callback.answer()

    dp = Dispatcher(disable_fsm=True)
    dp.include_router(router)
    return dp


async def run(
    dp: Dispatcher,
    bot: Bot,
    session: MemorySession,
    users: int,
    concurrency: int,
    *,
    first: int = 0,
):
    """Runs `users` residents' scripts, `concurrency` residents at a time; users are numbered
    from `first`, so that a later run meets residents new to the store as the first did."""
    updates = Updates()
    gate = asyncio.Semaphore(concurrency)
    timings: list[float] = []

    async def one(index: int) -> None:
        async with gate:
            timings.extend(await user_script(index, dp, bot, session, updates))

    started = time.perf_counter()
    await asyncio.gather(*(one(i) for i in range(first, first + users)))
    return timings, time.perf_counter() - started


def percentiles(timings: list[float]) -> tuple[float, float]:
    """p50 and p99 in milliseconds."""
    ordered = sorted(timings)
    return statistics.median(ordered) * 1000, ordered[int(len(ordered) * 0.99) - 1] * 1000


def report(name: str, timings: list[float], elapsed: float) -> float:
    rate = len(timings) / elapsed
    p50, p99 = percentiles(timings)
    print(
        f"{name:>22}: {len(timings)} updates in {elapsed:.2f} s = {rate:,.0f} updates/s, "
        f"p50 {p50:.2f} ms, p99 {p99:.2f} ms"
    )
    return rate


async def sweep(
    telegram: Any, session: MemorySession, levels: list[int], *, users: int, first: int
) -> None:
    """Latency of the engine with fewer residents writing at once than the throughput run.

    With 50 residents in flight an update mostly waits behind the 49 others' (queueing); with
    1 to 5 it costs about its own handling, which is what a resident of one compound sees.
    """
    for level in levels:
        timings, elapsed = await run(
            telegram.dispatcher, telegram.bot, session, users, level, first=first
        )
        first += users
        p50, p99 = percentiles(timings)
        print(
            f"{f'engine, {level} in flight':>22}: {len(timings) / elapsed:,.0f} updates/s, "
            f"p50 {p50:.2f} ms, p99 {p99:.2f} ms"
        )


async def main(users: int, concurrency: int, levels: list[int]) -> None:
    folder = Path(tempfile.mkdtemp(prefix="courtyard-bench-"))
    settings = Settings(
        _env_file=None,
        database_url=f"sqlite+aiosqlite:///{folder / 'bench.db'}",
        telegram_bot_token=TOKEN,
    )
    await upgrade(settings.database_url)
    services = await open_services(settings)
    async with services.db.write() as db_session:
        await demo.seed_demo(db_session, now=services.clock())

    echo_session = MemorySession()
    echo_bot = Bot(TOKEN, session=echo_session)
    echo_timings, echo_elapsed = await run(
        echo_dispatcher(), echo_bot, echo_session, users, concurrency
    )

    session = MemorySession()
    bot = Bot(TOKEN, session=session)
    services.bot_username = BOT_NAME
    # Telegram's 28 messages/s pacing is a network rule, not engine cost: off for the bench.
    telegram = assemble(services, bot)
    telegram.transport.pacer = Pacer(rate=1_000_000)
    # As in `courtyard run`: the outbox's sender delivers what an event could not at once
    # (a message queued behind an older one to the same chat, sent by another event).
    stop = asyncio.Event()
    sender = asyncio.create_task(telegram.engine.outbox.run(stop))
    engine_timings, engine_elapsed = await run(
        telegram.dispatcher, bot, session, users, concurrency
    )
    drain_started = time.perf_counter()
    while await telegram.engine.outbox.deliver_due():
        pass
    drained = time.perf_counter() - drain_started
    stop.set()
    await sender
    # Read now: the sweep's residents would add to the store and to the figure.
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    print(f"{users} users, {concurrency} at a time, SQLite at {folder}")
    echo_rate = report("bare aiogram echo", echo_timings, echo_elapsed)
    engine_rate = report("full engine", engine_timings, engine_elapsed)
    print(f"{'cost ratio':>22}: {echo_rate / engine_rate:.2f}x (engine time per update / echo)")
    print(
        f"{'messages sent':>22}: echo {echo_session.sent}, engine {session.sent} "
        f"(the outbox's last {drained * 1000:.0f} ms after the run included)"
    )
    print(f"{'peak RSS':>22}: {peak_mb:.0f} MB")
    if levels:
        await sweep(telegram, session, levels, users=min(users, 200), first=users)
    await services.aclose()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument(
        "--sweep",
        default="1,5",
        help="after the throughput run, engine latency with this many residents in flight "
        "(comma-separated; empty for none)",
    )
    args = parser.parse_args()
    levels = [int(level) for level in args.sweep.split(",") if level.strip()]
    asyncio.run(main(args.users, args.concurrency, levels))
