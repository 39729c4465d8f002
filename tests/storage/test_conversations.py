"""Conversation state per (user, chat): saved, loaded after a restart, and gone when finished."""

from __future__ import annotations

from sqlalchemy import func, select

from storage.db import Database
from storage.models import Conversation
from storage.repos.conversations import load_conversation, save_conversation

USER, CHAT, GROUP = 1001, 1001, -100_500_001


async def _rows(db: Database) -> int:
    async with db.read() as session:
        return await session.scalar(select(func.count(Conversation.id))) or 0


async def test_a_step_survives_a_new_session(any_db: Database) -> None:
    async with any_db.write() as session:
        state = await load_conversation(session, USER, CHAT)
        assert not state.active
        state.begin("repair", "describing_problem", category="plumbing")
        state.update(text="厨房水管漏水")
        await save_conversation(session, state)
        nonce = state.nonce
    async with any_db.read() as session:
        loaded = await load_conversation(session, USER, CHAT)
    assert (loaded.flow, loaded.step, loaded.nonce) == ("repair", "describing_problem", nonce)
    assert loaded.data == {"category": "plumbing", "text": "厨房水管漏水"}
    assert not loaded.changed


async def test_each_step_gets_a_new_nonce(any_db: Database) -> None:
    async with any_db.write() as session:
        state = await load_conversation(session, USER, CHAT)
        state.begin("repair", "choosing_category")
        await save_conversation(session, state)
    first = state.nonce
    async with any_db.write() as session:
        state = await load_conversation(session, USER, CHAT)
        state.goto("describing_problem", category="lifts")
        await save_conversation(session, state)
    async with any_db.read() as session:
        loaded = await load_conversation(session, USER, CHAT)
    assert loaded.step == "describing_problem" and loaded.data == {"category": "lifts"}
    assert loaded.nonce != first
    assert await _rows(any_db) == 1


async def test_finishing_leaves_no_row(any_db: Database) -> None:
    async with any_db.write() as session:
        state = await load_conversation(session, USER, CHAT)
        state.begin("onboarding", "naming_unit")
        await save_conversation(session, state)
    async with any_db.write() as session:
        state = await load_conversation(session, USER, CHAT)
        state.finish()
        await save_conversation(session, state)
    assert await _rows(any_db) == 0
    async with any_db.read() as session:
        assert not (await load_conversation(session, USER, CHAT)).active


async def test_an_unchanged_state_writes_nothing(any_db: Database) -> None:
    async with any_db.write() as session:
        state = await load_conversation(session, USER, CHAT)
        await save_conversation(session, state)
    assert await _rows(any_db) == 0


async def test_chats_of_one_user_are_separate(any_db: Database) -> None:
    async with any_db.write() as session:
        private = await load_conversation(session, USER, CHAT)
        private.begin("repair", "describing_problem")
        group = await load_conversation(session, USER, GROUP)
        group.begin("onboarding", "naming_unit")
        await save_conversation(session, private)
        await save_conversation(session, group)
    async with any_db.read() as session:
        assert (await load_conversation(session, USER, CHAT)).flow == "repair"
        assert (await load_conversation(session, USER, GROUP)).flow == "onboarding"
        assert not (await load_conversation(session, USER + 1, CHAT)).active
