"""Bench: mass delivery (issue 10) through the real sender against a fake Bot API that enforces
Telegram's flood limits; rate, losses and duplicates, a SIGKILL half way, two processes.

    .venv/bin/python -m bench.broadcast [--recipients 10000] [--limit 300] [--bulk-rate R]
                                        [--blocked 0.02] [--floods 3] [--latency 0.02]
                                        [--parts 1,2,3] [--quick] [--json] [--keep-logs DIR]

The sender runs as in production: `python -m bot run` (long polling) in a subprocess, its
TELEGRAM_API_BASE pointing at a fake Bot API server in this process (tests/telegram/fake_api.py,
over real HTTP, answering after `--latency` seconds as Telegram's round trip would). The fake
server enforces a global budget of `--limit` messages in any one second, one a second per
private chat (burst 3) and twenty a minute per group, answering 429 with `retry_after` past
them; `--blocked` of the recipients answer 403 (they blocked the bot), and `--floods` messages
spread over the run are answered 429 with retry_after 1 whatever the pace (Telegram does that
under load). The bot's SEND_RATE is `--bulk-rate` (default 97% of the limit).

Each part seeds a compound of `--recipients` residents (bench/world.py), opens one notice
broadcast with a progress message in a manager's private chat, and queues one message per
resident (bot/engine/bulk.py: `open_broadcast`, `queue`), all before the bot starts; then the
bot runs until `progress().done`.

1. SQLite, one process. Printed: the achieved rate as a share of the limit (messages and edits
   the server took or refused as blocked, from the first broadcast message to the last, per
   second, over the limit; `rate_share` leaves out the seconds Telegram's injected 429s told
   the sender to wait, `raw` keeps them), 429s by cause, losses (a resident not blocked who got
   nothing) and duplicates (messages to a resident beyond the first), residents marked blocked.
2. SQLite, killed with SIGKILL once half the residents got their message, then started again.
   In flight: broadcast messages the server had received (and not refused) when the kill was
   sent whose rows the killed sender had not yet recorded as sent (still pending in the
   database right after the kill); duplicates must stay within them.
3. PostgreSQL (a database created for the run and dropped afterwards, on the server of
   `COURTYARD_TEST_POSTGRES_URL`) and Redis (`--redis-url`): two bot processes share the outbox
   and the budget. Printed: their combined rate as a share of the limit, 429s for the global
   limit (0 when together they stay under it), duplicates, losses, messages sent by each.

Figures only, no timed assertions; exit status 0 when the bench ran, whatever it found, 2 when
it could not run. `--json` adds a last line `{"recipients": N, "rate_share": F, "lost": N,
"duplicates": N, "kill_lost": N, "kill_duplicates": N, "in_flight": N,
"two_process_duplicates": N, "two_process_rate_share": F}` (null for a part not run).
`--quick` is a small run (tests/bench/test_broadcast_bench.py runs it so the bench never rots).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import signal
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from sqlalchemy import func, select  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from bench.world import World, seed  # noqa: E402
from bot.engine import bulk  # noqa: E402
from bot.engine.replies import Send  # noqa: E402
from storage.db import Database  # noqa: E402
from storage.migrate import upgrade  # noqa: E402
from storage.models import (  # noqa: E402
    BroadcastKind,
    Compound,
    OutboxMessage,
    OutboxStatus,
    Person,
    utcnow,
)
from storage.repos import audience  # noqa: E402
from tests.telegram.fake_api import COUNTED, Call, FakeBotAPI, Limits  # noqa: E402

DEFAULT_PG_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/13"
TOKEN = "123456789:AAFakeTokenForCourtyardBroadcastBench"
RECIPIENTS, LIMIT, BLOCKED, FLOODS, LATENCY = 10_000, 300.0, 0.02, 3, 0.02
QUICK_RECIPIENTS, QUICK_LIMIT = 300, 100.0
# SEND_RATE as a share of the fake server's limit, unless --bulk-rate says otherwise.
MARGIN = 0.97
STARTUP_CAP = 60.0
# No broadcast message for this long while the broadcast is not done: the bench gives up on it
# (longer than the outbox's 60 s lease, which a killed process's claims may have to outlive).
STALL = 90.0


class BenchFailed(RuntimeError):
    """The bench could not run (not: the sender lost something)."""


@dataclass
class Part:
    """What one part measured."""

    name: str
    recipients: int = 0
    blocked: int = 0  # recipients whose chat answers 403
    delivered: int = 0  # recipients who got the message at least once
    lost: int = 0
    duplicates: int = 0
    marked_blocked: int = 0  # people the store marks blocked at the end
    progress: dict[str, int] = field(default_factory=dict)
    rate: float = 0.0  # messages a second, injected waits left out
    raw_rate: float = 0.0
    limit: float = 0.0
    too_many: Counter[str] = field(default_factory=Counter)
    in_flight: int | None = None
    by_process: list[int] = field(default_factory=list)
    seconds: float = 0.0
    # CPU seconds the bot processes and this process (the fake server) spent in the part:
    # near `seconds` each means the machine, not the sender, set the pace.
    bot_cpu: float = 0.0
    bench_cpu: float = 0.0
    bot_errors: int = 0
    finished: bool = True

    @property
    def rate_share(self) -> float:
        return self.rate / self.limit if self.limit else 0.0


@dataclass
class Options:
    recipients: int
    limit: float
    bulk_rate: float
    blocked: float
    floods: int
    latency: float
    pg_url: str
    redis_url: str
    workdir: Path


# -- set-up ------------------------------------------------------------------------------------


async def prepare(url: str, recipients: int) -> tuple[World, int]:
    """The schema by the migrations, the compound, and the broadcast queued; returns the world
    and the broadcast's id."""
    await upgrade(url)
    db = Database(url)
    try:
        world = await seed(db, residents=recipients, staff=1)
        async with db.write() as session:
            compound = await session.scalar(select(Compound))
            assert compound is not None
            # The bench is about pace, not about quiet hours: whenever it runs, none hold it.
            compound.settings = {**(compound.settings or {}), "quiet_hours": "off"}
            now = utcnow()
            broadcast = await bulk.open_broadcast(
                session,
                compound=compound,
                kind=BroadcastKind.NOTICE,
                subject=f"bench:{uuid.uuid4().hex}",
                title="停水通知",
                now=now,
                progress_chat_id=world.staff[0],
            )
            assert broadcast is not None
            people = await audience.recipients(session, compound)
            messages = [
                Send(chat_id=r.telegram_id, text=f"【停水通知】{r.unit_label} 明天 9:00-12:00 停水")
                for r in people
            ]
            queued = await bulk.queue(session, broadcast, messages, now, compound=compound)
            if queued != recipients:
                raise BenchFailed(f"queued {queued} messages for {recipients} residents")
            return world, broadcast.id
    finally:
        await db.dispose()


def fake_api(options: Options, world: World) -> FakeBotAPI:
    """The fake Bot API with the limits, the blocked residents (every 1/blocked-th) and the
    injected 429s spread evenly over the broadcast."""
    blocked: set[int] = set()
    if options.blocked > 0:
        step = max(1, round(1 / options.blocked))
        blocked = set(world.residents[step // 2 :: step])
    api = FakeBotAPI(
        token=TOKEN,
        latency=options.latency,
        limits=Limits(global_rate=options.limit),
        blocked=blocked,
    )
    if options.floods > 0:
        api.flood_periodically(max(2, options.recipients // (options.floods + 1)))
    return api


# -- the bot processes -------------------------------------------------------------------------


class Bot:
    """One `python -m bot run` process."""

    def __init__(
        self, api: FakeBotAPI, url: str, log: IO[bytes], *, via: str = "", **env: str
    ) -> None:
        self.api, self.url, self.log, self.extra = api, url, log, env
        # The fake server tells processes apart by the path they reach it through.
        self.base = f"{api.url}/via/{via}" if via else api.url
        self.process: asyncio.subprocess.Process | None = None

    def _env(self, rate: float) -> dict[str, str]:
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(
                ("WEBHOOK_", "REDIS_URL", "MANAGER_IDS", "KB_LOCAL_DIR", "SEND_RATE")
            )
        }
        env.update(
            DATABASE_URL=self.url,
            TELEGRAM_BOT_TOKEN=TOKEN,
            TELEGRAM_API_BASE=self.base,
            SEND_RATE=f"{rate:g}",
            LOG_LEVEL="WARNING",
            PYTHONUNBUFFERED="1",
            **self.extra,
        )
        return env

    async def start(self, rate: float, workdir: Path) -> None:
        self.process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot",
            "run",
            env=self._env(rate),
            cwd=workdir,  # no .env of a developer's checkout
            stdout=self.log,
            stderr=self.log,
        )

    async def kill(self) -> None:
        if self.process is not None and self.process.returncode is None:
            self.process.send_signal(signal.SIGKILL)
            await self.process.wait()

    async def stop(self) -> None:
        if self.process is None or self.process.returncode is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            await asyncio.wait_for(self.process.wait(), 30)
        except TimeoutError:
            await self.kill()

    def check_running(self) -> None:
        if self.process is not None and self.process.returncode is not None:
            raise BenchFailed(f"the bot exited with status {self.process.returncode}")


async def finished(url: str, broadcast_id: int) -> dict[str, int] | None:
    """The broadcast's progress when it is done, else None."""
    db = Database(url)
    try:
        async with db.read() as session:
            progress = await bulk.progress(session, broadcast_id)
    finally:
        await db.dispose()
    if not progress.done:
        return None
    return _counts(progress)


def _counts(progress: Any) -> dict[str, int]:
    names = ("total", "delivered", "blocked", "failed", "waiting", "cancelled")
    return {name: int(getattr(progress, name)) for name in names}


async def until_done(
    api: FakeBotAPI, bots: Iterable[Bot], url: str, broadcast_id: int, residents: set[int]
) -> bool:
    """Waits for the broadcast to be done; False when nothing moved for `STALL` seconds."""
    last_seen, last_move = -1, time.monotonic()
    while True:
        await asyncio.sleep(0.5)
        for bot in bots:
            bot.check_running()
        if await finished(url, broadcast_id) is not None:
            return True
        seen = sum(1 for c in api.calls if c.chat_id in residents)
        if seen != last_seen:
            last_seen, last_move = seen, time.monotonic()
        elif time.monotonic() - last_move > STALL:
            return False


async def until_half(api: FakeBotAPI, bot: Bot, residents: set[int]) -> None:
    """Waits until half the residents got their message."""
    begun = time.monotonic()
    while len({a.chat_id for a in api.accepted if a.chat_id in residents}) < len(residents) // 2:
        bot.check_running()
        if time.monotonic() - begun > STARTUP_CAP + STALL:
            raise BenchFailed("half the broadcast never went out")
        await asyncio.sleep(0.005)


# -- the figures -------------------------------------------------------------------------------


def count(part: Part, api: FakeBotAPI, world: World, progress: dict[str, int] | None) -> None:
    """Losses, duplicates, 429s and the rate from the fake server's records."""
    residents = set(world.residents)
    part.recipients = len(residents)
    part.blocked = len(residents & api.blocked)
    got = Counter(a.chat_id for a in api.accepted if a.chat_id in residents)
    part.delivered = len(got)
    part.lost = len(residents - api.blocked - set(got))
    part.duplicates = sum(n - 1 for n in got.values())
    part.too_many = Counter(api.too_many)
    part.progress = progress or {}
    part.finished = progress is not None
    part.raw_rate, part.rate = rates(api.calls, residents)


def rates(calls: list[Call], residents: set[int]) -> tuple[float, float]:
    """(raw rate, rate without the waits injected 429s asked for), messages a second over the
    span of the broadcast: every message and edit the server took or refused as blocked (both
    spend Telegram's budget), progress edits included."""
    bulk_calls = [c for c in calls if c.chat_id in residents and c.status in (200, 403)]
    if len(bulk_calls) < 2:
        return 0.0, 0.0
    start = min(c.received_at for c in bulk_calls)
    end = max(c.received_at for c in bulk_calls)
    spent = [
        c
        for c in calls
        if c.method.lower() in COUNTED and c.status in (200, 403) and start <= c.received_at <= end
    ]
    waits = sorted(
        (c.received_at, c.received_at + 1.0)
        for c in calls
        if c.too_many == "injected" and start <= c.received_at <= end
    )
    waited, reach = 0.0, start
    for begin, finish in waits:
        begin, finish = max(begin, reach), min(finish, end)
        if finish > begin:
            waited += finish - begin
            reach = finish
    span = end - start
    raw = (len(spent) - 1) / span if span > 0 else 0.0
    net = (len(spent) - 1) / (span - waited) if span - waited > 0 else 0.0
    return raw, net


async def in_flight(calls: list[Call], url: str, broadcast_id: int, at: float) -> int:
    """Broadcast messages handed to the Bot API before the kill `at` whose outcome the killed
    sender had not recorded: their rows are still pending in the database. A restart may
    send exactly these again."""
    db = Database(url)
    try:
        async with db.read() as session:
            unsettled = set(
                await session.scalars(
                    select(OutboxMessage.chat_id).where(
                        OutboxMessage.broadcast_id == broadcast_id,
                        OutboxMessage.status == OutboxStatus.PENDING,
                    )
                )
            )
    finally:
        await db.dispose()
    return sum(
        1
        for c in calls
        if c.is_("sendMessage")
        and c.chat_id in unsettled
        and c.received_at <= at
        and c.status in (200, None)
    )


async def marked_blocked(url: str) -> int:
    db = Database(url)
    try:
        async with db.read() as session:
            marked = await session.scalar(
                select(func.count()).select_from(Person).where(Person.blocked_at.is_not(None))
            )
            return int(marked or 0)
    finally:
        await db.dispose()


def errors_in(path: Path) -> int:
    try:
        lines = path.read_text(errors="replace").splitlines()
    except FileNotFoundError:
        return 0
    return sum(1 for line in lines if " ERROR " in line or "Traceback" in line)


# -- the parts ---------------------------------------------------------------------------------


async def part_one(options: Options) -> Part:
    """One process on SQLite, left alone until the broadcast is done."""
    part = Part("1 one process (SQLite)", limit=options.limit)
    url = f"sqlite+aiosqlite:///{options.workdir / 'one.db'}"
    world, broadcast_id = await prepare(url, options.recipients)
    api = fake_api(options, world)
    await api.start()
    began = time.monotonic()
    log_path = options.workdir / "bot-one.log"
    try:
        with log_path.open("ab") as log:
            bot = Bot(api, url, log)
            await bot.start(options.bulk_rate, options.workdir)
            try:
                done = await until_done(api, [bot], url, broadcast_id, set(world.residents))
            finally:
                await bot.stop()
    finally:
        await api.close()
    part.seconds = time.monotonic() - began
    count(part, api, world, await finished(url, broadcast_id) if done else None)
    part.marked_blocked = await marked_blocked(url)
    part.bot_errors = errors_in(log_path)
    return part


async def part_two(options: Options) -> Part:
    """One process on SQLite, SIGKILLed once half the residents got the message, restarted."""
    part = Part("2 killed half way (SQLite)", limit=options.limit)
    url = f"sqlite+aiosqlite:///{options.workdir / 'kill.db'}"
    world, broadcast_id = await prepare(url, options.recipients)
    residents = set(world.residents)
    api = fake_api(options, world)
    await api.start()
    began = time.monotonic()
    log_path = options.workdir / "bot-kill.log"
    try:
        with log_path.open("ab") as log:
            first = Bot(api, url, log)
            await first.start(options.bulk_rate, options.workdir)
            try:
                await until_half(api, first, residents)
                await first.kill()
                at = time.monotonic()  # whatever reached the server until the process died
            finally:
                await first.kill()
            part.in_flight = await in_flight(api.calls, url, broadcast_id, at)
            second = Bot(api, url, log)
            await second.start(options.bulk_rate, options.workdir)
            try:
                done = await until_done(api, [second], url, broadcast_id, residents)
            finally:
                await second.stop()
    finally:
        await api.close()
    part.seconds = time.monotonic() - began
    count(part, api, world, await finished(url, broadcast_id) if done else None)
    part.marked_blocked = await marked_blocked(url)
    part.bot_errors = errors_in(log_path)
    return part


async def part_three(options: Options) -> Part:
    """Two processes on PostgreSQL, sharing the outbox and the budget through Redis."""
    part = Part("3 two processes (PostgreSQL, Redis)", limit=options.limit)
    await _redis_answers(options.redis_url)
    async with postgres_database(options.pg_url) as url:
        world, broadcast_id = await prepare(url, options.recipients)
        residents = set(world.residents)
        api = fake_api(options, world)
        await api.start()
        began = time.monotonic()
        log_path = options.workdir / "bot-two.log"
        try:
            with log_path.open("ab") as log:
                bots = [
                    Bot(api, url, log, via=f"p{n}", REDIS_URL=options.redis_url) for n in (1, 2)
                ]
                for bot in bots:
                    await bot.start(options.bulk_rate, options.workdir)
                try:
                    done = await until_done(api, bots, url, broadcast_id, residents)
                finally:
                    for bot in bots:
                        await bot.stop()
        finally:
            await api.close()
        part.seconds = time.monotonic() - began
        count(part, api, world, await finished(url, broadcast_id) if done else None)
        part.marked_blocked = await marked_blocked(url)
        part.bot_errors = errors_in(log_path)
        part.by_process = by_process(api.calls, residents)
    return part


def by_process(calls: list[Call], residents: set[int]) -> list[int]:
    """Broadcast messages each process got through (`Call.via`: its TELEGRAM_API_BASE)."""
    sent = Counter(c.via for c in calls if c.chat_id in residents and c.status == 200)
    return [sent[via] for via in sorted(sent)]


class postgres_database:
    """A PostgreSQL database created for the part and dropped afterwards."""

    def __init__(self, base_url: str) -> None:
        self.base = make_url(base_url)
        self.name = f"bench_broadcast_{uuid.uuid4().hex[:8]}"
        self.dsn = self.base.set(drivername="postgresql").render_as_string(hide_password=False)

    async def __aenter__(self) -> str:
        import asyncpg

        try:
            connection = await asyncio.wait_for(asyncpg.connect(self.dsn), 5)
        except (TimeoutError, OSError, asyncpg.PostgresError) as exc:
            raise BenchFailed(f"no PostgreSQL at {self.base.render_as_string()}: {exc}") from exc
        try:
            await connection.execute(f'CREATE DATABASE "{self.name}"')
        finally:
            await connection.close()
        return self.base.set(database=self.name).render_as_string(hide_password=False)

    async def __aexit__(self, *exc: object) -> None:
        import asyncpg

        connection = await asyncpg.connect(self.dsn)
        try:
            await connection.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
        finally:
            await connection.close()


async def _redis_answers(url: str) -> None:
    from bot.redis_client import RedisUnavailable, connect_redis

    try:
        client = await connect_redis(url)
    except RedisUnavailable as exc:
        raise BenchFailed(str(exc)) from exc
    await client.aclose()


# -- the report --------------------------------------------------------------------------------


def describe(part: Part) -> list[str]:
    lines = [
        f"{part.name}: {part.recipients} residents, {part.blocked} blocked, "
        f"{part.seconds:.1f} s{'' if part.finished else ' (NOT finished: stalled)'}",
        f"  rate {part.rate:.1f}/s = {part.rate_share:.1%} of {part.limit:g}/s "
        f"(raw {part.raw_rate:.1f}/s = {part.raw_rate / part.limit:.1%}, injected waits kept)",
        f"  429s: {dict(part.too_many) or 'none'}",
        f"  delivered {part.delivered}, lost {part.lost}, duplicates {part.duplicates}, "
        f"marked blocked {part.marked_blocked}",
        f"  progress: {part.progress or 'not done'}",
    ]
    if part.in_flight is not None:
        lines.append(f"  in flight at the kill: {part.in_flight}")
    if part.by_process:
        lines.append(f"  messages per process: {part.by_process}")
    lines.append(
        f"  CPU: bot process(es) {part.bot_cpu:.1f} s, fake server and bench {part.bench_cpu:.1f} s"
    )
    if part.bot_errors:
        lines.append(f"  errors in the bot's log: {part.bot_errors}")
    return lines


def _cpu() -> tuple[float, float]:
    """CPU seconds so far of the finished bot processes, and of this process."""
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    own = resource.getrusage(resource.RUSAGE_SELF)
    return children.ru_utime + children.ru_stime, own.ru_utime + own.ru_stime


def keep_logs(source: Path, target: Path) -> None:
    target.mkdir(parents=True, exist_ok=True)
    for log in source.glob("bot-*.log"):
        (target / log.name).write_bytes(log.read_bytes())


def summary(options: Options, parts: dict[str, Part]) -> dict[str, Any]:
    one, two, three = parts.get("1"), parts.get("2"), parts.get("3")
    return {
        "recipients": options.recipients,
        "rate_share": round(one.rate_share, 3) if one else None,
        "lost": one.lost if one else None,
        "duplicates": one.duplicates if one else None,
        "kill_lost": two.lost if two else None,
        "kill_duplicates": two.duplicates if two else None,
        "in_flight": two.in_flight if two else None,
        "two_process_duplicates": three.duplicates if three else None,
        "two_process_rate_share": round(three.rate_share, 3) if three else None,
    }


async def main_async(args: argparse.Namespace) -> int:
    recipients = args.recipients or (QUICK_RECIPIENTS if args.quick else RECIPIENTS)
    limit = args.limit or (QUICK_LIMIT if args.quick else LIMIT)
    wanted = [p.strip() for p in args.parts.split(",") if p.strip()]
    if not wanted or set(wanted) - {"1", "2", "3"}:
        print("broadcast: --parts takes 1, 2 and 3, e.g. 1,2", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="courtyard-broadcast-") as tmp:
        options = Options(
            recipients=recipients,
            limit=limit,
            bulk_rate=args.bulk_rate or limit * MARGIN,
            blocked=args.blocked,
            floods=args.floods,
            latency=args.latency,
            pg_url=os.environ.get("COURTYARD_TEST_POSTGRES_URL", DEFAULT_PG_URL),
            redis_url=args.redis_url,
            workdir=Path(tmp),
        )
        print(
            f"bench/broadcast.py: {recipients} residents, limit {limit:g}/s, SEND_RATE "
            f"{options.bulk_rate:g}/s, {args.blocked:.0%} blocked, {args.floods} injected 429s, "
            f"Bot API latency {args.latency * 1000:.0f} ms"
        )
        parts: dict[str, Part] = {}
        runs = {"1": part_one, "2": part_two, "3": part_three}
        try:
            for name in wanted:
                before = _cpu()
                parts[name] = await runs[name](options)
                after = _cpu()
                parts[name].bot_cpu = after[0] - before[0]
                parts[name].bench_cpu = after[1] - before[1]
                for line in describe(parts[name]):
                    print(line, flush=True)
        except BenchFailed as exc:
            print(f"broadcast: {exc}", file=sys.stderr)
            return 2
        finally:
            if args.keep_logs:
                keep_logs(Path(tmp), Path(args.keep_logs))
    if args.json:
        print(json.dumps(summary(options, parts)))
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--recipients", type=int, help=f"residents (default {RECIPIENTS})")
    parser.add_argument("--limit", type=float, help=f"the fake API's messages/s ({LIMIT:g})")
    parser.add_argument("--bulk-rate", type=float, help="SEND_RATE (default 97%% of --limit)")
    parser.add_argument("--blocked", type=float, default=BLOCKED, help="share answering 403")
    parser.add_argument("--floods", type=int, default=FLOODS, help="injected 429s per part")
    parser.add_argument("--latency", type=float, default=LATENCY, help="Bot API round trip, s")
    parser.add_argument("--parts", default="1,2,3", help="which parts to run (1,2,3)")
    parser.add_argument("--redis-url", default=DEFAULT_REDIS_URL, help="Redis for part 3")
    parser.add_argument("--quick", action="store_true", help="a small, fast run")
    parser.add_argument("--json", action="store_true", help="a last line of JSON figures")
    parser.add_argument("--keep-logs", metavar="DIR", help="copy the bot's logs to DIR")
    args = parser.parse_args(argv)
    if args.recipients is not None and args.recipients < 2:
        parser.error("--recipients must be 2 or more")
    if not 0 <= args.blocked < 1:
        parser.error("--blocked is a share, 0 to under 1")
    return asyncio.run(main_async(args))


if __name__ == "__main__":
    raise SystemExit(main())
