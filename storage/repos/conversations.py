"""Conversation state per (user, chat): the step a user is on and what they typed so far."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Conversation, utcnow

Draft = TypeVar("Draft", bound=BaseModel)
# Keys the engine keeps beside a form's own fields (the last question asked, `_prompt`).
ENGINE_KEY_PREFIX = "_"


def new_nonce() -> str:
    return secrets.token_urlsafe(4)[:6]


@dataclass(slots=True)
class ConversationState:
    """The working copy a flow changes; saved at the end of the event only if it changed."""

    user_id: int
    chat_id: int
    flow: str | None = None
    step: str | None = None
    data: dict[str, Any] = field(default_factory=dict)
    nonce: str = ""
    changed: bool = False
    # When the stored row was last written (None before the first save): the engine asks
    # before taking the first text of a form left before a restart or a long pause.
    updated_at: datetime | None = None
    # The stored row this state was read from, so that saving needs no second lookup.
    row: Conversation | None = field(default=None, repr=False)

    @property
    def active(self) -> bool:
        return self.flow is not None

    def begin(self, flow: str, step: str, **data: Any) -> None:
        self.flow, self.step, self.data = flow, step, dict(data)
        self._touch()

    def goto(self, step: str, **data: Any) -> None:
        if self.flow is None:
            raise RuntimeError("goto() outside a conversation")
        self.step = step
        self.data.update(data)
        self._touch()

    def update(self, **data: Any) -> None:
        """Records more of what the user typed without moving to another step."""
        self.data.update(data)
        self.changed = True

    def draft(self, model: type[Draft]) -> Draft | None:
        """What the user typed so far, as the form's typed draft. None when the stored data
        does not fit the model (a row saved by an older release): the caller ends the form
        politely. Keys the model does not know are ignored, so a removed field is harmless."""
        fields = {k: v for k, v in self.data.items() if not k.startswith(ENGINE_KEY_PREFIX)}
        try:
            return model.model_validate(fields)
        except ValidationError:
            return None

    def keep(self, draft: BaseModel) -> None:
        """Stores the draft as JSON, keeping the engine's own keys. A draft equal to the stored
        one changes nothing: an answer that was refused must not count as a new question (the
        engine remembers the last question only when the state changed)."""
        engine_keys = {k: v for k, v in self.data.items() if k.startswith(ENGINE_KEY_PREFIX)}
        fields = draft.model_dump(mode="json")
        if fields == {k: v for k, v in self.data.items() if k not in engine_keys}:
            return
        self.data = {**fields, **engine_keys}
        self.changed = True

    def touch(self) -> None:
        """Counts as activity (the row's time moves on) without changing step or data."""
        self.changed = True

    def finish(self) -> None:
        self.flow = self.step = None
        self.data = {}
        self._touch()

    def _touch(self) -> None:
        self.nonce = new_nonce()
        self.changed = True


# Read on every event: built once, so that each event only binds the two ids.
_BY_USER_AND_CHAT = select(Conversation).where(
    Conversation.user_id == bindparam("user_id"), Conversation.chat_id == bindparam("chat_id")
)


async def load_conversation(session: AsyncSession, user_id: int, chat_id: int) -> ConversationState:
    row = await session.scalar(_BY_USER_AND_CHAT, {"user_id": user_id, "chat_id": chat_id})
    if row is None:
        return ConversationState(user_id=user_id, chat_id=chat_id)
    return ConversationState(
        user_id=user_id,
        chat_id=chat_id,
        flow=row.flow,
        step=row.step,
        data=dict(row.data or {}),
        nonce=row.nonce,
        updated_at=row.updated_at,
        row=row,
    )


async def save_conversation(
    session: AsyncSession, state: ConversationState, now: datetime | None = None
) -> None:
    """Writes the state if a flow changed it; a finished conversation leaves no row.
    `now`: the services' clock (the row's `updated_at`), so that tests can move it."""
    if not state.changed:
        return
    if state.flow is None:
        if state.row is not None:
            await session.delete(state.row)
            state.row = None
    else:
        row = state.row
        if row is None:
            row = state.row = Conversation(user_id=state.user_id, chat_id=state.chat_id)
            session.add(row)
        row.flow, row.step, row.nonce = state.flow, state.step or "", state.nonce
        row.data = dict(state.data)
        row.updated_at = state.updated_at = now or utcnow()
    state.changed = False
