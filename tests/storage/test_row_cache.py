"""The engine's cached compound lookups: changes made through this process are seen at once,
changes made by another process within the cache's time to live."""

from __future__ import annotations

from sqlalchemy import update

from storage.db import Database
from storage.models import ChatPurpose, Compound
from storage.repos.compounds import (
    bind_chat,
    bound_compound_id,
    compound_by_id,
    only_compound_id,
)
from storage.row_cache import MISSING, RowCache
from tests.storage.factories import make_place

GROUP = -100_777


class FakeClock:
    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now


async def _bound(db: Database, chat_id: int) -> int | None:
    async with db.write() as session:
        return await bound_compound_id(session, chat_id)


async def _only(db: Database) -> int | None:
    async with db.write() as session:
        return await only_compound_id(session)


async def test_binding_a_chat_is_seen_by_the_next_event(any_db: Database) -> None:
    place = await make_place(any_db)
    assert await _bound(any_db, GROUP) is None  # cached: "not bound"
    async with any_db.write() as session:
        await bind_chat(
            session,
            compound_id=place.compound_id,
            chat_id=GROUP,
            purpose=ChatPurpose.RESIDENTS,
            title="residents",
            is_forum=False,
            bound_by=None,
        )
    assert await _bound(any_db, GROUP) == place.compound_id


async def test_a_second_compound_ends_the_single_compound_default(any_db: Database) -> None:
    first = await make_place(any_db, code="maple")
    assert await _only(any_db) == first.compound_id
    await make_place(any_db, code="birch")
    assert await _only(any_db) is None


async def test_a_compound_changed_here_is_read_fresh(any_db: Database) -> None:
    place = await make_place(any_db)
    async with any_db.write() as session:
        assert (await compound_by_id(session, place.compound_id)).name == "maple compound"
    async with any_db.write() as session:
        compound = await compound_by_id(session, place.compound_id)
        compound.name = "Maple Gardens"
    async with any_db.write() as session:
        assert (await compound_by_id(session, place.compound_id)).name == "Maple Gardens"


async def test_changing_a_cached_compound_in_place_does_not_reach_the_cache(
    any_db: Database,
) -> None:
    place = await make_place(any_db)
    async with any_db.write() as session:
        await compound_by_id(session, place.compound_id)  # fills the cache
    async with any_db.read() as session:
        compound = await compound_by_id(session, place.compound_id)
        compound.settings.setdefault("kb", {})["office_phone"] = "110"  # a bug: never saved
    async with any_db.read() as session:
        assert (await compound_by_id(session, place.compound_id)).settings == {}


async def test_a_change_by_another_process_is_seen_after_the_ttl(any_db: Database) -> None:
    clock = FakeClock()
    any_db.rows.clock = clock
    place = await make_place(any_db)
    async with any_db.write() as session:
        await compound_by_id(session, place.compound_id)
    # Another process: a second handle on the same store, whose writes this cache cannot see.
    other = Database(any_db.url, connect_args=any_db.connect_args)
    try:
        async with other.write() as session:
            await session.execute(
                update(Compound).where(Compound.id == place.compound_id).values(name="Renamed")
            )
    finally:
        await other.dispose()
    async with any_db.read() as session:
        assert (await compound_by_id(session, place.compound_id)).name == "maple compound"
    clock.now += any_db.rows.ttl + 1
    async with any_db.read() as session:
        assert (await compound_by_id(session, place.compound_id)).name == "Renamed"


def test_a_value_read_before_an_invalidation_is_not_stored() -> None:
    cache = RowCache()
    generation = cache.generation
    cache.clear()  # a writer committed while the reader was reading
    cache.put("only", 1, generation=generation)
    assert cache.get("only") is MISSING
