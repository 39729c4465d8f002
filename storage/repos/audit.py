"""The audit log: who did what to whose data, and when."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import AuditEntry


def record(
    session: AsyncSession,
    *,
    action: str,
    actor_id: int | None,
    compound_id: int | None,
    target: str = "",
    **detail: Any,
) -> None:
    session.add(
        AuditEntry(
            action=action,
            actor_id=actor_id,
            compound_id=compound_id,
            target=target,
            detail=detail,
        )
    )
