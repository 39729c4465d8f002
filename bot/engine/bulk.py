"""Mass delivery: a broadcast is one outbox row per chat, sent apart from replies, paced.

A notice, an emergency or a day's fee reminders is a `Broadcast` and one `OutboxMessage` per
chat it goes to (`queue`, in the transaction that decided to send it; unique per broadcast and
chat). The `BulkSender` sends those rows; the ordinary outbox (outbox.py) keeps sending replies
and cards, so a resident's answer never waits behind ten thousand notices.

- Claims: a sender takes a batch of due rows, urgent (emergency) first, in one write
  transaction (PostgreSQL: `FOR UPDATE SKIP LOCKED`, so several processes take different rows;
  SQLite: its write lock). A claim is a lease: rows of a sender killed with SIGKILL are taken
  again when it expires, so nothing is lost and only the rows in flight can go out twice.
- Pacing is the transport's (a global budget, per-chat spacing; shared through Redis with
  REDIS_URL); the sender keeps at most `window` messages in flight, so a reply waits behind a
  few bulk messages at most. A 429 holds the whole transport for `retry_after`.
- Outcomes are recorded as they come, every `FLUSH_EVERY` seconds: sent (with the message id),
  blocked (403: the person is marked blocked and skipped by later broadcasts), failed (a reason
  Telegram gave), or due again later (429, 5xx, network).
- Quiet hours hold a non-urgent broadcast's private messages until morning (`queue`).
- Progress: the broadcast's progress message (in the manager's chat) is posted when it is
  queued and edited in place as it goes out, not more often than every `PROGRESS_EVERY`.
"""

from __future__ import annotations

import asyncio
import enum
import logging
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, Table, bindparam, func, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.engine.outbox import (
    LEASE,
    MAX_UNEXPECTED_ATTEMPTS,
    Outbox,
    backoff,
    enqueue,
    idle,
    message_of,
    payload_of,
)
from bot.engine.replies import Delivered, Edit, RetryLater, Send, Undeliverable
from bot.i18n import translate
from storage import quiet_hours
from storage.db import Database
from storage.models import (
    Broadcast,
    BroadcastKind,
    Compound,
    OutboxMessage,
    OutboxStatus,
    Person,
)

log = logging.getLogger(__name__)

# How often outcomes are written while a batch is out, and how often the manager's progress
# message may be edited (Telegram allows about one edit a second per chat; every few seconds
# keeps it readable and costs nothing).
FLUSH_EVERY = 0.25
PROGRESS_EVERY = timedelta(seconds=3)
POLL_INTERVAL = 0.5
# Rows looked up per statement when checking who is blocked.
CHUNK = 500
OUTBOX: Table = OutboxMessage.__table__  # type: ignore[assignment]


class Priority(enum.IntEnum):
    """`OutboxMessage.priority`: which rows the bulk sender takes first."""

    URGENT = 0  # an emergency broadcast
    REPLY = 1  # replies and notifications (the ordinary outbox)
    BULK = 2  # notices, reminders


def progress_ref(broadcast_id: int) -> str:
    return f"broadcast:{broadcast_id}:progress"


@dataclass(frozen=True, slots=True)
class Progress:
    """How far a broadcast has gone, as the manager reads it."""

    total: int = 0
    delivered: int = 0
    blocked: int = 0
    failed: int = 0
    waiting: int = 0
    cancelled: int = 0
    # The earliest moment a waiting row may go (quiet hours), when any waits.
    next_at: datetime | None = None

    @property
    def done(self) -> bool:
        return self.waiting == 0


async def open_broadcast(
    session: AsyncSession,
    *,
    compound: Compound,
    kind: BroadcastKind,
    subject: str,
    title: str,
    now: datetime,
    urgent: bool = False,
    created_by: int | None = None,
    progress_chat_id: int | None = None,
) -> Broadcast | None:
    """Opens a broadcast; None when `subject` was opened already (a slot fired twice sends
    once). With `progress_chat_id`, `queue` posts its progress message there."""
    if await session.scalar(select(Broadcast.id).where(Broadcast.subject == subject)):
        return None
    broadcast = Broadcast(
        compound_id=compound.id,
        kind=kind,
        subject=subject,
        title=title[:200],
        urgent=urgent,
        created_by=created_by,
        created_at=now,
        progress_chat_id=progress_chat_id,
        locale=compound.locale,
    )
    session.add(broadcast)
    await session.flush()
    return broadcast


async def queue(
    session: AsyncSession,
    broadcast: Broadcast,
    messages: Iterable[Send],
    now: datetime,
    *,
    compound: Compound,
) -> int:
    """Adds one row per chat (a chat already in the broadcast is skipped) and returns how many
    were added. Private messages of a non-urgent broadcast wait for the end of the compound's
    quiet hours; chats of people known to have blocked the bot are recorded as blocked."""
    present = set(
        await session.scalars(
            select(OutboxMessage.chat_id).where(OutboxMessage.broadcast_id == broadcast.id)
        )
    )
    fresh: dict[int, Send] = {}
    for message in messages:
        if message.chat_id not in present and message.chat_id not in fresh:
            fresh[message.chat_id] = message
    if not fresh:
        return 0
    blocked = await _blocked_chats(session, [c for c in fresh if c > 0])
    held = None if broadcast.urgent else quiet_hours.hold_until(compound, now)
    priority = Priority.URGENT if broadcast.urgent else Priority.BULK
    rows: list[dict[str, Any]] = []
    for chat_id, message in fresh.items():
        status = OutboxStatus.BLOCKED if chat_id in blocked else OutboxStatus.PENDING
        rows.append(
            {
                "kind": "send",
                "chat_id": chat_id,
                "ref": message.ref,
                "payload": payload_of(message),
                "broadcast_id": broadcast.id,
                "priority": int(priority),
                "status": status,
                "attempts": 0,
                # Quiet hours are for homes; a group post goes out now.
                "not_before": held if held is not None and chat_id > 0 else now,
                "error": "blocked before this broadcast" if chat_id in blocked else "",
                "created_at": now,
            }
        )
    for start in range(0, len(rows), CHUNK):
        await session.execute(insert(OutboxMessage), rows[start : start + CHUNK])
    await _post_progress(session, broadcast, now, force=True)
    return len(rows)


async def _blocked_chats(session: AsyncSession, chat_ids: Sequence[int]) -> set[int]:
    blocked: set[int] = set()
    for start in range(0, len(chat_ids), CHUNK):
        part = chat_ids[start : start + CHUNK]
        blocked.update(
            await session.scalars(
                select(Person.telegram_id).where(
                    Person.telegram_id.in_(part), Person.blocked_at.is_not(None)
                )
            )
        )
    return {chat for chat in blocked if chat is not None}


async def progress(session: AsyncSession, broadcast_id: int) -> Progress:
    """Counts the broadcast's rows by outcome."""
    counts: dict[OutboxStatus, int] = {}
    rows = await session.execute(
        select(OutboxMessage.status, func.count(), func.min(OutboxMessage.not_before))
        .where(OutboxMessage.broadcast_id == broadcast_id)
        .group_by(OutboxMessage.status)
    )
    next_at = None
    for status, count, earliest in rows:
        counts[OutboxStatus(status)] = int(count)
        if status == OutboxStatus.PENDING:
            next_at = earliest
    return Progress(
        total=sum(counts.values()),
        delivered=counts.get(OutboxStatus.SENT, 0),
        blocked=counts.get(OutboxStatus.BLOCKED, 0),
        failed=counts.get(OutboxStatus.FAILED, 0),
        waiting=counts.get(OutboxStatus.PENDING, 0),
        cancelled=counts.get(OutboxStatus.CANCELLED, 0),
        next_at=next_at,
    )


async def cancel(session: AsyncSession, broadcast_id: int, now: datetime) -> int:
    """Stops what has not gone out yet; returns how many messages will not be sent. Rows a
    sender holds at this moment may still go."""
    broadcast = await session.get(Broadcast, broadcast_id)
    if broadcast is None:
        return 0
    result = await session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.broadcast_id == broadcast_id,
            OutboxMessage.status == OutboxStatus.PENDING,
            or_(OutboxMessage.claimed_until.is_(None), OutboxMessage.claimed_until < now),
        )
        .values(status=OutboxStatus.CANCELLED, error="cancelled")
        .execution_options(synchronize_session=False)
    )
    if broadcast.cancelled_at is None:
        broadcast.cancelled_at = now
    await _post_progress(session, broadcast, now, force=True)
    return int(result.rowcount)  # type: ignore[attr-defined]


def progress_text(broadcast: Broadcast, state: Progress, *, rate: float, now: datetime) -> str:
    """The manager's progress message: sent / of / blocked / failed / time left."""
    locale = broadcast.locale
    lines = [
        translate(locale, "broadcast-progress-title", title=broadcast.title),
        translate(
            locale,
            "broadcast-progress-counts",
            delivered=state.delivered,
            total=state.total,
            blocked=state.blocked,
            failed=state.failed,
        ),
    ]
    if broadcast.cancelled_at is not None:
        lines.append(translate(locale, "broadcast-progress-cancelled", count=state.cancelled))
    elif state.done:
        lines.append(translate(locale, "broadcast-progress-done"))
    elif state.next_at is not None and state.next_at > now + timedelta(minutes=1):
        lines.append(
            translate(
                locale,
                "broadcast-progress-held",
                count=state.waiting,
                minutes=int((state.next_at - now).total_seconds() // 60),
            )
        )
    else:
        seconds = max(1, round(state.waiting / max(rate, 0.1)))
        lines.append(translate(locale, "broadcast-progress-left", seconds=seconds))
    return "\n".join(lines)


async def _post_progress(
    session: AsyncSession,
    broadcast: Broadcast,
    now: datetime,
    *,
    force: bool = False,
    rate: float = 25.0,
) -> list[int]:
    """Posts or edits the progress message, unless it was edited less than PROGRESS_EVERY
    ago (`force`: always). The throttle is one conditional UPDATE, so several senders edit it
    once between them. Returns the outbox rows written."""
    if broadcast.progress_chat_id is None:
        return []
    first = broadcast.progress_at is None
    if not force:
        taken = await session.execute(
            update(Broadcast)
            .where(
                Broadcast.id == broadcast.id,
                Broadcast.progress_at.is_not(None),
                Broadcast.progress_at <= now - PROGRESS_EVERY,
            )
            .values(progress_at=now)
            .execution_options(synchronize_session=False)
        )
        if taken.rowcount != 1:  # type: ignore[attr-defined]
            return []
    else:
        broadcast.progress_at = now
    await session.flush()
    state = await progress(session, broadcast.id)
    text = progress_text(broadcast, state, rate=rate, now=now)
    ref = progress_ref(broadcast.id)
    message: Send | Edit = (
        Send(chat_id=broadcast.progress_chat_id, text=text, ref=ref)
        if first
        else Edit(text=text, ref=ref)
    )
    rows = enqueue(session, [message], now)
    await session.flush()
    return [row.id for row in rows]


@dataclass(frozen=True, slots=True)
class _Row:
    id: int
    message: Send
    attempts: int
    broadcast_id: int


@dataclass(frozen=True, slots=True)
class _Outcome:
    row: _Row
    delivered: Delivered | None = None
    later: RetryLater | None = None
    refused: Undeliverable | None = None


class BulkSender:
    """Sends broadcast rows through the outbox's transport; see the module docstring."""

    def __init__(
        self,
        db: Database,
        outbox: Outbox,
        clock: Callable[[], datetime],
        *,
        rate: float = 25.0,
        window: int | None = None,
    ) -> None:
        self.db, self.outbox, self.clock, self.rate = db, outbox, clock, rate
        # Enough in flight to keep the budget busy over a slow round trip, few enough that a
        # reply waits behind a fraction of a second of bulk messages.
        self.window = window or max(4, round(rate / 4))
        self.batch = self.window * 2
        self._wake = asyncio.Event()
        # Rows sent but not yet recorded (a kill now makes these the duplicates).
        self.in_flight = 0

    def wake(self) -> None:
        self._wake.set()

    async def run(self, stop: asyncio.Event) -> None:
        """Sends due rows until `stop` is set; looks again when woken or every POLL_INTERVAL."""
        while not stop.is_set():
            try:
                taken = await self.send_due(stop)
            except Exception:
                log.exception("bulk: sending round failed; trying again")
                taken = 0
            if taken:
                continue
            self._wake.clear()
            await idle(stop, self._wake, POLL_INTERVAL)

    async def send_due(self, stop: asyncio.Event | None = None) -> int:
        """Claims a batch of due rows, sends it, records every outcome; returns how many rows
        it sent. With `stop` (the running sender) the batch is topped up with the next due
        rows before it runs dry, until none are due or `stop` is set: claiming the next batch
        only once the last one was out and recorded left the budget idle for a claim and a
        record per batch (a quarter of the rate on a busy SQLite)."""
        rows = await self._claim(self.batch)
        if not rows:
            return 0
        taken = len(rows)
        pending: deque[_Row] = deque(rows)
        done: list[_Outcome] = []

        async def worker() -> None:
            while pending:
                row = pending.popleft()
                self.in_flight += 1
                done.append(await self._attempt(row))

        def staff(workers: list[asyncio.Task[None]]) -> list[asyncio.Task[None]]:
            missing = min(self.window - len(workers), len(pending))
            return workers + [asyncio.create_task(worker()) for _ in range(max(0, missing))]

        workers = staff([])
        more = stop is not None
        try:
            while workers:
                finished, _ = await asyncio.wait(workers, timeout=FLUSH_EVERY)
                workers = [w for w in workers if w not in finished]
                for task in finished:
                    task.result()
                if done:
                    batch, done[:] = list(done), []
                    await self._record(batch)
                if more and len(pending) < self.window:
                    assert stop is not None
                    fresh = [] if stop.is_set() else await self._claim(self.batch)
                    more = bool(fresh)
                    taken += len(fresh)
                    pending.extend(fresh)
                    workers = staff(workers)
        finally:
            for task in workers:
                task.cancel()
            if pending:
                # Claimed and never handed over (a stop): free them for the next sender now.
                await self._release([row.id for row in pending])
        return taken

    async def _release(self, ids: list[int]) -> None:
        async with self.db.write() as session:
            await session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id.in_(ids), OutboxMessage.status == OutboxStatus.PENDING)
                .values(claimed_until=None, attempts=OutboxMessage.attempts - 1)
                .execution_options(synchronize_session=False)
            )

    def _due(self, now: datetime, limit: int) -> Select[int]:
        return (
            select(OutboxMessage.id)
            .where(
                OutboxMessage.status == OutboxStatus.PENDING,
                OutboxMessage.broadcast_id.is_not(None),
                OutboxMessage.not_before <= now,
                or_(OutboxMessage.claimed_until.is_(None), OutboxMessage.claimed_until < now),
            )
            .order_by(OutboxMessage.priority, OutboxMessage.id)
            .limit(limit)
        )

    async def _claim(self, limit: int) -> list[_Row]:
        now = self.clock()
        # A look without the write lock first: the sender polls, and an idle poll must not
        # queue behind (or hold up) the events' writes.
        async with self.db.read() as session:
            if await session.scalar(self._due(now, 1)) is None:
                return []
        async with self.db.write() as session:
            query = self._due(now, limit)
            if self.db.dialect == "postgresql":
                # Several senders take different rows instead of waiting for each other.
                query = query.with_for_update(skip_locked=True)
            ids = list(await session.scalars(query))
            if not ids:
                return []
            # Core, not the ORM: a sender claims hundreds of rows a second, and the unit of work
            # would cost more than the send itself.
            found = await session.execute(
                update(OUTBOX)
                .where(OUTBOX.c.id.in_(ids))
                .values(claimed_until=now + LEASE, attempts=OUTBOX.c.attempts + 1)
                .returning(
                    OUTBOX.c.id,
                    OUTBOX.c.kind,
                    OUTBOX.c.chat_id,
                    OUTBOX.c.ref,
                    OUTBOX.c.payload,
                    OUTBOX.c.attempts,
                    OUTBOX.c.broadcast_id,
                    OUTBOX.c.priority,
                )
            )
            rows = []
            for stored in sorted(found, key=lambda r: (r.priority, r.id)):
                message = message_of(stored)
                assert isinstance(message, Send) and stored.broadcast_id is not None
                rows.append(_Row(stored.id, message, stored.attempts, stored.broadcast_id))
            return rows

    async def _attempt(self, row: _Row) -> _Outcome:
        try:
            delivered = await self.outbox.transport.send(row.message)
        except RetryLater as later:
            return _Outcome(row, later=later)
        except Undeliverable as refused:
            return _Outcome(row, refused=refused)
        except Exception as exc:
            log.exception("bulk: row %s failed unexpectedly", row.id)
            if row.attempts < MAX_UNEXPECTED_ATTEMPTS:
                return _Outcome(row, later=RetryLater(type(exc).__name__))
            return _Outcome(row, refused=Undeliverable(type(exc).__name__))
        if delivered.blocked:
            return _Outcome(row, refused=Undeliverable("the chat refuses the bot", blocked=True))
        return _Outcome(row, delivered=delivered)

    async def _record(self, outcomes: list[_Outcome]) -> None:
        """Writes what happened to each row, in one transaction, then edits the progress
        messages of the broadcasts concerned."""
        now = self.clock()
        sent = [o for o in outcomes if o.delivered is not None]
        blocked = [o for o in outcomes if o.refused is not None and o.refused.blocked]
        failed = [o for o in outcomes if o.refused is not None and not o.refused.blocked]
        later = [o for o in outcomes if o.later is not None]
        async with self.db.write() as session:
            if sent:
                await self._update_rows(
                    session,
                    [
                        {
                            "row_id": o.row.id,
                            "status": OutboxStatus.SENT,
                            "sent_at": now,
                            "message_id": o.delivered.message_id if o.delivered else None,
                            "error": "; ".join(o.delivered.errors) if o.delivered else "",
                        }
                        for o in sent
                    ],
                )
            for status, group in ((OutboxStatus.BLOCKED, blocked), (OutboxStatus.FAILED, failed)):
                if group:
                    await self._update_rows(
                        session,
                        [
                            {
                                "row_id": o.row.id,
                                "status": status,
                                "error": o.refused.reason if o.refused else "",
                            }
                            for o in group
                        ],
                    )
            if blocked:
                chats = [o.row.message.chat_id for o in blocked]
                await session.execute(
                    update(Person)
                    .where(Person.telegram_id.in_(chats), Person.blocked_at.is_(None))
                    .values(blocked_at=now)
                    .execution_options(synchronize_session=False)
                )
            if later:
                await self._update_rows(
                    session,
                    [
                        {
                            "row_id": o.row.id,
                            "not_before": now + timedelta(seconds=self._delay(o)),
                            "error": o.later.reason if o.later else "",
                        }
                        for o in later
                    ],
                )
            edits = await self._progress(session, {o.row.broadcast_id for o in outcomes}, now)
        self.in_flight -= len(outcomes)
        if edits:
            await self.outbox.deliver(edits)

    @staticmethod
    async def _update_rows(session: AsyncSession, rows: list[dict[str, Any]]) -> None:
        """Lets go of these rows' claims and sets the given columns, one executemany (all
        dicts share their keys)."""
        columns: dict[str, Any] = {key: bindparam(key) for key in rows[0] if key != "row_id"}
        await session.execute(
            update(OUTBOX)
            .where(OUTBOX.c.id == bindparam("row_id"))
            .values(claimed_until=None, **columns),
            rows,
        )

    @staticmethod
    def _delay(outcome: _Outcome) -> float:
        assert outcome.later is not None
        if outcome.later.delay is not None:
            return outcome.later.delay
        return backoff(outcome.row.attempts)

    async def _progress(
        self, session: AsyncSession, broadcast_ids: set[int], now: datetime
    ) -> list[int]:
        """Edits the progress messages of these broadcasts (throttled), and marks finished
        the ones with nothing left to send, with a last edit."""
        edits: list[int] = []
        for broadcast_id in sorted(broadcast_ids):
            broadcast = await session.get(Broadcast, broadcast_id)
            if broadcast is None:
                continue
            left = await session.scalar(
                select(OutboxMessage.id)
                .where(
                    OutboxMessage.broadcast_id == broadcast_id,
                    OutboxMessage.status == OutboxStatus.PENDING,
                )
                .limit(1)
            )
            if left is None and broadcast.finished_at is None:
                finished = await session.execute(
                    update(Broadcast)
                    .where(Broadcast.id == broadcast_id, Broadcast.finished_at.is_(None))
                    .values(finished_at=now)
                    .execution_options(synchronize_session=False)
                )
                if finished.rowcount == 1:  # type: ignore[attr-defined]
                    state = await progress(session, broadcast_id)
                    log.info(
                        "broadcast %s finished: %d sent, %d blocked, %d failed",
                        broadcast.subject,
                        state.delivered,
                        state.blocked,
                        state.failed,
                    )
                    edits += await _post_progress(
                        session, broadcast, now, force=True, rate=self.rate
                    )
                continue
            edits += await _post_progress(session, broadcast, now, rate=self.rate)
        return edits
