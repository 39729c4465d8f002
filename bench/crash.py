"""Bench: the bot killed with SIGKILL at random moments while residents file and staff work
cases; what was lost and what arrived twice, on SQLite and on PostgreSQL.

    .venv/bin/python -m bench.crash [--kills N] [--seed S] [--databases sqlite,postgres] [--json]
                                    [--verbose] [--settle SECONDS] [--result-window SECONDS]
                                    [--keep-logs DIR]

The bot runs as it does in production, `python -m bot run` (long polling) in a subprocess, its
TELEGRAM_API_BASE pointing at a fake Bot API server in this process
(tests/telegram/fake_api.py, over real HTTP, answering sends and edits after `LATENCY`
seconds as Telegram's round trip would). The bench talks to the bot only from outside: updates
through getUpdates, what the bot sends as the fake server recorded it, the database for the
set-up and the final check, signals for the process. It runs unchanged against any version of
the bot that keeps these flows, whatever it stores or however it delivers.

For each database (a SQLite file in a temporary folder; a PostgreSQL database created for the
run and dropped afterwards, on the server of `COURTYARD_TEST_POSTGRES_URL`): the schema is
made by the migrations, and a compound (bench/world.py) with `RESIDENTS` residents, `STAFF`
staff and a bound staff chat is seeded. Then, per kill, one cycle: the bot is started, the
bench waits until it polls, the workload runs, and the bot is killed with SIGKILL: at a random
moment 0.1-3 s after it began polling, or 0.05-0.5 s after a burst of button presses reached
the queue, or (one time in ten) while it is still starting. In one cycle per database, the
rush, `RUSH` residents ask at once and press together, and the kill follows that burst by
0.05-0.2 s (the issue's "60 residents pressed Submit, killed 0.1 s later"). Every choice comes
from `--seed`. After the last kill the bot is started once more and left alone, the workload
carrying on (prompts that arrive late are still pressed, cards still taken), until nothing
has happened for `--settle` seconds (every update acknowledged, no request that long), then
stopped with SIGTERM.

The workload, each story in a chat of its own so that everything the bot sends is
attributable:
- a resident sends `/askstaff <question>` (a question unique to the resident), the bot answers
  with a "send as it is" button; the resident presses it (the press is queued with others
  and released in a burst), which files an inquiry case: its card goes to the staff chat, the
  resident's prompt is edited and the resident gets a confirmation with the case number;
- a staff member presses Take on each case card seen in the staff chat (one press per case):
  the card is edited and the resident is told that the case is assigned;
- someone with no home linked yet asks one FAQ question and gets an answer.
Residents and FAQ askers arrive spread over the cycles, some queued while the bot is down (as
Telegram keeps them), some while it runs.

Updates are served as Telegram serves them: getUpdates returns what is queued; an update is
*acknowledged* (Telegram forgets it) when the bot asks for an offset above its id.

What is counted (from the fake server's records and the database, never the bot's logs):

- lost update: an update that was acknowledged and left no trace at all: no request from
  the bot attributable to it, and no change in the database attributable to it. Per kind:
  `/askstaff`: no request to the resident's chat, no inquiry conversation holding the
  question, no case with it; "send as it is": no answerCallbackQuery for it, no edit in
  the resident's chat, no case with the question; Take: no answerCallbackQuery for it, the
  case not assigned; FAQ question: no request to the asker's chat, no person row for the
  asker (the engine creates it in the update's transaction).
- lost message: a message the committed database state calls for that never arrived (no
  successful request for it). Expected: for every `/askstaff` committed (the inquiry
  conversation or the case is in the database), the prompt with its button; for every case,
  its card in the staff chat, the edit of the resident's prompt and the resident's
  confirmation; for every Take committed (the case is assigned), the edit of the card and the
  resident's notice; for every FAQ asker in the database, an answer.
- duplicate message: one of those expected messages arriving more than once (counted as
  arrivals beyond the first; an edit Telegram refuses as unchanged does not count).
- in flight at a kill: sendMessage/editMessageText requests the fake server had received when
  SIGKILL was sent and had not answered yet, or had answered less than `RESULT_WINDOW`
  seconds before (`--result-window`: the bot may not have read or recorded the answer yet):
  handed to the Bot API with no result recorded at the instant of the kill. `max_in_flight`
  is the largest over all kills. A bot that records each message's result as soon as the
  answer comes, and after a restart resends only what it has no result for, duplicates at
  most these.
- other messages: successful requests the workload does not explain (an apology after an
  error, the unfinished-form question when an update was handled twice, an error report in
  the staff chat); counted and shown, not part of the totals.

Prints a table per database and the totals (`--verbose`: a line per kill and per lost update;
`--keep-logs DIR` keeps the bot's output); `--json` adds a last line `{"kills": N,
"lost_updates": N, "lost_messages": N, "duplicate_messages": N, "max_in_flight": N}`. Exit
status 0 when the bench ran, whatever it found; 2 when it could not run (PostgreSQL not
answering, the bot not starting).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import json
import os
import random
import signal
import sys
import tempfile
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from sqlalchemy import select  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from bench.world import STAFF_CHAT, seed  # noqa: E402
from bot.app import build_flows  # noqa: E402
from bot.engine.buttons import ButtonData, InvalidButton  # noqa: E402
from bot.engine.registry import Flows  # noqa: E402
from bot.i18n import translate  # noqa: E402
from handlers.cases.buttons import StaffAction, StaffPress  # noqa: E402
from handlers.inquiries.flow import SendAsIsPress  # noqa: E402
from storage.db import Database  # noqa: E402
from storage.migrate import upgrade  # noqa: E402
from storage.models import Case, CaseEvent, CaseEventKind, Conversation, Person  # noqa: E402
from tests.telegram.fake_api import Call, FakeBotAPI  # noqa: E402
from tests.telegram.updates import Person as TgPerson  # noqa: E402
from tests.telegram.updates import Updates  # noqa: E402

DEFAULT_PG_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
TOKEN = "123456789:AAFakeTokenForCourtyardCrashBench_012"
RESIDENTS, FAQ_ASKERS, STAFF = 60, 30, 4
# Residents who all ask in the same cycle, the one with the biggest burst of presses.
RUSH = 20
RUSH_WAIT = 3.0
FAQ_BASE = 300_000
KILLS = 22
# A Bot API round trip for sends and edits (Telegram's is tens of milliseconds).
LATENCY = 0.03
# An answer this recent at the kill may not have been read or recorded by the bot yet.
RESULT_WINDOW = 0.05
# Presses are queued and released together this often: bursts, as at the end of a meeting.
BURST_EVERY = 0.5
# The end: nothing new for this long means the bot is done (a bot that resends on a timer
# needs a longer one: --settle); never wait longer than the cap.
SETTLE, SETTLE_CAP = 5.0, 60.0
STARTUP_CAP = 60.0
SENDING = ("sendmessage", "editmessagetext", "sendphoto", "sendmediagroup")
FAQ_QUESTIONS = (
    "物业费怎么交",
    "装修时间是什么时候",
    "快递柜在哪里",
    "垃圾几点可以扔",
    "停车费多少钱",
    "门禁卡丢了怎么补办",
    "电动车在哪里充电",
    "大件垃圾怎么处理",
    "物业办公室电话是多少",
)


# An update, what it is ("ask", "press", "take", "faq") and whom it concerns.
Arrival = tuple[dict[str, Any], str, int]


class BenchFailed(RuntimeError):
    """The bench could not run (not: the bot lost something)."""


@dataclass(frozen=True, slots=True)
class Pushed:
    """One update the bench queued, and what it is about."""

    update_id: int
    kind: str  # "ask", "press", "take" or "faq"
    chat: int
    key: int  # the resident, the case or the asker the update belongs to
    press_id: str | None
    at: float


@dataclass(slots=True)
class Kill:
    cycle: int
    mode: str  # "rush", "burst", "random" or "startup"
    started: float  # when this incarnation was started
    at: float
    after_polling: float | None  # seconds since the incarnation began polling
    burst: int  # presses in the last burst before the kill
    after_burst: float
    in_flight: int = 0
    lost_updates: int = 0  # acknowledged by this incarnation and lost


@dataclass
class Figures:
    """One database's results."""

    backend: str
    kills: list[Kill] = field(default_factory=list)
    pushed: Counter[str] = field(default_factory=Counter)
    acknowledged: int = 0
    unacknowledged: int = 0
    lost_updates: Counter[str] = field(default_factory=Counter)
    lost: list[Pushed] = field(default_factory=list)
    cases: int = 0
    takes: int = 0
    expected: Counter[str] = field(default_factory=Counter)
    lost_messages: Counter[str] = field(default_factory=Counter)
    duplicates: Counter[str] = field(default_factory=Counter)
    other: list[str] = field(default_factory=list)
    bot_errors: int = 0
    starts: int = 0
    seconds: float = 0.0

    @property
    def max_in_flight(self) -> int:
        return max((k.in_flight for k in self.kills), default=0)

    @property
    def in_flight(self) -> int:
        """Messages in flight summed over every kill: what duplicates must stay within."""
        return sum(k.in_flight for k in self.kills)


# -- the run -----------------------------------------------------------------------------------


class Crash:
    """One database: the fake Bot API, the workload, the bot process and its killer."""

    def __init__(
        self,
        backend: str,
        url: str,
        workdir: Path,
        rng: random.Random,
        cycles: int,
        *,
        settle: float = SETTLE,
        result_window: float = RESULT_WINDOW,
    ) -> None:
        self.backend, self.url, self.workdir, self.rng, self.cycles = (
            backend,
            url,
            workdir,
            rng,
            cycles,
        )
        self.settle, self.result_window = settle, result_window
        # How long people take to press: drawn as messages arrive, so apart from the plan.
        self.think = random.Random(rng.random())
        self.api = FakeBotAPI(token=TOKEN, latency=LATENCY)
        self.updates = Updates()
        self.flows: Flows = build_flows()
        self.figures = Figures(backend)
        self.pushed: dict[int, Pushed] = {}
        self.residents: list[TgPerson] = []
        self.staff: list[TgPerson] = []
        self.questions: dict[int, str] = {}  # resident -> the question they ask
        # cycle -> (update, kind, key) arriving then; the update id is given on arrival
        self.arrivals: dict[int, list[Arrival]] = defaultdict(list)
        self.update_ids = itertools.count(1)
        self.pending: list[tuple[float, Arrival]] = []  # presses, when they are due
        self.pressed: set[int] = set()  # residents who pressed "send as it is"
        self.taken: set[int] = set()  # cases someone pressed Take on
        self.seen: set[tuple[int, int]] = set()
        self.bursts = asyncio.Event()
        self.last_burst = (0.0, 0)  # when, how many presses
        self.rush = 0
        self.rushers: set[int] = set()
        self.held: list[Arrival] = []  # the rush's presses, released together
        self.held_since: float | None = None
        self.rush_released = asyncio.Event()
        self.spawned_at = 0.0
        self.process: asyncio.subprocess.Process | None = None
        self.log: IO[bytes] | None = None

    # -- set-up ----------------------------------------------------------------------------

    async def prepare(self) -> None:
        await upgrade(self.url)
        db = Database(self.url)
        try:
            world = await seed(db, residents=RESIDENTS, staff=STAFF)
        finally:
            await db.dispose()
        self.residents = [TgPerson(i, f"业主{i % 1000}") for i in world.residents]
        self.staff = [TgPerson(i, f"师傅{i % 1000}") for i in world.staff]
        for person in self.residents:
            self.questions[person.id] = f"请问{person.id}家门口的路灯什么时候能修好？"
        # Who arrives in which cycle (none in the quiet end). In the rush cycle a third of the
        # residents ask at once while the bot is down; their presses come in a burst and the
        # bot is killed soon after it.
        cycles = max(1, self.cycles)
        self.rush = self.rng.randrange(cycles)
        for n, person in enumerate(self.residents):
            cycle = self.rush if n < RUSH else self.rng.randrange(cycles)
            if n < RUSH:
                self.rushers.add(person.id)
            text = f"/askstaff {self.questions[person.id]}"
            self.arrivals[cycle].append((self.updates.text(person, text), "ask", person.id))
        for n in range(FAQ_ASKERS):
            asker = TgPerson(FAQ_BASE + n, f"访客{n}")
            question = FAQ_QUESTIONS[n % len(FAQ_QUESTIONS)]
            cycle = self.rng.randrange(max(1, self.cycles))
            self.arrivals[cycle].append((self.updates.text(asker, question), "faq", asker.id))
        for updates in self.arrivals.values():
            self.rng.shuffle(updates)

    async def _push(self, *arrivals: tuple[dict[str, Any], str, int]) -> None:
        """Queues updates at the fake server, numbered in the order they arrive there (as
        Telegram numbers them), and notes what each is about."""
        now = time.monotonic()
        for update, kind, key in arrivals:
            update["update_id"] = next(self.update_ids)
            body = update.get("message") or update["callback_query"]
            chat = (body.get("chat") or body["message"]["chat"])["id"]
            press = update.get("callback_query")
            self.pushed[update["update_id"]] = Pushed(
                update["update_id"], kind, chat, key, press["id"] if press else None, now
            )
        await self.api.push(*(update for update, _, _ in arrivals))

    # -- the workload ----------------------------------------------------------------------

    async def react(self) -> None:
        """What people do on seeing the bot's messages: a resident presses "send as it is"
        on their prompt; a staff member presses Take on a new card."""
        while True:
            await asyncio.sleep(0.05)
            now = time.monotonic()
            for key, message in list(self.api.messages.items()):
                if key in self.seen:
                    continue
                self.seen.add(key)
                chat = key[0]
                for data in _button_data(message.get("reply_markup")):
                    parsed = self._parse(data)
                    if isinstance(parsed, SendAsIsPress) and chat in self.questions:
                        if chat in self.pressed:
                            continue
                        self.pressed.add(chat)
                        person = next(p for p in self.residents if p.id == chat)
                        update = self.updates.press(person, data, on=dict(message))
                        if chat in self.rushers:
                            self.held.append((update, "press", chat))
                            self.held_since = self.held_since or now
                            continue
                        due = now + self.think.uniform(0.2, 1.0)
                        self.pending.append((due, (update, "press", chat)))
                    elif (
                        isinstance(parsed, StaffPress)
                        and parsed.action is StaffAction.TAKE
                        and chat == STAFF_CHAT
                        and parsed.case_id not in self.taken
                    ):
                        self.taken.add(parsed.case_id)
                        member = self.staff[parsed.case_id % len(self.staff)]
                        update = self.updates.press(member, data, on=dict(message))
                        due = now + self.think.uniform(0.3, 1.5)
                        self.pending.append((due, (update, "take", parsed.case_id)))

    async def release(self) -> None:
        """Queues the presses that are due, all at once, every `BURST_EVERY` seconds. The
        rush's presses wait for one another (at most `RUSH_WAIT` seconds) and go together."""
        while True:
            await asyncio.sleep(BURST_EVERY)
            now = time.monotonic()
            due = [arrival for when, arrival in self.pending if when <= now]
            self.pending = [p for p in self.pending if p[0] > now]
            rush = self.held_since is not None and (
                len(self.held) == len(self.rushers) or now - self.held_since >= RUSH_WAIT
            )
            if rush:
                due.extend(self.held)
                self.held, self.held_since = [], None
            if not due:
                continue
            await self._push(*due)
            self.last_burst = (now, len(due))
            self.bursts.set()
            self.bursts.clear()
            if rush:
                self.rush_released.set()

    def _parse(self, data: str) -> ButtonData | None:
        try:
            return self.flows.buttons.parse(data)
        except InvalidButton:
            return None

    # -- the process -----------------------------------------------------------------------

    def _env(self) -> dict[str, str]:
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("WEBHOOK_", "REDIS_URL", "MANAGER_IDS", "KB_LOCAL_DIR"))
        }
        env.update(
            DATABASE_URL=self.url,
            TELEGRAM_BOT_TOKEN=TOKEN,
            TELEGRAM_API_BASE=self.api.url,
            LOG_LEVEL="INFO",
            PYTHONUNBUFFERED="1",
        )
        return env

    async def start_bot(self) -> int:
        """Starts `python -m bot run`; returns the index of its first request."""
        assert self.log is not None
        first = len(self.api.calls)
        self.spawned_at = time.monotonic()
        self.log.write(f"--- start {self.figures.starts + 1}\n".encode())
        self.log.flush()
        self.process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot",
            "run",
            env=self._env(),
            cwd=self.workdir,  # no .env of a developer's checkout
            stdout=self.log,
            stderr=self.log,
        )
        self.figures.starts += 1
        return first

    async def polling(self, first: int) -> float:
        """Waits until this incarnation asks for updates; returns when it did."""
        assert self.process is not None
        calls = self.api.calls
        scanned = first

        def asked() -> bool:
            nonlocal scanned
            while scanned < len(calls):
                if calls[scanned].is_("getUpdates"):
                    return True
                scanned += 1
            return False

        waiting = asyncio.ensure_future(self.api.until(asked, within=STARTUP_CAP, what="polling"))
        exited = asyncio.ensure_future(self.process.wait())
        done, _ = await asyncio.wait({waiting, exited}, return_when=asyncio.FIRST_COMPLETED)
        if exited in done:
            waiting.cancel()
            raise BenchFailed(f"the bot exited with status {exited.result()} while starting")
        exited.cancel()
        waiting.result()
        return calls[scanned].received_at

    async def kill(self, cycle: int, mode: str, polling_at: float | None) -> None:
        assert self.process is not None
        at = time.monotonic()
        burst_at, burst = self.last_burst
        if self.process.returncode is None:
            self.process.send_signal(signal.SIGKILL)
        await self.process.wait()
        after = at - polling_at if polling_at is not None else None
        self.figures.kills.append(
            Kill(cycle, mode, self.spawned_at, at, after, burst, at - burst_at)
        )

    async def stop(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGTERM)
        try:
            await asyncio.wait_for(self.process.wait(), 30)
        except TimeoutError:
            self.process.send_signal(signal.SIGKILL)
            await self.process.wait()
            raise BenchFailed("the bot did not stop within 30 s of SIGTERM") from None

    # -- the cycles ------------------------------------------------------------------------

    async def run(self) -> Figures:
        started = time.monotonic()
        await self.api.start()
        workers = [asyncio.create_task(self.react()), asyncio.create_task(self.release())]
        with (self.workdir / f"bot-{self.backend}.log").open("ab") as log:
            self.log = log
            try:
                for cycle in range(self.cycles):
                    await self._cycle(cycle)
                await self._last()
            finally:
                for worker in workers:
                    worker.cancel()
                if self.process is not None and self.process.returncode is None:
                    self.process.send_signal(signal.SIGKILL)
                    await self.process.wait()
                await self.api.close()
        self.figures.seconds = time.monotonic() - started
        self.figures.bot_errors = _errors_in(self.workdir / f"bot-{self.backend}.log")
        await self._check()
        return self.figures

    async def _cycle(self, cycle: int) -> None:
        arrivals = self.arrivals.pop(cycle, [])
        rush = cycle == self.rush
        # Half were sent while the bot was down (all of them in the rush): Telegram kept them.
        split = len(arrivals) if rush else len(arrivals) // 2
        await self._push(*arrivals[:split])
        later = arrivals[split:]
        # The plan is drawn before anything runs, so that a seed always makes the same one.
        mode = self.rng.choices(("burst", "random", "startup"), (0.45, 0.45, 0.1))[0]
        if rush:
            mode = "rush"
        delay = {
            "startup": self.rng.uniform(0.5, 3.0),  # after the start
            "random": self.rng.uniform(0.1, 3.0),  # after polling began
            "rush": self.rng.uniform(0.05, 0.2),  # after the rush's burst
        }.get(mode, self.rng.uniform(0.05, 0.5))  # after a burst
        feed_times = sorted(self.rng.uniform(0.0, 2.0) for _ in later)
        first = await self.start_bot()
        if mode == "startup":
            await asyncio.sleep(delay)
            await self.kill(cycle, mode, None)
            await self._push(*later)
            return
        polling_at = await self.polling(first)
        feeding = asyncio.create_task(self._feed(later, feed_times))
        if mode in ("burst", "rush"):
            burst = self.rush_released if rush else self.bursts
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(burst.wait(), 8.0 if rush else 5.0)
        await asyncio.sleep(delay)
        await self.kill(cycle, mode, polling_at)
        feeding.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await feeding
        await self._push(*later)  # what was not fed yet

    async def _feed(self, arrivals: list[Arrival], times: list[float]) -> None:
        """The rest of a cycle's arrivals, at `times` seconds after polling began; each is
        taken off the list as it is queued."""
        began = time.monotonic()
        for offset in times:
            await asyncio.sleep(max(0.0, began + offset - time.monotonic()))
            await self._push(arrivals.pop(0))

    async def _last(self) -> None:
        """The bot once more, left alone until everything settled; then SIGTERM."""
        for cycle in sorted(self.arrivals):
            await self._push(*self.arrivals.pop(cycle))
        await self.polling(await self.start_bot())
        began = time.monotonic()
        while time.monotonic() - began < SETTLE_CAP:
            await asyncio.sleep(0.25)
            now = time.monotonic()
            last = max(
                (c.answered_at or c.received_at for c in self.api.calls if not c.is_("getUpdates")),
                default=0.0,
            )
            if (
                not self.pending
                and not self.api.updates
                and now - last >= self.settle
                and now - began >= self.settle
            ):
                break
        await self.stop()

    # -- the check -------------------------------------------------------------------------

    async def _check(self) -> None:
        figures = self.figures
        for kill in figures.kills:
            kill.in_flight = _in_flight(self.api.calls, kill.at, self.result_window)
        state = await _stored(self.url)
        received = _Received.of(self.api.calls, self.flows)
        for entry in self.pushed.values():
            figures.pushed[entry.kind] += 1
            if entry.update_id in self.api.acknowledged:
                figures.acknowledged += 1
                if not self._effect(entry, state, received):
                    figures.lost_updates[entry.kind] += 1
                    figures.lost.append(entry)
                    acked = self.api.acknowledged[entry.update_id]
                    for kill in figures.kills:
                        if kill.started <= acked <= kill.at:
                            kill.lost_updates += 1
            else:
                figures.unacknowledged += 1
        filed_text = _fragment("inquiry-filed", number="", due="")
        told_text = _fragment("case-told-assigned", number="", category="")
        sent_text = _fragment("inquiry-describe-sent", earlier="")
        for resident, question in self.questions.items():
            case = state.cases.get(question)
            asked = case is not None or state.drafts.get(resident) == question
            if asked:
                self._expect("prompt", received.prompts[resident])
            if case is None:
                continue
            figures.cases += 1
            number = case["number"]
            mine = received.texts[resident]
            self._expect("card", received.cards[case["id"]])
            self._expect("prompt edit", sum(sent_text in t for t in received.edits[resident]))
            self._expect("confirmation", sum(number in t and filed_text in t for t in mine))
            if case["assigned"]:
                figures.takes += 1
                self._expect("card edit", received.card_edits[case["id"]])
                self._expect("notice", sum(number in t and told_text in t for t in mine))
        for asker in range(FAQ_BASE, FAQ_BASE + FAQ_ASKERS):
            if asker in state.people:
                self._expect("answer", len(received.texts[asker]))
        figures.other = received.other(self.questions, filed_text, told_text, sent_text)

    def _expect(self, what: str, arrived: int) -> None:
        self.figures.expected[what] += 1
        if arrived == 0:
            self.figures.lost_messages[what] += 1
        elif arrived > 1:
            self.figures.duplicates[what] += arrived - 1

    def _effect(self, entry: Pushed, state: _Stored, received: _Received) -> bool:
        """Whether the update left any trace, in the fake server's records or the store."""
        if entry.kind == "ask":
            question = self.questions[entry.chat]
            return (
                received.requests[entry.chat] > 0
                or question in state.cases
                or state.drafts.get(entry.chat) == question
            )
        if entry.kind == "press":
            return (
                entry.press_id in received.answered
                or bool(received.edits[entry.chat])
                or self.questions[entry.chat] in state.cases
            )
        if entry.kind == "take":
            return entry.press_id in received.answered or entry.key in state.assigned
        return received.requests[entry.chat] > 0 or entry.chat in state.people


@dataclass
class _Stored:
    """What the database holds at the end, as the check needs it."""

    cases: dict[str, dict[str, Any]]  # question -> id, number, assigned
    assigned: set[int]  # case ids with an assignment event
    drafts: dict[int, str]  # resident -> the question of their open inquiry
    people: set[int]  # Telegram ids of everyone in the store


async def _stored(url: str) -> _Stored:
    db = Database(url)
    try:
        async with db.read() as session:
            assigned = set(
                await session.scalars(
                    select(CaseEvent.case_id).where(CaseEvent.kind == CaseEventKind.ASSIGNED.value)
                )
            )
            rows = await session.execute(select(Case.id, Case.number, Case.description))
            cases = {
                description: {"id": id_, "number": number, "assigned": id_ in assigned}
                for id_, number, description in rows
            }
            drafts = {
                c.user_id: str((c.data or {}).get("earlier", ""))
                for c in await session.scalars(
                    select(Conversation).where(Conversation.flow == "inquiry")
                )
            }
            people = {t for t in await session.scalars(select(Person.telegram_id)) if t is not None}
    finally:
        await db.dispose()
    return _Stored(cases, assigned, drafts, people)


@dataclass
class _Received:
    """The bot's successful sends and edits, sorted by what they are."""

    requests: Counter[int] = field(default_factory=Counter)  # chat -> sends and edits tried
    answered: set[str] = field(default_factory=set)  # presses answered
    prompts: Counter[int] = field(default_factory=Counter)  # resident -> prompts
    texts: defaultdict[int, list[str]] = field(default_factory=lambda: defaultdict(list))
    edits: defaultdict[int, list[str]] = field(default_factory=lambda: defaultdict(list))
    cards: Counter[int] = field(default_factory=Counter)  # case id -> cards posted
    card_edits: Counter[int] = field(default_factory=Counter)
    staff_texts: list[str] = field(default_factory=list)  # staff chat messages, not cards

    @classmethod
    def of(cls, calls: list[Call], flows: Flows) -> _Received:
        received = cls()
        for call in calls:
            method = call.method.lower()
            if method == "answercallbackquery":
                received.answered.add(str(call.params.get("callback_query_id")))
                continue
            if method not in SENDING:
                continue
            chat = call.chat_id
            assert chat is not None
            received.requests[chat] += 1
            if call.status != 200:
                continue
            text = str(call.params.get("text", ""))
            parsed = [_parse(flows, d) for d in _button_data(call.params.get("reply_markup"))]
            cases = {p.case_id for p in parsed if isinstance(p, StaffPress)}
            edit = method == "editmessagetext"
            if chat == STAFF_CHAT and cases:
                for case_id in cases:
                    (received.card_edits if edit else received.cards)[case_id] += 1
            elif chat == STAFF_CHAT:
                received.staff_texts.append(text)
            elif edit:
                received.edits[chat].append(text)
            elif any(isinstance(p, SendAsIsPress) for p in parsed):
                received.prompts[chat] += 1
            else:
                received.texts[chat].append(text)
        return received

    def other(self, residents: dict[int, str], *fragments: str) -> list[str]:
        """Messages the workload does not explain."""
        found = list(self.staff_texts)
        for chat, texts in self.texts.items():
            if chat in residents:
                found.extend(t for t in texts if not any(f in t for f in fragments))
        for texts in self.edits.values():
            found.extend(t for t in texts if not any(f in t for f in fragments))
        return found


def _parse(flows: Flows, data: str) -> ButtonData | None:
    try:
        return flows.buttons.parse(data)
    except InvalidButton:
        return None


def _button_data(markup: Any) -> Iterator[str]:
    for row in (markup or {}).get("inline_keyboard", []):
        for button in row:
            if "callback_data" in button:
                yield button["callback_data"]


def _fragment(key: str, **values: str) -> str:
    """The longest fixed piece of a text (the resident reads Chinese: the world's locale)."""
    marker = "\x00"
    text = translate("zh", key, **{name: marker for name in values})
    return max((part.strip() for part in text.split(marker)), key=len)


def _in_flight(calls: list[Call], at: float, window: float) -> int:
    """Sends and edits handed to the Bot API with no result the bot could have recorded when
    SIGKILL went out: received by then, and unanswered or answered under `window` s before."""
    return sum(
        1
        for c in calls
        if c.method.lower() in SENDING
        and c.received_at <= at
        and (c.answered_at is None or c.answered_at > at - window)
    )


def _errors_in(log: Path) -> int:
    try:
        return sum(" ERROR " in line for line in log.read_text(errors="replace").splitlines())
    except OSError:
        return 0


# -- databases -------------------------------------------------------------------------------


async def _postgres_answers(pg_url: str) -> None:
    import asyncpg

    dsn = pg_url.replace("postgresql+asyncpg://", "postgresql://")
    try:
        connection = await asyncio.wait_for(asyncpg.connect(dsn), 5)
    except (TimeoutError, OSError, asyncpg.PostgresError) as exc:
        raise BenchFailed(
            f"no PostgreSQL at {pg_url} (set COURTYARD_TEST_POSTGRES_URL, or "
            f"--databases sqlite): {exc}"
        ) from None
    await connection.close()


@contextlib.asynccontextmanager
async def _database(backend: str, workdir: Path, pg_url: str) -> Any:
    """A database URL of its own: a fresh SQLite file, or a PostgreSQL database created here
    and dropped afterwards (the bot is a separate process: it reaches it by URL alone)."""
    if backend == "sqlite":
        yield f"sqlite+aiosqlite:///{workdir / 'crash.db'}"
        return
    import asyncpg

    dsn = pg_url.replace("postgresql+asyncpg://", "postgresql://")
    name = f"crash_{uuid.uuid4().hex[:10]}"
    try:
        admin = await asyncio.wait_for(asyncpg.connect(dsn), 5)
    except (TimeoutError, OSError, asyncpg.PostgresError) as exc:
        raise BenchFailed(f"no PostgreSQL at {pg_url}: {exc}") from None
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
        try:
            yield make_url(pg_url).set(database=name).render_as_string(hide_password=False)
        finally:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


async def bench_one(
    backend: str,
    *,
    cycles: int,
    rng: random.Random,
    pg_url: str,
    keep: Path | None,
    settle: float,
    result_window: float,
) -> Figures:
    with tempfile.TemporaryDirectory(prefix=f"crash-{backend}-") as tmp:
        workdir = Path(tmp)
        async with _database(backend, workdir, pg_url) as url:
            crash = Crash(
                backend, url, workdir, rng, cycles, settle=settle, result_window=result_window
            )
            await crash.prepare()
            figures = await crash.run()
        if keep is not None:
            _keep_log(workdir / f"bot-{backend}.log", keep)
    return figures


def _keep_log(log: Path, folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / log.name).write_bytes(log.read_bytes())


# -- the report ------------------------------------------------------------------------------


def _table(all_figures: list[Figures]) -> str:
    rows: list[tuple[str, ...]] = [("", *(f.backend for f in all_figures), "total")]

    def row(label: str, values: list[int]) -> None:
        rows.append((label, *(str(v) for v in values), str(sum(values))))

    row("kills (SIGKILL)", [len(f.kills) for f in all_figures])
    row("  of them soon after the rush", [_modes(f, "rush") for f in all_figures])
    row("  of them soon after a burst", [_modes(f, "burst") for f in all_figures])
    row("  of them while starting", [_modes(f, "startup") for f in all_figures])
    row("updates queued", [sum(f.pushed.values()) for f in all_figures])
    row("  acknowledged", [f.acknowledged for f in all_figures])
    row("  never acknowledged", [f.unacknowledged for f in all_figures])
    row("lost updates", [sum(f.lost_updates.values()) for f in all_figures])
    for kind, label in (("ask", "/askstaff"), ("press", "send as it is"), ("take", "Take")):
        row(f"  {label}", [f.lost_updates[kind] for f in all_figures])
    row("  FAQ question", [f.lost_updates["faq"] for f in all_figures])
    row("cases committed", [f.cases for f in all_figures])
    row("Takes committed", [f.takes for f in all_figures])
    row("messages expected", [sum(f.expected.values()) for f in all_figures])
    row("lost messages", [sum(f.lost_messages.values()) for f in all_figures])
    kinds = sorted({k for f in all_figures for k in f.expected})
    for kind in kinds:
        row(f"  {kind}", [f.lost_messages[kind] for f in all_figures])
    row("duplicate messages", [sum(f.duplicates.values()) for f in all_figures])
    for kind in sorted({k for f in all_figures for k in f.duplicates}):
        row(f"  {kind}", [f.duplicates[kind] for f in all_figures])
    rows.append(
        (
            "max in flight at a kill",
            *(str(f.max_in_flight) for f in all_figures),
            str(max((f.max_in_flight for f in all_figures), default=0)),
        )
    )
    row("in flight at the kills, summed", [f.in_flight for f in all_figures])
    row("other messages (apologies...)", [len(f.other) for f in all_figures])
    row("ERROR lines in the bot's log", [f.bot_errors for f in all_figures])
    rows.append(
        ("seconds", *(f"{f.seconds:.0f}" for f in all_figures), f"{_total(all_figures):.0f}")
    )
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return "\n".join(
        "  ".join(
            cell.ljust(w) if i == 0 else cell.rjust(w)
            for i, (cell, w) in enumerate(zip(r, widths, strict=True))
        )
        for r in rows
    )


def _describe(kill: Kill) -> str:
    if kill.after_polling is None:
        when = "while starting"
    else:
        when = f"{kill.after_polling:.2f} s after polling began"
        if kill.mode in ("rush", "burst"):
            presses = "press" if kill.burst == 1 else "presses"
            when += f", {kill.after_burst:.2f} s after a burst of {kill.burst} {presses}"
    return (
        f"kill {kill.cycle + 1} ({kill.mode}): {when}; in flight {kill.in_flight}, "
        f"lost updates it had acknowledged {kill.lost_updates}"
    )


def _modes(figures: Figures, mode: str) -> int:
    return sum(k.mode == mode for k in figures.kills)


def _total(all_figures: list[Figures]) -> float:
    return sum(f.seconds for f in all_figures)


def _split(kills: int, databases: int) -> list[int]:
    base, extra = divmod(kills, databases)
    return [base + (1 if i < extra else 0) for i in range(databases)]


async def main_async(args: argparse.Namespace) -> int:
    databases = [d.strip() for d in args.databases.split(",") if d.strip()]
    unknown = set(databases) - {"sqlite", "postgres"}
    if unknown or not databases:
        print(f"crash: unknown database(s) {sorted(unknown)}; use sqlite,postgres", file=sys.stderr)
        return 2
    pg_url = os.environ.get("COURTYARD_TEST_POSTGRES_URL", DEFAULT_PG_URL)
    rng = random.Random(args.seed)
    started = time.monotonic()
    all_figures: list[Figures] = []
    try:
        if "postgres" in databases:
            await _postgres_answers(pg_url)  # before minutes are spent on SQLite
        for backend, cycles in zip(databases, _split(args.kills, len(databases)), strict=True):
            all_figures.append(
                await bench_one(
                    backend,
                    cycles=cycles,
                    rng=random.Random(rng.random()),
                    pg_url=pg_url,
                    keep=Path(args.keep_logs) if args.keep_logs else None,
                    settle=args.settle,
                    result_window=args.result_window,
                )
            )
    except BenchFailed as exc:
        print(f"crash: {exc}", file=sys.stderr)
        return 2
    wall = time.monotonic() - started
    print(
        f"bench/crash.py: {RESIDENTS} residents, {FAQ_ASKERS} FAQ askers and {STAFF} staff per "
        f"database; seed {args.seed}; Bot API latency {LATENCY * 1000:.0f} ms; in flight: "
        f"unanswered or answered < {args.result_window * 1000:.0f} ms before the kill"
    )
    print(_table(all_figures))
    for figures in all_figures:
        for text in figures.other[:3]:
            print(f"  {figures.backend}, other: {text[:100]!r}")
    if args.verbose:
        for figures in all_figures:
            for kill in figures.kills:
                print(f"  {figures.backend} {_describe(kill)}")
            for entry in figures.lost:
                print(
                    f"  {figures.backend} lost update {entry.update_id}: {entry.kind} "
                    f"(chat {entry.chat}, {'case' if entry.kind == 'take' else 'user'} {entry.key})"
                )
    print(f"wall time {wall:.0f} s")
    if args.json:
        print(
            json.dumps(
                {
                    "kills": sum(len(f.kills) for f in all_figures),
                    "lost_updates": sum(sum(f.lost_updates.values()) for f in all_figures),
                    "lost_messages": sum(sum(f.lost_messages.values()) for f in all_figures),
                    "duplicate_messages": sum(sum(f.duplicates.values()) for f in all_figures),
                    "max_in_flight": max((f.max_in_flight for f in all_figures), default=0),
                }
            )
        )
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--kills", type=int, default=KILLS, help="SIGKILLs over all databases")
    parser.add_argument("--seed", type=int, default=1, help="seed of every random choice")
    parser.add_argument("--databases", default="sqlite,postgres", help="sqlite,postgres")
    parser.add_argument("--json", action="store_true", help="a last line of JSON totals")
    parser.add_argument(
        "--settle",
        type=float,
        default=SETTLE,
        metavar="SECONDS",
        help=f"quiet time that ends the run (default {SETTLE:g})",
    )
    parser.add_argument(
        "--result-window",
        type=float,
        default=RESULT_WINDOW,
        metavar="SECONDS",
        help=f"an answer this recent at a kill is still in flight (default {RESULT_WINDOW:g})",
    )
    parser.add_argument("--verbose", action="store_true", help="a line per kill and lost update")
    parser.add_argument("--keep-logs", metavar="DIR", help="copy the bot's logs to DIR")
    args = parser.parse_args(argv)
    if args.kills < 0:
        parser.error("--kills must be 0 or more")
    return asyncio.run(main_async(args))


if __name__ == "__main__":
    raise SystemExit(main())
