"""Compounds, their units and their chats."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import ChatBinding, ChatPurpose, Compound, Unit


async def compound_by_code(session: AsyncSession, code: str) -> Compound | None:
    return await session.scalar(select(Compound).where(Compound.code == code))


async def only_compound(session: AsyncSession) -> Compound | None:
    """The compound, when the store holds exactly one (a single-compound deployment)."""
    rows = (await session.scalars(select(Compound).order_by(Compound.id).limit(2))).all()
    return rows[0] if len(rows) == 1 else None


async def count_compounds(session: AsyncSession) -> int:
    return await session.scalar(select(func.count(Compound.id))) or 0


def normalize_unit_label(label: str) -> str:
    """'3 - 2 - 1502', '3－2－1502' and '3-2-1502' name the same unit."""
    cleaned = label.strip().replace("－", "-").replace("—", "-").replace("/", "-")
    return "-".join(part.strip() for part in cleaned.split("-") if part.strip()).upper()


async def unit_by_label(session: AsyncSession, compound_id: int, label: str) -> Unit | None:
    return await session.scalar(
        select(Unit).where(
            Unit.compound_id == compound_id, Unit.label == normalize_unit_label(label)
        )
    )


async def chat_binding(session: AsyncSession, chat_id: int) -> ChatBinding | None:
    return await session.scalar(select(ChatBinding).where(ChatBinding.chat_id == chat_id))


async def staff_chat(session: AsyncSession, compound_id: int) -> ChatBinding | None:
    return await session.scalar(
        select(ChatBinding).where(
            ChatBinding.compound_id == compound_id, ChatBinding.purpose == ChatPurpose.STAFF
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
