"""Plays generated events through the real engine and checks each one.

An event is *unhandled* when an exception escaped `Engine.handle`, or when any ERROR record
was logged while it was handled: the engine's apology path (`_apologise` logs
"error <ref> handling ...") and delivery failures both log at ERROR, and nothing the bot does
on a well-behaved event should.

A *foreign change* is a row changed by an event whose user the rule in ownership.py does not
allow to change it. `Tally.foreign_changes` counts rows, `Tally.unhandled` counts events.

Play runs in episodes: the world is seeded afresh (world.reset) every `episode` events, so the
tables stay small enough to compare whole after every event, and consumed cases come back.
"""

from __future__ import annotations

import logging
import re
import traceback
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from bench.fuzzing import world
from bench.fuzzing.draw import Draw
from bench.fuzzing.generate import Generator, View, invite_codes, shown_of
from bench.fuzzing.ownership import RowChange, Snapshot, authority, row_changes, snapshot
from bot.app import build_flows
from bot.engine.engine import Engine
from bot.engine.events import Incoming
from bot.engine.replies import Delivered, Edit, Send, Toast
from bot.services import Services
from bot.settings import Settings
from storage.db import Database

ROOT = Path(__file__).resolve().parents[2]
# Buttons a chat keeps showing: older messages scroll away (and the generator would otherwise
# press the same stale buttons over and over).
KEEP_SHOWN = 12


@dataclass
class FuzzTransport:
    """Delivers nowhere; keeps each chat's recent messages with their buttons."""

    sent: list[tuple[int, int, tuple[str, ...], int | None]] = field(default_factory=list)
    _ids: dict[int, int] = field(default_factory=dict)

    async def send(self, message: Send) -> Delivered:
        message_id = self._ids.get(message.chat_id, 0) + 1
        self._ids[message.chat_id] = message_id
        data = tuple(b.data for row in message.buttons for b in row if b.data is not None)
        self.sent.append((message.chat_id, message_id, data, message.thread_id))
        del self.sent[: -KEEP_SHOWN * 8]
        return Delivered(message_id=message_id, thread_id=message.thread_id)

    async def edit(self, message: Edit, *, chat_id: int, message_id: int) -> None:
        data = tuple(b.data for row in message.buttons for b in row if b.data is not None)
        for index, (chat, sent_id, _, thread) in enumerate(self.sent):
            if chat == chat_id and sent_id == message_id:
                self.sent[index] = (chat, sent_id, data, thread)

    async def toast(self, press_id: str, toast: Toast) -> None:
        return None


class ErrorRecords(logging.Handler):
    """Keeps every ERROR (or worse) record logged anywhere while installed."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    def drain(self) -> list[logging.LogRecord]:
        records, self.records = self.records, []
        return records


@contextmanager
def capturing_errors() -> Iterator[ErrorRecords]:
    handler = ErrorRecords()
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        yield handler
    finally:
        root.removeHandler(handler)


@dataclass
class Finding:
    """One distinct problem: its first occurrence and how often it recurred."""

    kind: str  # "unhandled" or "foreign"
    signature: str
    detail: str
    events: list[str]  # the episode's events up to the one that showed it
    count: int = 1


@dataclass
class Tally:
    events: int = 0
    unhandled: int = 0
    foreign_changes: int = 0
    findings: dict[str, Finding] = field(default_factory=dict)
    # Allowed changes by table and kind ("cases insert"): how deep the events got.
    reached: Counter[str] = field(default_factory=Counter)

    def note(self, kind: str, signature: str, detail: str, events: list[str]) -> None:
        key = f"{kind}: {signature}"
        if key in self.findings:
            self.findings[key].count += 1
        else:
            self.findings[key] = Finding(kind, signature, detail, events[-15:])


class Fuzzer:
    """One world on one database, played event by event."""

    def __init__(self, db: Database, settings: Settings) -> None:
        self.db, self.settings = db, settings
        flows = build_flows()
        self.transport = FuzzTransport()
        self.engine = Engine(Services(settings=settings, db=db, flows=flows), self.transport)
        self.buttons = tuple(sorted(flows.presses, key=lambda cls: cls.prefix))
        self.generator = Generator(self.buttons)
        self.tally = Tally()
        self.history: list[str] = []
        self.before: Snapshot = {}

    async def create(self) -> None:
        await world.create(self.db)
        await self._fresh()

    async def new_episode(self) -> None:
        await world.reset(self.db)
        await self._fresh()

    async def _fresh(self) -> None:
        self.transport = FuzzTransport()
        self.engine.transport = self.transport
        self.generator = Generator(self.buttons)
        self.history = []
        self.before = await snapshot(self.db)

    def view(self) -> View:
        return View(self.before, shown_of(self.transport.sent), invite_codes(self.before))

    async def play(self, draw: Draw, events: int, *, episode: int = 100) -> Tally:
        """Plays `events` generated events, starting a new episode every `episode` events."""
        with capturing_errors() as errors:
            for n in range(events):
                if n and n % episode == 0:
                    await self.new_episode()
                await self.step(self.generator.event(draw, self.view()), errors)
        return self.tally

    async def step(self, event: Incoming, errors: ErrorRecords) -> None:
        """Handles one event and checks it: no unhandled error, no foreign change."""
        self.history.append(describe(event))
        self.tally.events += 1
        errors.drain()
        escaped: BaseException | None = None
        try:
            await self.engine.handle(event)
        except Exception as exc:  # counted, not raised: the fuzzer goes on to the next event
            escaped = exc
        records = errors.drain()
        after = await snapshot(self.db)
        if escaped is not None or records:
            self.tally.unhandled += 1
            for signature, detail in _error_signatures(escaped, records):
                self.tally.note("unhandled", signature, detail, self.history)
        actor = authority(self.before, after, event.user.id, self.settings.manager_ids)
        for change in row_changes(self.before, after, actor):
            if change.allowed:
                self.tally.reached[f"{change.table} {change.op}"] += 1
                continue
            self.tally.foreign_changes += 1
            self.tally.note("foreign", change.signature, _change_detail(change), self.history)
        self.before = after


def describe(event: Incoming) -> str:
    """One line per event, enough to replay it by hand."""
    where = f"{event.chat.id}" + ("" if event.is_private else f"/{event.chat.kind.value}")
    if event.thread_id is not None:
        where += f" thread {event.thread_id}"
    if event.reply_to_message_id is not None:
        where += f" reply-to {event.reply_to_message_id}"
    if event.press is not None:
        what = f"press {event.press.data!r}"
    elif event.command is not None:
        what = f"/{event.command} {event.args!r}"
    elif event.photos:
        what = f"photo caption={event.text!r}"[:80]
    elif event.unsupported is not None:
        what = f"unsupported {event.unsupported.value}"
    else:
        what = f"text {event.text!r}"[:80]
    lang = f" lang={event.user.language_code}" if event.user.language_code else ""
    return f"user {event.user.id}{lang} in {where}: {what}"


def _error_signatures(
    escaped: BaseException | None, records: list[logging.LogRecord]
) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    if escaped is not None:
        found.append(_exception_signature("escaped engine.handle", escaped))
    for record in records:
        exc = record.exc_info[1] if record.exc_info else None
        where = f"{record.name}.{record.funcName}"
        if exc is not None:
            found.append(_exception_signature(where, exc))
        else:
            found.append((f"{where}: {record.getMessage()[:80]}", record.getMessage()))
    return found


def _exception_signature(where: str, exc: BaseException) -> tuple[str, str]:
    """The exception's type and the deepest line of our own code it passed through."""
    frames = traceback.extract_tb(exc.__traceback__)
    ours = [f for f in frames if f.filename.startswith(str(ROOT)) and "/.venv/" not in f.filename]
    place = ours[-1] if ours else (frames[-1] if frames else None)
    if place is None:
        location = "?"
    elif ours:
        location = f"{Path(place.filename).relative_to(ROOT)}:{place.lineno}"
    else:
        location = f"{place.filename}:{place.lineno}"
    # Numbers differ from one occurrence to the next (ids, values): one finding, not many.
    first = str(exc).splitlines()[0] if str(exc) else ""
    message = re.sub(r"\d+(\.\.\.)?", "N", first)[:160]
    detail = "".join(traceback.format_exception(exc)[-12:])
    return f"{where}: {type(exc).__name__} at {location}: {message}", detail


def _change_detail(change: RowChange) -> str:
    return (
        f"{change.op} of {change.table} row {change.row_id} (columns {', '.join(change.columns)})"
        f" owned by {sorted(change.owners) or 'nobody'} in compound {change.compound_id},"
        f" by user {change.actor} ({change.actor_role})"
    )
