"""Engine benchmark (issues 2 and 14): the full engine behind each Telegram library's adapter,
against that library's bare echo handling of the very same updates, side by side.

    .venv/bin/python bench/engine.py [--users 1000] [--concurrency 50] [--sweep 1,5] [--json]

Each library runs in a process of its own (peak RSS is a process's), one after the other:
aiogram 3 (its dispatcher, as `courtyard run` with TELEGRAM_LIBRARY=aiogram) and
python-telegram-bot 22 (TELEGRAM_LIBRARY=ptb: the shared reader over the raw update; its bare
echo is an `Application` with an echo handler). `--library NAME` runs one in this process.

Each of the distinct users sends a realistic mix: /start, a knowledge-base question in private,
a question addressed to the bot in the compound's group, group chatter not addressed to it, and
the multi-step request to link a home (button press, unit, role press, name), which posts a card
to the staff chat. Both runs answer Bot API calls in memory (no network), so the figures are
what the library, the adapter and the handlers cost, not loopback HTTP. Prints updates per
second for both, their ratio in wall time and in CPU time, p50/p99 latency per update and peak
RSS; then the engine's p50/p99 with fewer residents in flight (`--sweep`), closer to what one
compound sends. With `--json` the last line is
`{"default": ..., "aiogram": {"cpu_ratio": X, "p99_ms_5": X, "rss_mb": X}, "ptb": {...}}`:
the leaner library (lower peak RSS) is named the default.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.adapters.botapi.pacing import Pacer  # noqa: E402
from bot.app import open_services  # noqa: E402
from bot.services import Services  # noqa: E402
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
LIBRARIES = ("aiogram", "ptb")
# Telegram's pacing (25 messages/s in all, one a second per private chat, one every three
# seconds per group) is a network rule, not engine cost: off for the bench.
UNPACED = {"rate": 1_000_000.0, "chat_burst": 1_000_000}
ME = {"id": BOT_ID, "is_bot": True, "first_name": "Courtyard", "username": BOT_NAME}
Feed = Callable[[dict[str, Any]], Awaitable[None]]


class Telegram:
    """Bot API calls answered in memory the way Telegram would; keeps what was sent."""

    def __init__(self) -> None:
        self.ids = itertools.count(1)
        self.last_markup: dict[int, list[list[dict[str, Any]]]] = {}
        self.sent = 0

    def answer(self, method: str, params: dict[str, Any]) -> Any:
        method = method.lower()
        if method == "getme":
            return ME
        if method in ("answercallbackquery", "editmessagetext", "deletewebhook"):
            return True
        chat_id = int(params.get("chat_id") or 0)
        self.sent += 1
        markup = params.get("reply_markup")
        if markup:
            self.last_markup[chat_id] = markup["inline_keyboard"]
        return {
            "message_id": next(self.ids),
            "date": int(time.time()),
            "chat": {"id": chat_id, "type": "private" if chat_id > 0 else "supergroup"},
            "text": params.get("text") or "",
        }


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

    def message(self, user: int, text: str, *, group: bool = False) -> dict[str, Any]:
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
        return {"update_id": next(self.ids), "message": payload}

    def press(self, user: int, data: str) -> dict[str, Any]:
        return {
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


def button(telegram: Telegram, chat: int, label_part: str, fallback: str) -> str:
    """The data of the newest button in `chat` whose label contains `label_part`."""
    for row in telegram.last_markup.get(chat, []):
        for b in row:
            if label_part in b.get("text", "") and b.get("callback_data"):
                return str(b["callback_data"])
    return fallback


async def user_script(index: int, feed: Feed, telegram: Telegram, updates: Updates) -> list[float]:
    """One resident's messages, in order; returns the latency of each update."""
    user = FIRST_USER + index
    unit = f"{1 + index % 3}-{1 + index % 2}-{1 + index % 12:02d}{1 + index % 2:02d}"
    timings: list[float] = []

    async def timed(update: dict[str, Any]) -> None:
        start = time.perf_counter()
        await feed(update)
        timings.append(time.perf_counter() - start)

    await timed(updates.message(user, "/start"))
    await timed(updates.message(user, QUESTIONS[index % len(QUESTIONS)]))
    await timed(updates.message(user, f"@{BOT_NAME} 垃圾分类几点投放", group=True))
    await timed(updates.message(user, "今天天气不错，大家出去走走", group=True))
    await timed(updates.press(user, button(telegram, user, "申请", "ob:request")))
    await timed(updates.message(user, unit))
    await timed(updates.press(user, button(telegram, user, "业主", "or:owner:x")))
    await timed(updates.message(user, f"居民{index}"))
    return timings


async def run(
    feed: Feed, telegram: Telegram, users: int, concurrency: int, *, first: int = 0
) -> tuple[list[float], float, float]:
    """Runs `users` residents' scripts, `concurrency` residents at a time; users are numbered
    from `first`, so that a later run meets residents new to the store as the first did.
    Returns the latencies, the wall time and the CPU time."""
    updates = Updates()
    gate = asyncio.Semaphore(concurrency)
    timings: list[float] = []

    async def one(index: int) -> None:
        async with gate:
            timings.extend(await user_script(index, feed, telegram, updates))

    started, cpu = time.perf_counter(), time.process_time()
    await asyncio.gather(*(one(i) for i in range(first, first + users)))
    return timings, time.perf_counter() - started, time.process_time() - cpu


# -- the libraries -------------------------------------------------------------------------
# Imported inside these functions on purpose: a run loads one library only, so that its peak
# RSS is its own.


async def aiogram_pair(services: Services) -> tuple[Feed, Telegram, Feed, Telegram, Any]:
    """(bare echo, its Telegram, the engine's adapter, its Telegram, the assembled bot)."""
    from collections.abc import AsyncGenerator

    from aiogram import Bot, Dispatcher, F, Router
    from aiogram.client.session.base import BaseSession
    from aiogram.methods import TelegramMethod
    from aiogram.types import CallbackQuery, Message, Update

    from bot.adapters.telegram.factory import assemble

    class MemorySession(BaseSession):
        def __init__(self, telegram: Telegram) -> None:
            super().__init__()
            self.telegram = telegram

        async def make_request(
            self,
            bot: Bot,
            method: TelegramMethod[Any],
            timeout: int | None = None,  # noqa: ASYNC109
        ) -> Any:
            markup = getattr(method, "reply_markup", None)
            params = {
                "chat_id": getattr(method, "chat_id", None),
                "text": getattr(method, "text", None),
                "reply_markup": markup.model_dump(exclude_none=True) if markup else None,
            }
            result = self.telegram.answer(type(method).__name__, params)
            if isinstance(result, dict) and method.__returning__ is not dict:
                return method.__returning__.model_validate(result)
            return result

        async def stream_content(self, *args: Any, **kwargs: Any) -> AsyncGenerator[bytes, None]:
            raise NotImplementedError
            yield b""  # pragma: no cover

        async def close(self) -> None:
            return None

    router = Router()

    @router.message(F.text)
    async def echo(message: Message) -> None:
        await message.answer(message.text or "")

    @router.callback_query()
    async def pressed(callback: CallbackQuery) -> None:
        await callback.answer()

    echo_dp = Dispatcher(disable_fsm=True)
    echo_dp.include_router(router)
    echo_telegram = Telegram()
    echo_bot = Bot(TOKEN, session=MemorySession(echo_telegram))

    async def feed_echo(raw: dict[str, Any]) -> None:
        await echo_dp.feed_update(echo_bot, Update.model_validate(raw, context={"bot": echo_bot}))

    telegram = Telegram()
    bot = Bot(TOKEN, session=MemorySession(telegram))
    served = assemble(services, bot)
    served.transport.pacer = Pacer(**UNPACED)  # type: ignore[arg-type]
    dispatcher = served.dispatcher

    async def feed_engine(raw: dict[str, Any]) -> None:
        await dispatcher.feed_update(bot, Update.model_validate(raw, context={"bot": bot}))

    return feed_echo, echo_telegram, feed_engine, telegram, served


async def ptb_pair(services: Services) -> tuple[Feed, Telegram, Feed, Telegram, Any]:
    """(bare echo, its Telegram, the engine's adapter, its Telegram, the assembled bot)."""
    from telegram import Bot, Update
    from telegram.ext import Application, CallbackQueryHandler, ContextTypes, MessageHandler
    from telegram.ext import filters as ptb_filters
    from telegram.request import BaseRequest, RequestData

    from bot.adapters.telegram_ptb.client import CourtyardBot
    from bot.adapters.telegram_ptb.serving import assemble

    class MemoryRequest(BaseRequest):
        def __init__(self, telegram: Telegram) -> None:
            self.telegram = telegram

        @property
        def read_timeout(self) -> float | None:
            return None

        async def initialize(self) -> None:
            return None

        async def shutdown(self) -> None:
            return None

        async def do_request(
            self,
            url: str,
            method: str,
            request_data: RequestData | None = None,
            read_timeout: Any = None,
            write_timeout: Any = None,
            connect_timeout: Any = None,
            pool_timeout: Any = None,
        ) -> tuple[int, bytes]:
            params = dict(request_data.parameters) if request_data else {}
            result = self.telegram.answer(url.rsplit("/", 1)[-1], params)
            return 200, json.dumps({"ok": True, "result": result}).encode()

    async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.message is not None
        await update.message.reply_text(update.message.text or "")

    async def pressed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.callback_query is not None
        await update.callback_query.answer()

    echo_telegram = Telegram()
    echo_bot = Bot(TOKEN, request=MemoryRequest(echo_telegram))
    app = Application.builder().bot(echo_bot).updater(None).build()
    app.add_handler(MessageHandler(ptb_filters.TEXT, echo))
    app.add_handler(CallbackQueryHandler(pressed))
    await app.initialize()

    async def feed_echo(raw: dict[str, Any]) -> None:
        await app.process_update(Update.de_json(raw, app.bot))

    telegram = Telegram()
    request = MemoryRequest(telegram)
    bot = CourtyardBot(TOKEN, request=request, get_updates_request=request)
    served = assemble(services, bot)
    served.transport.pacer = Pacer(**UNPACED)  # type: ignore[arg-type]
    served.bot_id = BOT_ID
    return feed_echo, echo_telegram, served.handle, telegram, served


# -- one library -----------------------------------------------------------------------------


def percentiles(timings: list[float]) -> tuple[float, float]:
    """p50 and p99 in milliseconds."""
    ordered = sorted(timings)
    return statistics.median(ordered) * 1000, ordered[int(len(ordered) * 0.99) - 1] * 1000


def report(name: str, timings: list[float], elapsed: float) -> float:
    rate = len(timings) / elapsed
    p50, p99 = percentiles(timings)
    print(
        f"{name:>26}: {len(timings)} updates in {elapsed:.2f} s = {rate:,.0f} updates/s, "
        f"p50 {p50:.2f} ms, p99 {p99:.2f} ms"
    )
    return rate


async def one_library(
    library: str, users: int, concurrency: int, levels: list[int]
) -> dict[str, float]:
    folder = Path(tempfile.mkdtemp(prefix="courtyard-bench-"))
    settings = Settings(
        _env_file=None,
        database_url=f"sqlite+aiosqlite:///{folder / 'bench.db'}",
        telegram_bot_token=TOKEN,
        telegram_library=library,
    )
    await upgrade(settings.database_url)
    services = await open_services(settings)
    async with services.db.write() as db_session:
        await demo.seed_demo(db_session, now=services.clock())
    services.bot_username = BOT_NAME

    pair = aiogram_pair if library == "aiogram" else ptb_pair
    feed_echo, echo_telegram, feed_engine, telegram, served = await pair(services)
    echo_timings, echo_elapsed, echo_cpu = await run(feed_echo, echo_telegram, users, concurrency)

    # As in `courtyard run`: the outbox's sender delivers what an event could not at once
    # (a message queued behind an older one to the same chat, sent by another event).
    stop = asyncio.Event()
    sender = asyncio.create_task(served.engine.outbox.run(stop))
    engine_timings, engine_elapsed, engine_cpu = await run(
        feed_engine, telegram, users, concurrency
    )
    drain_started = time.perf_counter()
    while await served.engine.outbox.deliver_due():
        pass
    drained = time.perf_counter() - drain_started
    stop.set()
    await sender
    # Read now: the sweep's residents would add to the store and to the figure.
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    name = served.library
    print(f"{name}: {users} users, {concurrency} at a time, SQLite at {folder}")
    echo_rate = report("bare echo", echo_timings, echo_elapsed)
    engine_rate = report("full engine", engine_timings, engine_elapsed)
    cpu_ratio = (engine_cpu / len(engine_timings)) / (echo_cpu / len(echo_timings))
    print(f"{'cost ratio':>26}: {echo_rate / engine_rate:.2f}x wall, {cpu_ratio:.2f}x CPU")
    print(
        f"{'messages sent':>26}: echo {echo_telegram.sent}, engine {telegram.sent} "
        f"(the outbox's last {drained * 1000:.0f} ms after the run included)"
    )
    print(f"{'peak RSS':>26}: {peak_mb:.0f} MB")
    figures = {
        "updates_per_s": round(engine_rate, 1),
        "echo_updates_per_s": round(echo_rate, 1),
        "cpu_ratio": round(cpu_ratio, 2),
        "rss_mb": round(peak_mb, 1),
    }
    first = users
    for level in levels:
        timings, elapsed, _ = await run(feed_engine, telegram, min(users, 200), level, first=first)
        first += min(users, 200)
        p50, p99 = percentiles(timings)
        print(
            f"{f'engine, {level} in flight':>26}: {len(timings) / elapsed:,.0f} updates/s, "
            f"p50 {p50:.2f} ms, p99 {p99:.2f} ms"
        )
        figures[f"p50_ms_{level}"] = round(p50, 2)
        figures[f"p99_ms_{level}"] = round(p99, 2)
    await services.aclose()
    return figures


# -- side by side ----------------------------------------------------------------------------


def side_by_side(args: argparse.Namespace) -> dict[str, dict[str, float]]:
    """Each library in a process of its own; its figures from its last line."""
    results: dict[str, dict[str, float]] = {}
    for library in LIBRARIES:
        command = [
            sys.executable,
            str(Path(__file__).resolve()),
            "--library",
            library,
            "--users",
            str(args.users),
            "--concurrency",
            str(args.concurrency),
            "--sweep",
            args.sweep,
            "--json",
        ]
        done = subprocess.run(command, capture_output=True, text=True, check=True)
        *lines, last = done.stdout.strip().splitlines()
        print("\n".join(lines))
        print()
        results[library] = json.loads(last)
    keys = sorted({key for figures in results.values() for key in figures})
    print(f"{'':>20} " + " ".join(f"{library:>10}" for library in LIBRARIES))
    for key in keys:
        print(f"{key:>20} " + " ".join(f"{results[lib].get(key, '-'):>10}" for lib in LIBRARIES))
    return results


def leaner(results: dict[str, dict[str, float]]) -> str:
    """The library with the lower peak RSS; the lower CPU ratio breaks a tie."""
    return min(LIBRARIES, key=lambda lib: (results[lib]["rss_mb"], results[lib]["cpu_ratio"]))


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--users", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument(
        "--sweep",
        default="1,5",
        help="after the throughput run, engine latency with this many residents in flight "
        "(comma-separated; empty for none)",
    )
    parser.add_argument("--library", choices=LIBRARIES, help="run this library only, here")
    parser.add_argument("--json", action="store_true", help="figures as JSON on the last line")
    args = parser.parse_args()
    levels = [int(level) for level in args.sweep.split(",") if level.strip()]
    if args.library:
        figures = asyncio.run(one_library(args.library, args.users, args.concurrency, levels))
        if args.json:
            print(json.dumps(figures))
        return
    results = side_by_side(args)
    if args.json:
        summary: dict[str, Any] = {"default": leaner(results)}
        for library in LIBRARIES:
            figures = results[library]
            summary[library] = {
                "cpu_ratio": figures["cpu_ratio"],
                "p99_ms_5": figures.get("p99_ms_5"),
                "rss_mb": figures["rss_mb"],
            }
        print(json.dumps(summary))


if __name__ == "__main__":
    main()
