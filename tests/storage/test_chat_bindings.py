"""Chat bindings: a compound has one staff chat; binding another replaces it."""

from __future__ import annotations

from sqlalchemy import select

from storage.db import Database
from storage.models import ChatBinding, ChatPurpose
from storage.repos.compounds import bind_chat, chat_binding, staff_chat
from tests.storage.factories import make_place

OLD_STAFF, NEW_STAFF, RESIDENTS = -100_001, -100_002, -100_003


async def _bind(db: Database, compound_id: int, chat_id: int, purpose: ChatPurpose) -> None:
    async with db.write() as session:
        await bind_chat(
            session,
            compound_id=compound_id,
            chat_id=chat_id,
            purpose=purpose,
            title=f"chat {chat_id}",
            is_forum=False,
            bound_by=None,
        )


async def _bindings(db: Database) -> set[tuple[int, int, ChatPurpose]]:
    async with db.read() as session:
        rows = (await session.scalars(select(ChatBinding))).all()
    return {(row.compound_id, row.chat_id, row.purpose) for row in rows}


async def test_a_new_staff_chat_replaces_the_old_one(any_db: Database) -> None:
    place = await make_place(any_db)
    await _bind(any_db, place.compound_id, RESIDENTS, ChatPurpose.RESIDENTS)
    await _bind(any_db, place.compound_id, OLD_STAFF, ChatPurpose.STAFF)
    await _bind(any_db, place.compound_id, NEW_STAFF, ChatPurpose.STAFF)
    assert await _bindings(any_db) == {
        (place.compound_id, RESIDENTS, ChatPurpose.RESIDENTS),
        (place.compound_id, NEW_STAFF, ChatPurpose.STAFF),
    }
    async with any_db.read() as session:
        current = await staff_chat(session, place.compound_id)
        assert current is not None and current.chat_id == NEW_STAFF
        assert await chat_binding(session, OLD_STAFF) is None


async def test_binding_the_same_chat_again_keeps_one_row(any_db: Database) -> None:
    place = await make_place(any_db)
    await _bind(any_db, place.compound_id, NEW_STAFF, ChatPurpose.STAFF)
    await _bind(any_db, place.compound_id, NEW_STAFF, ChatPurpose.STAFF)
    assert await _bindings(any_db) == {(place.compound_id, NEW_STAFF, ChatPurpose.STAFF)}


async def test_the_residents_group_can_become_the_staff_chat(any_db: Database) -> None:
    place = await make_place(any_db)
    await _bind(any_db, place.compound_id, RESIDENTS, ChatPurpose.RESIDENTS)
    await _bind(any_db, place.compound_id, RESIDENTS, ChatPurpose.STAFF)
    assert await _bindings(any_db) == {(place.compound_id, RESIDENTS, ChatPurpose.STAFF)}


async def test_each_compound_keeps_its_own_staff_chat(any_db: Database) -> None:
    maple = await make_place(any_db, code="maple")
    harbour = await make_place(any_db, code="harbour")
    await _bind(any_db, maple.compound_id, OLD_STAFF, ChatPurpose.STAFF)
    await _bind(any_db, harbour.compound_id, NEW_STAFF, ChatPurpose.STAFF)
    assert await _bindings(any_db) == {
        (maple.compound_id, OLD_STAFF, ChatPurpose.STAFF),
        (harbour.compound_id, NEW_STAFF, ChatPurpose.STAFF),
    }
    # A chat moved to another compound's staff chat leaves the first compound without one.
    await _bind(any_db, harbour.compound_id, OLD_STAFF, ChatPurpose.STAFF)
    assert await _bindings(any_db) == {(harbour.compound_id, OLD_STAFF, ChatPurpose.STAFF)}
