"""bench/broadcast.py in its quick mode, so that the bench keeps running as the sender changes.

The figures it prints about time (rates) are not checked here: the machine running the tests
may be busy. What does not depend on time is: nothing lost, nothing sent twice without a kill,
duplicates after the kill within the messages in flight. The two-process part runs when
PostgreSQL and Redis answer (and must, under CI or COURTYARD_REQUIRE_POSTGRES/REDIS).
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PG_URL = os.environ.get(
    "COURTYARD_TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
)
REDIS_URL = os.environ.get("COURTYARD_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
CI = os.environ.get("CI") == "true"
REQUIRED = CI or (
    os.environ.get("COURTYARD_REQUIRE_POSTGRES") == "1"
    and os.environ.get("COURTYARD_REQUIRE_REDIS") == "1"
)


async def _servers_answer() -> bool:
    import asyncpg
    from redis.asyncio import Redis

    try:
        connection = await asyncio.wait_for(
            asyncpg.connect(PG_URL.replace("postgresql+asyncpg://", "postgresql://")), 3
        )
        await connection.close()
        client = Redis.from_url(REDIS_URL, socket_connect_timeout=3)
        try:
            await client.ping()
        finally:
            await client.aclose()
    except Exception:
        return False
    return True


def test_the_quick_bench_loses_nothing_and_sends_nothing_twice(tmp_path: Path) -> None:
    two_processes = asyncio.run(_servers_answer())
    if REQUIRED and not two_processes:
        pytest.fail("PostgreSQL and Redis are required here for the two-process part")
    parts = "1,2,3" if two_processes else "1,2"
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench.broadcast",
            "--quick",
            "--json",
            "--parts",
            parts,
            "--redis-url",
            REDIS_URL,
            "--keep-logs",
            str(tmp_path),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "COURTYARD_TEST_POSTGRES_URL": PG_URL},
    )
    assert run.returncode == 0, run.stderr[-3000:]
    figures = json.loads(run.stdout.strip().splitlines()[-1])
    report = run.stdout
    assert figures["recipients"] == 300, report
    assert figures["lost"] == 0 and figures["duplicates"] == 0, report
    assert figures["kill_lost"] == 0, report
    assert figures["kill_duplicates"] <= figures["in_flight"], report
    assert figures["rate_share"] > 0, report
    if two_processes:
        assert figures["two_process_duplicates"] == 0, report
        assert "lost 0" in report.split("3 two processes")[1], report
