"""The engine: takes one event from any messenger, runs the right flow, delivers what it says.

For each event, in one database transaction: the person is found or created, their roles and
compound are loaded, the conversation state is read, the flow runs, the state is saved. Only
after the commit are replies delivered, so nothing a user sees refers to data that was rolled
back. Events of one user are handled strictly one after another (`KeyedLocks`; with REDIS_URL,
`RedisKeyedLocks`, across processes).
"""

from __future__ import annotations

import dataclasses
import logging
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.engine.alerts import AlertBudget
from bot.engine.bulk import BulkSender
from bot.engine.buttons import ButtonData, InvalidButton
from bot.engine.context import Context
from bot.engine.events import ChatKind, Incoming
from bot.engine.inbox import take_update
from bot.engine.ordering import KeyedLocks, UserLocks
from bot.engine.outbox import Claimed, Outbox, Transport, enqueue
from bot.engine.prompts import PROMPT_KEY, prompt_to_data
from bot.engine.replies import Outbound, Send, Toast
from bot.i18n import locale_for, normalize_locale, translate
from bot.logs import new_reference
from bot.services import Services
from storage.models import Compound, Person
from storage.repos import compounds as compound_repo
from storage.repos.conversations import load_conversation, save_conversation
from storage.repos.people import Actor, ensure_actor, load_actor

log = logging.getLogger(__name__)

# A form untouched for this long is not continued silently: its next text may well be a new
# question rather than the answer, and the person has likely forgotten what was asked. A form
# is answered in one sitting of minutes; six hours covers a lunch break or an errand without
# asking, and anything from the day before asks.
LEFT_FOR = timedelta(hours=6)


class Engine:
    def __init__(
        self, services: Services, transport: Transport, *, locks: UserLocks | None = None
    ) -> None:
        self.services = services
        # In-process unless the application passes shared ones (REDIS_URL: several processes).
        self.locks: UserLocks = locks if locks is not None else KeyedLocks()
        # Sends, edits and notifications go out through the outbox, which holds the transport.
        # The clock is read through the services each time: tests move it.
        self.outbox = Outbox(services.db, transport, lambda: self.services.clock())
        # Broadcasts (one message to many) go out apart from replies, paced (bulk.py).
        self.bulk = BulkSender(
            services.db,
            self.outbox,
            lambda: self.services.clock(),
            rate=services.settings.send_rate,
        )
        # Updates from the inbox this process has taken (or found taken): the adapter marks the
        # rest handled itself (bot/adapters/telegram/durable.py).
        self._taken: set[int] = set()
        # Error alerts per staff chat, in this process (bot/engine/alerts.py).
        self.alert_budget = AlertBudget()
        # A conversation last written before this, by an earlier process, is asked about
        # before its next text is taken as an answer (`_left_over`).
        self.started_at = services.clock()

    @property
    def transport(self) -> Transport:
        return self.outbox.transport

    @transport.setter
    def transport(self, transport: Transport) -> None:
        self.outbox.transport = transport

    def took(self, update_id: int) -> bool:
        """Whether the engine dealt with this inbox update (and forgets it)."""
        if update_id in self._taken:
            self._taken.discard(update_id)
            return True
        return False

    async def handle(self, event: Incoming) -> list[Outbound]:
        """Handles one event and delivers its replies; returns them (tests read them).

        The replies are outbox rows written with the event's changes; they are delivered after
        the commit (and, should this process die first, by the outbox after the restart)."""
        async with self.locks.hold(event.user.id):
            # Replies that must reach the person even if the event fails (safety advice).
            urgent: list[Outbound] = []
            try:
                out, claimed = await self._run(event, urgent)
            except Exception:
                out = [*urgent, *await self._apologise(event)]
                claimed = await self._enqueue_after_failure(out, event.update_id)
            if event.update_id is not None:
                self._taken.add(event.update_id)
            await self._answer_press(out, event.press.press_id if event.press else None)
            await self.outbox.deliver_claimed(claimed)
            return out

    async def _run(
        self, event: Incoming, urgent: list[Outbound]
    ) -> tuple[list[Outbound], list[Claimed]]:
        settings = self.services.settings
        async with self.services.db.write() as session:
            if event.update_id is not None and not await take_update(
                session, event.update_id, self.services.clock()
            ):
                log.info("update %s was handled already", event.update_id)
                return [], []
            messenger_locale = normalize_locale(event.user.language_code, default="")
            actor = await ensure_actor(
                session,
                telegram_id=event.user.id,
                name=event.user.name,
                locale=messenger_locale or None,
                manager_ids=settings.manager_ids,
            )
            person = actor.person
            compound = await self._compound(session, event, actor)
            locale = locale_for(person, compound, settings.default_locale)
            conversation = await load_conversation(session, event.user.id, event.chat.id)
            ctx = Context(
                urgent=urgent,
                event=event,
                session=session,
                services=self.services,
                actor=actor,
                compound=compound,
                conversation=conversation,
                locale=locale,
            )
            await self._dispatch(ctx)
            _remember_prompt(ctx)
            await save_conversation(session, conversation, self.services.clock())
            rows = enqueue(session, ctx.out, self.services.clock())
            await session.flush()
            claimed = await self.outbox.claim_new(session, rows)
        timers = self.services.timers
        if timers is not None:
            for row_id, due_at in ctx.timers:
                timers.arm(row_id, due_at)
            for row_id, due_at in ctx.jobs:
                timers.arm_job(row_id, due_at)
        return ctx.out, claimed

    async def _enqueue_after_failure(
        self, out: list[Outbound], update_id: int | None
    ) -> list[Claimed]:
        """Stores the apology, the alerts and any urgent reply, and marks the update handled
        (so a failing update is not retried for ever). When even that fails (the database is
        gone), they are sent straight away: better sent without a record than not at all."""
        try:
            async with self.services.db.write() as session:
                if update_id is not None:
                    await take_update(session, update_id, self.services.clock())
                rows = enqueue(session, out, self.services.clock())
                await session.flush()
                return await self.outbox.claim_new(session, rows)
        except Exception:
            log.exception("could not record the apology; sending it unrecorded")
            await self._send_unrecorded(out)
            return []

    async def _send_unrecorded(self, out: list[Outbound]) -> None:
        for item in out:
            if isinstance(item, Send):
                try:
                    await self.transport.send(item)
                except Exception:
                    log.exception("could not send an unrecorded message")

    @staticmethod
    async def _compound(session: AsyncSession, event: Incoming, actor: Actor) -> Compound | None:
        """The group's compound, else the person's first, else the only one there is."""
        compound_id = None
        if event.chat.kind is ChatKind.GROUP:
            compound_id = await compound_repo.bound_compound_id(session, event.chat.id)
        if compound_id is None and actor.compound_ids():
            compound_id = actor.compound_ids()[0]
        if compound_id is None:
            compound_id = await compound_repo.only_compound_id(session)
        if compound_id is None:
            return None
        return await compound_repo.compound_by_id(session, compound_id)

    async def _dispatch(self, ctx: Context) -> None:
        event, flows = ctx.event, self.services.flows
        if event.press is not None:
            await self._on_press(ctx)
        elif event.command is not None:
            await self._on_command(ctx)
        elif event.unsupported is not None:
            if event.is_private or event.addressed:
                ctx.say("common-unsupported", kind=ctx.t(f"kind-{event.unsupported.value}"))
        elif ctx.conversation.active and (event.text or event.photos):
            for interrupt in flows.interrupts:
                if await interrupt(ctx):
                    return
            if (
                event.text
                and flows.resume is not None
                and self._left_over(ctx.conversation.updated_at)
                and await flows.resume(ctx)
            ):
                # Asked, not answered: the text is not consumed; the next one is the answer.
                ctx.conversation.touch()
                return
            handler = flows.steps.get((ctx.conversation.flow or "", ctx.conversation.step or ""))
            if handler is None:
                # A step that no longer exists (the flow changed between releases).
                log.warning("dropping conversation at unknown step %s", ctx.conversation.step)
                ctx.conversation.finish()
                ctx.say("common-conversation-lost")
                return
            await handler(ctx)
        elif event.text or event.photos:
            for claim in flows.claims:
                if await claim(ctx):
                    return
            if event.text and flows.text is not None:
                await flows.text(ctx)
            elif event.photos and (event.is_private or event.addressed):
                ctx.say("common-photo-without-flow")

    def _left_over(self, updated_at: datetime | None) -> bool:
        """Whether a conversation last written at `updated_at` was left: before this process
        started (the person quit the console, the bot was redeployed), or `LEFT_FOR` ago."""
        if updated_at is None:
            return False
        now = self.services.clock()
        # A clock set back (tests, a time correction) must not make every row look older than
        # the process, or each answer would be asked about again: the start moves back with it.
        self.started_at = min(self.started_at, now)
        return updated_at < self.started_at or now - updated_at > LEFT_FOR

    async def _on_command(self, ctx: Context) -> None:
        event, flows = ctx.event, self.services.flows
        command = flows.commands.get(event.command or "")
        if command is None:
            if event.is_private or event.addressed:
                ctx.say("common-unknown-command", command=event.command)
            return
        if command.private_only and not event.is_private:
            ctx.say("common-private-only", ctx.private_chat_keyboard(command.name))
            return
        if command.begins and flows.guard is not None and await flows.guard(ctx, command):
            return
        await command.handler(ctx)

    async def _on_press(self, ctx: Context) -> None:
        press = ctx.event.press
        assert press is not None
        flows = self.services.flows
        try:
            data = flows.buttons.parse(press.data)
        except InvalidButton as exc:
            log.info("rejected press %r from %s: %s", press.data, ctx.event.user.id, exc)
            self._stale(ctx)
            return
        # A button of a conversation step is valid only while that step is current: with no
        # conversation there is no step, so even an empty nonce (forged) is stale.
        nonce = getattr(data, "nonce", None) if _carries_nonce(data) else None
        if nonce is not None and (not ctx.conversation.active or nonce != ctx.conversation.nonce):
            self._stale(ctx)
            return
        await flows.presses[type(data)](ctx, data)

    @staticmethod
    def _stale(ctx: Context) -> None:
        ctx.toast(ctx.t("common-button-invalid"), alert=True)

    async def _apologise(self, event: Incoming) -> list[Outbound]:
        """Logs the failure under a reference, apologises to the user, tells the staff chat."""
        reference = new_reference()
        log.exception(
            "error %s handling %s from user %s in chat %s",
            reference,
            _describe(event),
            event.user.id,
            event.chat.id,
        )
        locale = normalize_locale(event.user.language_code, self.services.settings.default_locale)
        out: list[Outbound] = [
            Send(
                chat_id=event.chat.id,
                text=translate(locale, "error-apology", reference=reference),
                thread_id=event.thread_id,
            )
        ]
        try:
            out.extend(await self._staff_alerts(event, reference))
        except Exception:
            log.exception("could not find a staff chat to report error %s", reference)
        return out

    async def _staff_alerts(self, event: Incoming, reference: str) -> list[Outbound]:
        """The alert for each staff chat concerned. It names the reference only: who wrote
        and what they did stay in the log, or an alert would unmask an anonymous
        complainant. A chat past its budget gets no alert now; the next one summarises."""
        async with self.services.db.read() as session:
            person = await session.scalar(select(Person).where(Person.telegram_id == event.user.id))
            compound_ids: list[int] = []
            binding = await compound_repo.chat_binding(session, event.chat.id)
            if binding is not None:
                compound_ids.append(binding.compound_id)
            if person is not None:
                actor = await load_actor(session, person, manager_ids=frozenset())
                compound_ids.extend(actor.compound_ids())
            if not compound_ids:
                only = await compound_repo.only_compound(session)
                compound_ids = [only.id] if only else []
            alerts: list[Outbound] = []
            for compound_id in dict.fromkeys(compound_ids):
                staff = await compound_repo.staff_chat(session, compound_id)
                if staff is None or staff.chat_id == event.chat.id:
                    continue
                compound = await compound_repo.compound_by_id(session, compound_id)
                text = self._alert_text(staff.chat_id, compound, reference)
                if text is not None:
                    alerts.append(Send(chat_id=staff.chat_id, text=text))
            return alerts

    def _alert_text(self, chat_id: int, compound: Compound | None, reference: str) -> str | None:
        """The alert for one staff chat, with the summary of those held back before it; None
        when the chat's budget is spent."""
        admission = self.alert_budget.admit(chat_id, self.services.clock())
        if not admission.allowed:
            log.info("error %s not posted to staff chat %s: too many alerts", reference, chat_id)
            return None
        settings = self.services.settings
        locale = locale_for(None, compound, settings.default_locale)
        text = translate(locale, "error-staff-alert", reference=reference)
        if admission.held_back and admission.held_since is not None:
            zone = ZoneInfo(compound.timezone if compound else settings.timezone)
            since = admission.held_since.astimezone(zone).strftime("%H:%M")
            more = translate(
                locale, "error-staff-alert-more", count=admission.held_back, since=since
            )
            text = f"{text}\n{more}"
        return text

    async def deliver(self, out: list[Outbound], *, press_id: str | None = None) -> None:
        """Delivers messages made outside an event (the scheduler, tests): they are written to
        the outbox first, like an event's, then sent."""
        async with self.services.db.write() as session:
            rows = enqueue(session, out, self.services.clock())
            await session.flush()
            ids = [row.id for row in rows]
        await self._answer_press(out, press_id)
        await self.outbox.deliver(ids)

    async def _answer_press(self, out: list[Outbound], press_id: str | None) -> None:
        """Answers the press with the event's first toast, or an empty one: Telegram shows a
        spinner on the button until the press is answered. Never recorded: an answer that
        cannot go out now is worth nothing later."""
        if press_id is None:
            return
        toast = next((item for item in out if isinstance(item, Toast)), Toast(""))
        try:
            await self.transport.toast(press_id, toast)
        except Exception:
            log.exception("could not answer a press")


def _remember_prompt(ctx: Context) -> None:
    """Keeps the question a form step just asked, so "continue" can ask it again later."""
    conversation = ctx.conversation
    if not (conversation.active and conversation.changed):
        return
    asked = [o for o in ctx.out if isinstance(o, Send) and o.chat_id == ctx.chat_id]
    if asked:
        conversation.update(**{PROMPT_KEY: prompt_to_data(asked[-1])})


def _carries_nonce(data: ButtonData) -> bool:
    return any(f.name == "nonce" for f in dataclasses.fields(data))  # type: ignore[arg-type]


def _describe(event: Incoming) -> str:
    if event.press is not None:
        return f"press {event.press.data.split(':', 1)[0]}"
    if event.command is not None:
        return f"/{event.command}"
    if event.photos:
        return "photo"
    return "text" if event.text else "message"
