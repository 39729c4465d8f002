"""Compounds, their units and their chats."""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy import func, inspect, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import make_transient_to_detached

from storage.models import Building, ChatBinding, ChatPurpose, Compound, Unit
from storage.row_cache import MISSING, cache_of
from storage.unit_labels import candidate_labels, plain


async def compound_by_code(session: AsyncSession, code: str) -> Compound | None:
    return await session.scalar(select(Compound).where(Compound.code == code))


async def only_compound(session: AsyncSession) -> Compound | None:
    """The compound, when the store holds exactly one (a single-compound deployment)."""
    rows = (await session.scalars(select(Compound).order_by(Compound.id).limit(2))).all()
    return rows[0] if len(rows) == 1 else None


async def count_compounds(session: AsyncSession) -> int:
    return await session.scalar(select(func.count(Compound.id))) or 0


def normalize_unit_label(label: str) -> str:
    """'3 - 2 - 1502', '３－２－１５０２' and '3-2-1502' name the same unit."""
    cleaned = plain(label).strip().replace("/", "-")
    return "-".join(part.strip() for part in cleaned.split("-") if part.strip()).upper()


async def unit_by_label(session: AsyncSession, compound_id: int, label: str) -> Unit | None:
    """The unit a person named, as its label or in words: "3栋2单元1502", "3号楼2单元1502室"
    and "building 3 unit 2 room 1502" find the unit labelled "3-2-1502" (see unit_labels)."""
    labels = [normalize_unit_label(label)]
    compound = await session.get(Compound, compound_id)
    if compound is not None:
        labels += [
            normalize_unit_label(c) for c in candidate_labels(label, compound.unit_label_format)
        ]
    units = {
        unit.label: unit
        for unit in await session.scalars(
            select(Unit).where(Unit.compound_id == compound_id, Unit.label.in_(labels))
        )
    }
    return next((units[c] for c in labels if c in units), None)


async def example_unit_label(session: AsyncSession, compound_id: int) -> str | None:
    """A real unit of the compound, for prompts to show the format by ("3-2-1202")."""
    return await session.scalar(
        select(Unit.label)
        .where(Unit.compound_id == compound_id)
        .order_by(Unit.label.desc())
        .limit(1)
    )


async def chat_binding(session: AsyncSession, chat_id: int) -> ChatBinding | None:
    return await session.scalar(select(ChatBinding).where(ChatBinding.chat_id == chat_id))


async def staff_chat(session: AsyncSession, compound_id: int) -> ChatBinding | None:
    return await session.scalar(
        select(ChatBinding).where(
            ChatBinding.compound_id == compound_id, ChatBinding.purpose == ChatPurpose.STAFF
        )
    )


async def resident_group(session: AsyncSession, compound_id: int) -> ChatBinding | None:
    """The compound's residents' group, where notices are also posted (and pinned)."""
    return await session.scalar(
        select(ChatBinding).where(
            ChatBinding.compound_id == compound_id, ChatBinding.purpose == ChatPurpose.RESIDENTS
        )
    )


async def bind_chat(
    session: AsyncSession,
    *,
    compound_id: int,
    chat_id: int,
    purpose: ChatPurpose,
    title: str,
    is_forum: bool,
    bound_by: int | None,
) -> ChatBinding:
    """Binds a chat to a compound; a compound has one staff chat, so an older one is replaced."""
    existing = await chat_binding(session, chat_id)
    if purpose is ChatPurpose.STAFF:
        previous = await staff_chat(session, compound_id)
        if previous is not None and previous.chat_id != chat_id:
            await session.delete(previous)
            await session.flush()
    if existing is None:
        existing = ChatBinding(chat_id=chat_id)
        session.add(existing)
    existing.compound_id, existing.purpose = compound_id, purpose
    existing.title, existing.is_forum, existing.bound_by = title, is_forum, bound_by
    await session.flush()
    return existing


# Cached lookups for the engine, which makes them on every event (storage/row_cache.py says how
# stale they may be). Without a cache on the session they are plain queries.


async def bound_compound_id(session: AsyncSession, chat_id: int) -> int | None:
    """The compound a chat is bound to, if any."""
    cache = cache_of(session.sync_session)
    if cache is None:
        binding = await chat_binding(session, chat_id)
        return binding.compound_id if binding else None
    key = ("chat", chat_id)
    cached = cache.get(key)
    if cached is not MISSING:
        return cast(int | None, cached)
    generation = cache.generation
    binding = await chat_binding(session, chat_id)
    value = binding.compound_id if binding else None
    cache.put(key, value, generation=generation)
    return value


async def only_compound_id(session: AsyncSession) -> int | None:
    """The id of `only_compound`."""
    cache = cache_of(session.sync_session)
    if cache is None:
        only = await only_compound(session)
        return only.id if only else None
    cached = cache.get("only")
    if cached is not MISSING:
        return cast(int | None, cached)
    generation = cache.generation
    only = await only_compound(session)
    value = only.id if only else None
    cache.put("only", value, generation=generation)
    return value


async def compound_by_id(session: AsyncSession, compound_id: int) -> Compound | None:
    """The compound, as a row of `session` like `session.get` gives, from the cache if there."""
    cache = cache_of(session.sync_session)
    if cache is None:
        return await session.get(Compound, compound_id)
    key = ("compound", compound_id)
    cached = cache.get(key)
    if cached is MISSING:
        generation = cache.generation
        compound = await session.get(Compound, compound_id)
        cache.put(key, _columns(compound) if compound else None, generation=generation)
        return compound
    if cached is None:
        return None
    # A fresh instance each time, so that nothing a flow does to it reaches the cache; merged
    # without loading, it joins the session as if it had just been read.
    fresh = Compound(**_deep_copy(cached))
    make_transient_to_detached(fresh)
    return await session.merge(fresh, load=False)


def _columns(compound: Compound) -> dict[str, Any]:
    return _deep_copy({c.key: getattr(compound, c.key) for c in inspect(Compound).column_attrs})


def _deep_copy(values: dict[str, Any]) -> dict[str, Any]:
    # `settings` is a JSON dict a flow could change in place; the copy keeps that out of the
    # cache. JSON holds only dicts, lists and immutable scalars, so this is all a copy needs
    # (copy.deepcopy took ~0.1 ms per event).
    return {k: _copy_json(v) for k, v in values.items()}


def _copy_json(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _copy_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_copy_json(v) for v in value]
    return value


async def compounds_by_name(session: AsyncSession) -> list[Compound]:
    """Every compound, by name: the choice offered to someone linking a home."""
    return list(await session.scalars(select(Compound).order_by(Compound.name)))


async def compound_ids(session: AsyncSession) -> list[int]:
    return list(await session.scalars(select(Compound.id).order_by(Compound.id)))


async def compound_codes(session: AsyncSession, ids: list[int]) -> list[str]:
    return sorted(await session.scalars(select(Compound.code).where(Compound.id.in_(ids))))


async def buildings_of(session: AsyncSession, compound_id: int) -> list[Building]:
    """The compound's buildings by name, for a choice of buttons."""
    return list(
        await session.scalars(
            select(Building).where(Building.compound_id == compound_id).order_by(Building.name)
        )
    )
