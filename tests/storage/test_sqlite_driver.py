"""The SQLite connection that runs statements on the loop still waits for another process."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from pathlib import Path

from sqlalchemy import select

from storage.db import Database
from storage.models import Base, Compound


async def test_a_writer_waits_for_another_process_holding_the_lock(tmp_path: Path) -> None:
    path = tmp_path / "shared.db"
    db = Database(f"sqlite+aiosqlite:///{path}")
    async with db.write_engine.begin() as connection:
        await connection.run_sync(Base.metadata.create_all)

    # Another process (here: a plain sqlite3 connection in a thread) holds the write lock.
    held, release = threading.Event(), threading.Event()

    def other_process() -> None:
        other = sqlite3.connect(path, isolation_level=None)
        other.execute("BEGIN IMMEDIATE")
        other.execute(
            "INSERT INTO compounds (code, name, locale, timezone, unit_label_format, "
            "settings, created_at) VALUES ('other', 'Other', 'zh', 'Asia/Shanghai', "
            "'{building}-{room}', '{}', '2026-11-27 00:00:00')"
        )
        held.set()
        release.wait(10)
        other.execute("COMMIT")
        other.close()

    thread = threading.Thread(target=other_process)
    thread.start()
    await asyncio.to_thread(held.wait, 10)

    async def write() -> None:
        async with db.write() as session:
            session.add(Compound(code="ours", name="Ours"))

    writing = asyncio.create_task(write())
    await asyncio.sleep(0.2)
    assert not writing.done()  # it waits (off the loop) instead of failing at once
    ticks = 0
    while ticks < 3:  # and the event loop keeps running meanwhile
        await asyncio.sleep(0.01)
        ticks += 1
    release.set()
    await asyncio.wait_for(writing, timeout=10)
    thread.join()
    async with db.read() as session:
        codes = set(await session.scalars(select(Compound.code)))
    assert codes == {"other", "ours"}
    await db.dispose()
