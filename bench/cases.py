"""Bench: 1,000 residents report repairs while 20 staff work them, all at once, through the
real engine, on SQLite and on PostgreSQL.

    .venv/bin/python -m bench.cases [--backend sqlite|postgres|both] [--residents N]
                                    [--staff N] [--budget SECONDS] [--one-at-a-time]

Each resident goes through the repair form as a person would (/repair, category, their home,
description, no photos, urgency, visiting window, submit: eight events). The new card reaches
the staff chat; a staff member presses Take, Start and Resolve on it and types the note (four
events). On every tenth case a colleague presses Take at the same moment and must be refused.
The deadline scheduler runs throughout and arms every deadline the cases create.

Both backends run at once, each in its own process (`--one-at-a-time` runs them in turn).
Residents whose turn comes after `--budget` seconds do not start, so the bench stays bounded
on a slow or busy machine; it says how many filed.

Prints cases per second and the p50/p99 latency of one engine event per backend, then checks
the store and what was delivered: every case, transition, card, card edit and resident
notification exactly once. Exit status 1 if any check fails.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from bench.checks import verify
from bench.script import REPAIR_FORM, Step, button, case_of_card, staff_button
from bench.world import STAFF_CHAT, BenchTransport, World, database, seed
from bot.app import build_engine, build_flows, start_scheduler
from bot.engine.engine import Engine
from bot.engine.events import ChatKind, ChatRef, Incoming, Press, UserRef
from bot.engine.replies import Edit, Outbound, Toast
from bot.scheduler import DeadlineScheduler
from bot.services import Services
from bot.settings import Settings
from handlers.cases.buttons import StaffAction
from storage.db import Database
from storage.repos.cases import card_ref

PG_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
# Residents typing at the same moment; the rest are still reading their last answer.
IN_FLIGHT = 20
RACE_EVERY = 10
# Residents who have not started the form by then do not file: the bench stays bounded in time
# on a slow or busy machine, and says how many filed.
BUDGET = 90.0
NOTE = "已更换厨房下水管接头，测试无渗漏"


@dataclass
class Run:
    """One backend's run: the engine, what it delivered, and how long each event took."""

    engine: Engine
    transport: BenchTransport
    latencies: list[float] = field(default_factory=list)
    filed: list[int] = field(default_factory=list)
    presses: int = 0
    races: int = 0
    refused: int = 0
    cards: asyncio.Queue[tuple[int, str] | None] = field(default_factory=asyncio.Queue)
    # A staff member works one case at a time, even one a colleague's race handed them.
    busy: defaultdict[int, asyncio.Lock] = field(default_factory=lambda: defaultdict(asyncio.Lock))

    async def handle(self, event: Incoming) -> list[Outbound]:
        started = time.perf_counter()
        out = await self.engine.handle(event)
        self.latencies.append(time.perf_counter() - started)
        return out

    async def press(
        self, user: int, chat: int, data: str, ref: str | None = None
    ) -> list[Outbound]:
        self.presses += 1
        # The card's message for a card button; otherwise the newest message in the chat.
        message_id = self.transport.by_ref.get(ref) if ref else self.transport.last_id(chat)
        kind = ChatKind.PRIVATE if chat == user else ChatKind.GROUP
        return await self.handle(
            Incoming(
                user=UserRef(user, "", "zh"),
                chat=ChatRef(chat, kind),
                press=Press(data, message_id, f"p{self.presses}"),
            )
        )

    async def say(
        self, user: int, chat: int, text: str, *, command: str | None = None
    ) -> list[Outbound]:
        kind = ChatKind.PRIVATE if chat == user else ChatKind.GROUP
        return await self.handle(
            Incoming(
                user=UserRef(user, "", "zh"), chat=ChatRef(chat, kind), text=text, command=command
            )
        )


async def resident(run: Run, user: int, gate: asyncio.Semaphore, deadline: float) -> None:
    """Fills in the repair form step by step, pressing what the bot offered last. A resident
    whose turn comes after the time budget does not start."""
    out: list[Outbound] = []
    async with gate:
        if time.perf_counter() > deadline:
            return
        for step in REPAIR_FORM:
            out = await _step(run, user, step, out)
    case_id, take = case_of_card(run.engine.services.flows, out)
    run.filed.append(user)
    await run.cards.put((case_id, take))


async def _step(run: Run, user: int, step: Step, out: list[Outbound]) -> list[Outbound]:
    if step.command:
        return await run.say(user, user, f"/{step.command}", command=step.command)
    if step.text:
        return await run.say(user, user, step.text)
    assert step.choose is not None
    return await run.press(user, user, button(run.engine.services.flows, out, step.choose))


async def staff_member(run: Run, me: int, colleague: int) -> None:
    """Takes cards from the staff chat as they come and works each to resolution."""
    while (card := await run.cards.get()) is not None:
        case_id, take = card
        ref = card_ref(case_id)
        if case_id % RACE_EVERY == 0:
            run.races += 1
            mine, theirs = await asyncio.gather(
                run.press(me, STAFF_CHAT, take, ref), run.press(colleague, STAFF_CHAT, take, ref)
            )
            won = _changed_card(mine, ref)
            winner, out, lost = (me, mine, theirs) if won else (colleague, theirs, mine)
            run.refused += any(isinstance(o, Toast) and o.alert for o in lost)
        else:
            winner, out = me, await run.press(me, STAFF_CHAT, take, ref)
        flows = run.engine.services.flows
        async with run.busy[winner]:
            for action in (StaffAction.START, StaffAction.RESOLVE):
                data = button(flows, out, staff_button(action))
                out = await run.press(winner, STAFF_CHAT, data, ref)
            await run.say(winner, STAFF_CHAT, NOTE)


def _changed_card(out: list[Outbound], ref: str) -> bool:
    return any(isinstance(o, Edit) and o.ref == ref for o in out)


async def bench(
    backend: str, *, residents: int, staff: int, budget: float, pg_url: str, workdir: Path
) -> bool:
    """Runs one backend and prints its lines; True when every check passed."""
    async with database(backend, sqlite_path=str(workdir / "bench.db"), pg_url=pg_url) as db:
        world = await seed(db, residents=residents, staff=staff)
        run, scheduler = await _start(db)
        errors = _count_errors()
        started = time.perf_counter()
        gate, deadline = asyncio.Semaphore(IN_FLIGHT), started + budget
        workers = [
            asyncio.create_task(staff_member(run, me, world.staff[(i + 1) % len(world.staff)]))
            for i, me in enumerate(world.staff)
        ]
        await asyncio.gather(*(resident(run, user, gate, deadline) for user in world.residents))
        for _ in workers:
            await run.cards.put(None)
        await asyncio.gather(*workers)
        wall = time.perf_counter() - started
        armed = scheduler.armed()
        await scheduler.stop()
        problems = await verify(db, run, armed=armed, errors=errors.count)
        logging.getLogger().removeHandler(errors)
    _report(backend, run, world, wall, problems)
    return not problems


async def _start(db: Database) -> tuple[Run, DeadlineScheduler]:
    settings = Settings(
        _env_file=None, database_url=db.url, manager_ids=frozenset(), telegram_bot_token=None
    )
    services = Services(settings=settings, db=db, flows=build_flows())
    transport = BenchTransport()
    engine = build_engine(services, transport)
    scheduler = await start_scheduler(services, engine)
    return Run(engine, transport), scheduler


class _ErrorCounter(logging.Handler):
    """Counts errors logged during the run and shows the first few in one line each."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.count = 0

    def emit(self, record: logging.LogRecord) -> None:
        self.count += 1
        if self.count <= 3:
            cause = record.exc_info[1] if record.exc_info else None
            print(f"  error: {record.getMessage()}: {cause!r}"[:300], file=sys.stderr)


def _count_errors() -> _ErrorCounter:
    handler = _ErrorCounter()
    logging.getLogger().addHandler(handler)
    return handler


def _report(backend: str, run: Run, world: World, wall: float, problems: list[str]) -> None:
    ms = sorted(x * 1000 for x in run.latencies)
    p99 = ms[min(len(ms) - 1, round(0.99 * (len(ms) - 1)))]
    filed = len(run.filed)
    print(
        f"{backend}: {filed} of {len(world.residents)} residents filed and {len(world.staff)} "
        f"staff resolved {filed} cases in {wall:.1f} s ({len(ms)} engine events)\n"
        f"  {filed / wall:.1f} cases/s, {len(ms) / wall:.0f} events/s; one event: "
        f"p50 {statistics.median(ms):.1f} ms, p99 {p99:.1f} ms, max {ms[-1]:.0f} ms; "
        f"{run.races} Take races, {run.refused} refused"
    )
    for problem in problems:
        print(f"  FAILED: {problem}")
    if not problems:
        print("  checks: every case, transition, card, card edit and notification exactly once")


async def _each_in_its_process(argv: list[str]) -> int:
    """Both backends at once, one process each: they share nothing, and each gets a core."""
    runs = [
        await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bench.cases",
            *argv,
            "--backend",
            backend,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )
        for backend in ("sqlite", "postgres")
    ]
    outputs = await asyncio.gather(*(r.communicate() for r in runs))
    for output, _ in outputs:
        sys.stdout.write(output.decode())
    return max(r.returncode or 0 for r in runs)


async def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backend", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--residents", type=int, default=1000)
    parser.add_argument("--staff", type=int, default=20)
    parser.add_argument(
        "--budget", type=float, default=BUDGET, help="seconds after which no resident starts"
    )
    parser.add_argument("--one-at-a-time", action="store_true", help="backends in turn")
    parser.add_argument("--pg-url", default=PG_URL)
    args = parser.parse_args(argv)
    if args.backend == "both" and not args.one_at_a_time:
        passed = [a for a in (argv if argv is not None else sys.argv[1:]) if a != "--backend"]
        passed = [a for a in passed if a not in ("both", "--one-at-a-time")]
        return await _each_in_its_process(passed)
    logging.getLogger().setLevel(logging.WARNING)
    backends = ["sqlite", "postgres"] if args.backend == "both" else [args.backend]
    ok = True
    with tempfile.TemporaryDirectory() as workdir:
        for backend in backends:
            ok &= await bench(
                backend,
                residents=args.residents,
                staff=args.staff,
                budget=args.budget,
                pg_url=args.pg_url,
                workdir=Path(workdir),
            )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
