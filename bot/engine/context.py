"""What a flow handler gets: the event, who sent it, a database session, and where to reply."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from bot.engine.buttons import ButtonData
from bot.engine.events import Incoming
from bot.engine.replies import Button, Edit, Keyboard, Outbound, Send, Toast, keyboard
from bot.i18n import Translator
from storage.models import Compound, Person
from storage.repos import jobs as job_repo
from storage.repos.conversations import ConversationState
from storage.repos.people import Actor

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from bot.services import Services


@dataclass(slots=True)
class Context:
    event: Incoming
    session: AsyncSession
    services: Services
    actor: Actor
    compound: Compound | None
    conversation: ConversationState
    locale: str
    out: list[Outbound] = field(default_factory=list)
    # Replies kept even when the event fails and its transaction is rolled back.
    urgent: list[Outbound] = field(default_factory=list)
    # Timed steps (deadline rows) created by this event; armed in the scheduler after commit.
    timers: list[tuple[int, datetime]] = field(default_factory=list)
    # Scheduled jobs (bot/engine/jobs.py) added by this event; armed after commit.
    jobs: list[tuple[int, datetime]] = field(default_factory=list)

    @property
    def t(self) -> Translator:
        return Translator(self.locale)

    @property
    def person(self) -> Person:
        return self.actor.person

    @property
    def chat_id(self) -> int:
        return self.event.chat.id

    def button(self, text: str, data: ButtonData) -> Button:
        return Button(text=text, data=data.pack())

    def private_chat_keyboard(self, payload: str) -> Keyboard:
        """One button that opens a private chat with the bot on `/start payload`."""
        link = self.services.deep_link(payload)
        return keyboard([Button(text=self.t("common-open-private"), url=link)])

    def reply(self, text: str, buttons: Keyboard = (), *, ref: str | None = None) -> None:
        """Answers in the chat the event came from (and in its forum topic, if any)."""
        self.out.append(
            Send(
                chat_id=self.chat_id,
                text=text,
                buttons=buttons,
                thread_id=self.event.thread_id,
                ref=ref,
            )
        )

    def reply_urgently(self, text: str) -> None:
        """Answers in this chat, and still does if recording what happened then fails:
        safety advice must not depend on the database."""
        self.reply(text)
        self.urgent.append(self.out[-1])

    def say(self, key: str, buttons: Keyboard = (), **values: Any) -> None:
        """Replies with the locale text `key`."""
        self.reply(self.t(key, **values), buttons)

    def send(
        self,
        chat_id: int,
        text: str,
        buttons: Keyboard = (),
        *,
        ref: str | None = None,
        thread_id: int | None = None,
        photos: tuple[str, ...] = (),
    ) -> None:
        """Sends to another chat: the staff chat, a resident, a manager."""
        self.out.append(
            Send(
                chat_id=chat_id,
                text=text,
                buttons=buttons,
                ref=ref,
                thread_id=thread_id,
                photos=photos,
            )
        )

    def edit(self, text: str, buttons: Keyboard = (), *, ref: str | None = None) -> None:
        """Edits the message whose button was pressed, or every message sent under `ref`."""
        if ref is not None:
            self.out.append(Edit(text=text, buttons=buttons, ref=ref))
            return
        press = self.event.press
        if press is None or press.message_id is None:
            self.reply(text, buttons)
            return
        self.out.append(
            Edit(text=text, buttons=buttons, chat_id=self.chat_id, message_id=press.message_id)
        )

    async def schedule(self, kind: str, subject: str, due_at: datetime) -> bool:
        """Adds a scheduled job (once per kind, subject and time), armed after the commit;
        False when it was there already."""
        job = await job_repo.schedule(self.session, kind, subject, due_at)
        if job is None:
            return False
        self.jobs.append((job.id, job.due_at))
        return True

    def toast(self, text: str, *, alert: bool = False) -> None:
        self.out.append(Toast(text=text, alert=alert))
