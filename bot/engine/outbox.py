"""The outbox: everything the bot sends is a row first, and goes out after the commit.

A flow's replies, cards, card edits and notifications become `OutboxMessage` rows in the same
transaction as the change that caused them (`enqueue`). After the commit the engine asks the
`Outbox` to deliver those rows; `run` keeps delivering whatever is still due: rows left by a
process that was killed, and rows waiting to be retried. Nothing is lost: a row stays pending
until the transport reports it sent, or it failed for good.

- One sender at a time per row: a row is claimed (a conditional UPDATE, atomic on SQLite and
  PostgreSQL) for a lease before it is handed to the transport. A sender killed mid-send leaves
  the claim to expire; only those rows can go out twice.
- In order per chat: a row waits while an older row to the same chat is pending, and an edit by
  `ref` waits for the message it edits.
- Failures: 429 waits `retry_after`, however long; a server or network error backs off
  (`RETRY_BACKOFF`); a chat that refuses the bot ends the row as blocked, a message Telegram
  refuses as failed, with the reason kept on it.
- A broadcast's rows (one message to many, `broadcast_id` set) are the bulk sender's
  (bot/engine/bulk.py): they neither wait for nor hold up the rows here.
"""

from __future__ import annotations

import asyncio
import base64
import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import and_, exists, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.engine.replies import (
    Button,
    Delivered,
    Edit,
    Keyboard,
    Outbound,
    RetryLater,
    Send,
    Toast,
    Undeliverable,
    Upload,
)
from bot.i18n import translate
from storage.db import Database
from storage.models import Compound, OutboxMessage, OutboxStatus, Person, SentMessage
from storage.repos.compounds import staff_chat
from storage.repos.people import home_compound_ids

log = logging.getLogger(__name__)

# How long a claimed row is held by its sender before another may take it over.
LEASE = timedelta(seconds=60)
# Back-off after a server or network error, by attempt; the last one repeats.
RETRY_BACKOFF = (1.0, 2.0, 5.0, 15.0, 30.0, 60.0)
# An error the transport did not classify ends the row after this many tries.
MAX_UNEXPECTED_ATTEMPTS = 8
# How often `run` looks for due rows when nothing wakes it.
POLL_INTERVAL = 1.0
BATCH = 200
SEND, EDIT = "send", "edit"


def backoff(attempts: int) -> float:
    """Seconds to wait after the `attempts`-th failed try of a server or network error."""
    return RETRY_BACKOFF[min(attempts, len(RETRY_BACKOFF)) - 1]


async def idle(stop: asyncio.Event, wake: asyncio.Event, every: float) -> None:
    """Waits until `stop` or `wake` is set, or `every` seconds pass (a sender between
    rounds: woken when there is new work, looking anyway `every` seconds)."""
    waits = [asyncio.ensure_future(stop.wait()), asyncio.ensure_future(wake.wait())]
    await asyncio.wait(waits, timeout=every, return_when=asyncio.FIRST_COMPLETED)
    for waiting in waits:
        waiting.cancel()


class Transport(Protocol):
    """What a messenger adapter does for the outbox and the engine.

    `send` honours `Send.open_topic` where the chat is a forum: it opens the topic, posts
    into it and reports its id as `Delivered.thread_id`. A message that cannot go out raises
    `RetryLater` (it may later) or `Undeliverable` (it never will).
    """

    async def send(self, message: Send) -> Delivered: ...

    async def edit(self, message: Edit, *, chat_id: int, message_id: int) -> None: ...

    async def toast(self, press_id: str, toast: Toast) -> None: ...


# The session's record of every row `enqueue` added in its transaction (`written`).
_WRITTEN = "courtyard.outbox.written"


def enqueue(session: AsyncSession, out: Iterable[Outbound], now: datetime) -> list[OutboxMessage]:
    """Adds a row for every send and edit in `out`, due `now` (toasts answer a press now or
    never, so they are not kept)."""
    rows = [_row(item) for item in out if not isinstance(item, Toast)]
    for row in rows:
        row.created_at = row.not_before = now
    session.add_all(rows)
    session.info.setdefault(_WRITTEN, []).extend(rows)
    return rows


def written(session: AsyncSession) -> list[OutboxMessage]:
    """Every row enqueued in this session's transaction so far, oldest first, and forgets
    them: the event's replies and what its flow queued on the way (a broadcast's progress
    message), so that all of them are claimed and delivered right after the commit."""
    rows: list[OutboxMessage] = session.info.pop(_WRITTEN, [])
    return sorted(rows, key=lambda row: row.id)


def _row(item: Send | Edit) -> OutboxMessage:
    kind = SEND if isinstance(item, Send) else EDIT
    return OutboxMessage(kind=kind, chat_id=item.chat_id, ref=item.ref, payload=payload_of(item))


def payload_of(item: Send | Edit) -> dict[str, Any]:
    """What a row keeps of a message beyond its chat and ref (`message_of` reads it back)."""
    if isinstance(item, Send):
        payload: dict[str, Any] = {
            "text": item.text,
            "buttons": _buttons(item.buttons),
            "photos": list(item.photos),
            "thread_id": item.thread_id,
            "reply_to": item.reply_to,
            "open_topic": item.open_topic,
            "pin": item.pin,
        }
        if item.uploads:
            # The bytes go with the row (base64 in its JSON): a restart still sends them.
            payload["uploads"] = [
                [upload.name, base64.b64encode(upload.data).decode("ascii")]
                for upload in item.uploads
            ]
        return payload
    return {"text": item.text, "buttons": _buttons(item.buttons), "message_id": item.message_id}


def _buttons(buttons: Keyboard) -> list[list[list[str | None]]]:
    return [[[b.text, b.data, b.url] for b in row] for row in buttons]


def _keyboard(rows: list[list[list[str | None]]]) -> Keyboard:
    return tuple(
        tuple(Button(text=text or "", data=data, url=url) for text, data, url in row)
        for row in rows
    )


class StoredMessage(Protocol):
    """What `message_of` reads of a row: a mapped `OutboxMessage` or a Core result row."""

    kind: str
    chat_id: int | None
    ref: str | None
    payload: dict[str, Any]


def message_of(row: StoredMessage) -> Send | Edit:
    """The engine's message a row stands for."""
    p = row.payload
    if row.kind == SEND:
        assert row.chat_id is not None
        return Send(
            chat_id=row.chat_id,
            text=p["text"],
            buttons=_keyboard(p["buttons"]),
            photos=tuple(p["photos"]),
            thread_id=p["thread_id"],
            ref=row.ref,
            reply_to=p["reply_to"],
            open_topic=p["open_topic"],
            pin=bool(p.get("pin")),
            uploads=tuple(
                Upload(name, base64.b64decode(data)) for name, data in p.get("uploads", ())
            ),
        )
    return Edit(
        text=p["text"],
        buttons=_keyboard(p["buttons"]),
        chat_id=row.chat_id,
        message_id=p["message_id"],
        ref=row.ref,
    )


@dataclass(frozen=True, slots=True)
class Claimed:
    """A row one sender holds for one delivery attempt, with the message it stands for."""

    id: int
    message: Send | Edit
    attempts: int


async def _older_pending(session: AsyncSession, key: tuple[str, object], first: int) -> bool:
    """Whether a pending row older than `first` goes to this chat, or is the send of this
    ref (key ("chat", id) or ("ref", ref))."""
    older = and_(
        OutboxMessage.status == OutboxStatus.PENDING,
        OutboxMessage.id < first,
        # A broadcast's rows (bot/engine/bulk.py) go their own way: a notice held until
        # morning must not hold up the replies to the same person.
        OutboxMessage.broadcast_id.is_(None),
    )
    if key[0] == "chat":
        same = OutboxMessage.chat_id == key[1]
    else:
        same = and_(OutboxMessage.kind == SEND, OutboxMessage.ref == key[1])
    return bool(await session.scalar(select(exists().where(older, same))))


class Outbox:
    """Delivers outbox rows through the transport; see the module docstring."""

    def __init__(self, db: Database, transport: Transport, clock: Callable[[], datetime]) -> None:
        self.db, self.transport, self.clock = db, transport, clock
        self._wake = asyncio.Event()

    async def claim_new(
        self, session: AsyncSession, rows: Sequence[OutboxMessage]
    ) -> list[Claimed]:
        """Claims rows an event has just written, in the event's own transaction, so that
        delivering them right after the commit needs no claim of its own. A row behind an
        older pending one to the same chat (or to the message it edits) is left to `run`."""
        if not rows:
            return []
        first = min(row.id for row in rows)
        until = self.clock() + LEASE
        claimed: list[Claimed] = []
        blocked: dict[tuple[str, object], bool] = {}
        for row in rows:
            keys: list[tuple[str, object]] = (
                [("chat", row.chat_id)] if row.chat_id is not None else []
            )
            if row.kind == EDIT and row.ref is not None:
                keys.append(("ref", row.ref))
            for key in keys:
                if key not in blocked:
                    blocked[key] = await _older_pending(session, key, first)
            if any(blocked[key] for key in keys):
                self.wake()
                continue
            row.claimed_until, row.attempts = until, 1
            claimed.append(Claimed(row.id, message_of(row), 1))
        return claimed

    async def deliver_claimed(self, claimed: Sequence[Claimed]) -> None:
        """Delivers rows claimed by `claim_new`, in order. Once a chat's row has to wait (a
        429, a 5xx), that chat's later rows wait behind it: their claims are let go."""
        held: set[int] = set()
        for item in claimed:
            chat_id = item.message.chat_id
            if chat_id is not None and chat_id in held:
                await self._release(item.id)
                continue
            if not await self._attempt(item) and chat_id is not None:
                held.add(chat_id)

    async def deliver(self, ids: Sequence[int]) -> None:
        """Delivers these rows now, in order, each only if it is due and nobody else has it."""
        for row_id in sorted(ids):
            await self._deliver_one(row_id)

    def wake(self) -> None:
        """Tells `run` there may be rows to deliver sooner than its next look."""
        self._wake.set()

    async def release_claims(self) -> None:
        """Lets go of every claim: for a single process at start, whose claims all belong to
        its killed predecessor. Several processes leave claims to expire instead."""
        async with self.db.write() as session:
            await session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.status == OutboxStatus.PENDING)
                .values(claimed_until=None)
            )

    async def deliver_due(self) -> int:
        """Delivers every row due now, chats side by side and each chat in order; returns how
        many rows it looked at."""
        now = self.clock()
        async with self.db.read() as session:
            rows = (
                await session.execute(
                    select(OutboxMessage.id, OutboxMessage.chat_id, OutboxMessage.ref)
                    .where(
                        OutboxMessage.status == OutboxStatus.PENDING,
                        # Broadcast rows are the bulk sender's (bot/engine/bulk.py).
                        OutboxMessage.broadcast_id.is_(None),
                        OutboxMessage.not_before <= now,
                        or_(
                            OutboxMessage.claimed_until.is_(None),
                            OutboxMessage.claimed_until < now,
                        ),
                    )
                    .order_by(OutboxMessage.id)
                    .limit(BATCH)
                )
            ).all()
        by_chat: dict[int, list[int]] = {}
        by_ref: dict[str | None, list[int]] = {}
        for row_id, chat_id, ref in rows:
            if chat_id is None:
                by_ref.setdefault(ref, []).append(row_id)
            else:
                by_chat.setdefault(chat_id, []).append(row_id)
        await asyncio.gather(*(self.deliver(ids) for ids in by_chat.values()))
        # Edits by ref after the sends: the message an edit changes may be among them.
        await asyncio.gather(*(self.deliver(ids) for ids in by_ref.values()))
        return len(rows)

    async def run(self, stop: asyncio.Event) -> None:
        """Delivers due rows until `stop` is set: at once, then whenever woken or every
        POLL_INTERVAL seconds."""
        while not stop.is_set():
            try:
                looked = await self.deliver_due()
            except Exception:
                log.exception("outbox: delivery round failed; trying again")
                looked = 0
            if looked >= BATCH:
                continue
            self._wake.clear()
            await idle(stop, self._wake, POLL_INTERVAL)

    async def _deliver_one(self, row_id: int) -> None:
        claimed = await self._claim(row_id)
        if claimed is not None:
            await self._attempt(claimed)

    async def _attempt(self, claimed: Claimed) -> bool:
        """One delivery of a claimed row; True when it is settled (sent, or failed for good),
        False when it waits for a retry."""
        try:
            result = await self._hand_over(claimed.message)
        except RetryLater as later:
            await self._retry(claimed, later)
            return False
        except Undeliverable as refused:
            await self._fail(claimed, refused)
        except Exception as exc:
            log.exception("outbox: row %s failed unexpectedly", claimed.id)
            if claimed.attempts < MAX_UNEXPECTED_ATTEMPTS:
                await self._retry(claimed, RetryLater(type(exc).__name__))
                return False
            await self._fail(claimed, Undeliverable(type(exc).__name__))
        else:
            await self._sent(claimed, result)
        return True

    async def _release(self, row_id: int) -> None:
        async with self.db.write() as session:
            await session.execute(
                update(OutboxMessage).where(OutboxMessage.id == row_id).values(claimed_until=None)
            )
        self.wake()

    async def _claim(self, row_id: int) -> Claimed | None:
        """Takes the row for one delivery attempt, or None: not due, already someone's, or
        behind an older pending row to the same chat (or the message it edits)."""
        now = self.clock()
        async with self.db.write() as session:
            row = await session.get(OutboxMessage, row_id)
            if row is None:
                return None
            if await self._waits_for_older(session, row):
                # `run` delivers it right after the older row, in order.
                self.wake()
                return None
            taken = await session.execute(
                update(OutboxMessage)
                .where(
                    OutboxMessage.id == row_id,
                    OutboxMessage.status == OutboxStatus.PENDING,
                    OutboxMessage.not_before <= now,
                    or_(
                        OutboxMessage.claimed_until.is_(None),
                        OutboxMessage.claimed_until < now,
                    ),
                )
                .values(claimed_until=now + LEASE, attempts=OutboxMessage.attempts + 1)
                .execution_options(synchronize_session=False)
            )
            if taken.rowcount != 1:  # type: ignore[attr-defined]
                return None
            return Claimed(row.id, message_of(row), row.attempts + 1)

    @staticmethod
    async def _waits_for_older(session: AsyncSession, row: OutboxMessage) -> bool:
        older = and_(
            OutboxMessage.status == OutboxStatus.PENDING,
            OutboxMessage.id < row.id,
            OutboxMessage.broadcast_id.is_(None),
        )
        if row.chat_id is not None:
            same_chat = OutboxMessage.chat_id == row.chat_id
            if await session.scalar(select(exists().where(older, same_chat))):
                return True
        if row.kind == EDIT and row.ref is not None:
            edited = and_(OutboxMessage.kind == SEND, OutboxMessage.ref == row.ref)
            return bool(await session.scalar(select(exists().where(older, edited))))
        return False

    async def _hand_over(self, message: Send | Edit) -> Delivered | None:
        if isinstance(message, Send):
            delivered = await self.transport.send(message)
            if delivered.blocked:
                raise Undeliverable("the chat refuses the bot's messages", blocked=True)
            return delivered
        for chat_id, message_id in await self._targets(message):
            await self.transport.edit(message, chat_id=chat_id, message_id=message_id)
        return None

    async def _targets(self, edit: Edit) -> list[tuple[int, int]]:
        if edit.ref is None:
            if edit.chat_id is None or edit.message_id is None:
                return []
            return [(edit.chat_id, edit.message_id)]
        async with self.db.read() as session:
            rows = await session.execute(
                select(SentMessage.chat_id, SentMessage.message_id).where(
                    SentMessage.ref == edit.ref
                )
            )
            return [(chat_id, message_id) for chat_id, message_id in rows]

    async def _sent(self, claimed: Claimed, delivered: Delivered | None) -> None:
        message = claimed.message
        async with self.db.write() as session:
            message_id = delivered.message_id if delivered else None
            await session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id == claimed.id)
                .values(
                    status=OutboxStatus.SENT,
                    sent_at=self.clock(),
                    claimed_until=None,
                    message_id=message_id,
                    error="; ".join(delivered.errors) if delivered else "",
                )
            )
            if isinstance(message, Send) and message.ref and message_id is not None:
                assert delivered is not None
                # The ref lets later edits (a card's new state) find this message.
                session.add(
                    SentMessage(
                        ref=message.ref,
                        chat_id=message.chat_id,
                        message_id=message_id,
                        thread_id=delivered.thread_id or message.thread_id,
                    )
                )

    async def _retry(self, claimed: Claimed, later: RetryLater) -> None:
        delay = later.delay
        if delay is None:
            delay = backoff(claimed.attempts)
        log.warning(
            "outbox: row %s not delivered (%s); trying again in %.0f s",
            claimed.id,
            later.reason,
            delay,
        )
        async with self.db.write() as session:
            await session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id == claimed.id)
                .values(
                    claimed_until=None,
                    not_before=self.clock() + timedelta(seconds=delay),
                    error=later.reason,
                )
            )

    async def _fail(self, claimed: Claimed, refused: Undeliverable) -> None:
        log.info("outbox: row %s will not be delivered: %s", claimed.id, refused.reason)
        async with self.db.write() as session:
            await session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id == claimed.id)
                .values(
                    status=OutboxStatus.BLOCKED if refused.blocked else OutboxStatus.FAILED,
                    claimed_until=None,
                    error=refused.reason,
                )
            )
            message = claimed.message
            if not isinstance(message, Send):
                return
            if refused.blocked:
                await session.execute(
                    update(Person)
                    .where(Person.telegram_id == message.chat_id)
                    .values(blocked_at=self.clock())
                )
            notices = await self._tell_staff(session, message.chat_id, refused)
            session.add_all(notices)
            await session.flush()
        await self.deliver([row.id for row in notices])

    async def _tell_staff(
        self, session: AsyncSession, chat_id: int, refused: Undeliverable
    ) -> list[OutboxMessage]:
        """A message a resident will never get is the staff's to follow up (by phone): each
        staff chat of their compounds hears whom it did not reach and why."""
        person = await session.scalar(select(Person).where(Person.telegram_id == chat_id))
        if person is None:
            return []
        notices: list[Outbound] = []
        for compound_id in await home_compound_ids(session, chat_id):
            chat = await staff_chat(session, compound_id)
            compound = await session.get(Compound, compound_id)
            if chat is None or compound is None or chat.chat_id == chat_id:
                continue
            key = "outbox-blocked" if refused.blocked else "outbox-undelivered"
            text = translate(
                compound.locale, key, name=person.name or chat_id, reason=refused.reason
            )
            notices.append(Send(chat_id=chat.chat_id, text=text))
        return enqueue(session, notices, self.clock())
