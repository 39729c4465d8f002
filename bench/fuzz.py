"""Fuzz the engine: random events and button data on SQLite and PostgreSQL.

    .venv/bin/python bench/fuzz.py [--events 10000] [--seed 0] [--episode 100] [--json]

The events (bench/fuzzing/generate.py) are split evenly over the two databases and played
through the real engine in the fuzzer's world (bench/fuzzing/world.py), seeded afresh every
`--episode` events. After every event the fuzzer checks that nothing escaped the engine and
nothing was logged at ERROR ("unhandled"), and that no row of anyone the acting user may not
touch changed ("foreign changes"; the rule is in bench/fuzzing/ownership.py).

PostgreSQL is found through COURTYARD_TEST_POSTGRES_URL (default
postgresql+asyncpg://postgres@127.0.0.1:5432/test), in a schema of its own dropped at the end.

Prints, per database and in total, events, unhandled, foreign changes and events per second;
then each distinct finding with the events that led to it, and the changes the rule allowed
(how deep the events got). With `--json` the last line is
`{"events": N, "unhandled": N, "foreign_changes": N}`. Exit status 1 if anything was found.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
import time
import uuid
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import asyncpg  # noqa: E402

from bench.fuzzing.draw import RandomDraw  # noqa: E402
from bench.fuzzing.play import Fuzzer, Tally  # noqa: E402
from bot.settings import Settings  # noqa: E402
from storage.db import Database  # noqa: E402

DEFAULT_PG_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
MANAGER_IDS = frozenset({9001})  # world.GLOBAL_MANAGER


@dataclass
class Result:
    backend: str
    tally: Tally
    seconds: float


async def run(backend: str, url: str, events: int, seed: int, episode: int) -> Result:
    settings = Settings(
        _env_file=None, database_url=url, manager_ids=MANAGER_IDS, telegram_bot_token=None
    )
    schema = None
    if backend == "postgres":
        schema = f"fuzz_{uuid.uuid4().hex[:12]}"
        await _pg(url, f'CREATE SCHEMA "{schema}"')
        db = Database(url, connect_args={"server_settings": {"search_path": schema}})
    else:
        db = Database(url)
    try:
        fuzzer = Fuzzer(db, settings)
        await fuzzer.create()
        started = time.perf_counter()
        tally = await fuzzer.play(RandomDraw(seed), events, episode=episode)
        return Result(backend, tally, time.perf_counter() - started)
    finally:
        await db.dispose()
        if schema is not None:
            await _pg(url, f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


async def _pg(url: str, statement: str) -> None:
    connection = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


def report(results: list[Result], *, as_json: bool) -> int:
    def line(name: str, events: int, unhandled: int, foreign: int, seconds: float) -> str:
        rate = events / seconds if seconds else 0.0
        return (
            f"{name:<9} events {events:>6}  unhandled {unhandled:>5}  "
            f"foreign changes {foreign:>4}  events/s {rate:>6.1f}"
        )

    for r in results:
        t = r.tally
        print(line(r.backend, t.events, t.unhandled, t.foreign_changes, r.seconds))
    events = sum(r.tally.events for r in results)
    unhandled = sum(r.tally.unhandled for r in results)
    foreign = sum(r.tally.foreign_changes for r in results)
    print(line("total", events, unhandled, foreign, sum(r.seconds for r in results)))

    findings = [(r.backend, f) for r in results for f in r.tally.findings.values()]
    if findings:
        print(f"\n{len(findings)} distinct finding(s) (per database):")
    for backend, finding in sorted(findings, key=lambda bf: (bf[1].kind, bf[1].signature)):
        print(f"\n[{backend}] {finding.count}x {finding.kind}: {finding.signature}")
        print("  first seen after:")
        for event in finding.events[-6:]:
            print(f"    {event}")
        if finding.kind == "foreign":
            print(f"  {finding.detail}")
    reached: Counter[str] = Counter()
    for r in results:
        reached.update(r.tally.reached)
    print("\nallowed changes: " + ", ".join(f"{k} {v}" for k, v in sorted(reached.items())))
    if as_json:
        print(json.dumps({"events": events, "unhandled": unhandled, "foreign_changes": foreign}))
    return 1 if unhandled or foreign else 0


async def main(args: argparse.Namespace) -> int:
    pg_url = os.environ.get("COURTYARD_TEST_POSTGRES_URL", DEFAULT_PG_URL)
    half = args.events // 2
    with tempfile.TemporaryDirectory() as tmp:
        sqlite_url = f"sqlite+aiosqlite:///{tmp}/fuzz.db"
        # One after the other: each is one process's worth of CPU, and there are two cores, but
        # running both here would only interleave them on one.
        results = [
            await run("sqlite", sqlite_url, args.events - half, args.seed, args.episode),
            await run("postgres", pg_url, half, args.seed, args.episode),
        ]
    return report(results, as_json=args.json)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--episode", type=int, default=100, help="events between fresh worlds")
    parser.add_argument("--json", action="store_true")
    sys.exit(asyncio.run(main(parser.parse_args())))
