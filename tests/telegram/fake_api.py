"""A fake Telegram Bot API server on loopback, for aiogram's real client code over real HTTP.

It answers the methods the adapter uses the way Telegram does (same paths, same JSON, same
error shapes), records every request, and can be told to misbehave: a chat that blocked the
bot (403), a flood wait (429 with retry_after), a token it does not know (401). It can also
answer with a round trip's delay (`latency`), and keeps when each request arrived and was
answered and when each update was acknowledged (bench/crash.py measures losses with them).

With `limits` it enforces Telegram's flood limits as a real bot meets them: a global budget of
messages a second, one a second per private chat (with a small burst), twenty a minute per
group; a message over any of them is answered 429 with the `retry_after` that would have let it
through, and counted in `too_many` by the limit it broke. Every message it accepts is kept in
`accepted` (chat, text, when), so a bench can count losses and duplicates and measure the rate
(bench/broadcast.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
import time
from collections import Counter, defaultdict, deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

# Fields aiogram sends as JSON text inside the form; the rest are plain strings.
JSON_FIELDS = frozenset(
    {"reply_markup", "media", "commands", "scope", "reply_parameters", "allowed_updates"}
)
SENDING = frozenset({"sendmessage", "sendphoto", "sendmediagroup", "editmessagetext"})
# Calls that count against the flood limits (an edit costs Telegram as much as a message).
COUNTED = SENDING
NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup "
    "are exactly the same as a current content and reply markup of the message"
)


@dataclass
class Call:
    """One request as the server received it."""

    method: str  # as the client spelled it, e.g. "sendMessage"
    params: dict[str, Any]
    token: str
    # When it arrived and when it was answered (time.monotonic()); None while still open.
    received_at: float = 0.0
    answered_at: float | None = None
    # The HTTP status of the answer, and its result (None for an error).
    status: int | None = None
    result: Any = None
    # The path prefix the client reached the server through ("/via/<name>" in its API base),
    # which tells several bot processes apart; "" for the plain address.
    via: str = ""
    # For a 429, what caused it: "global", "private", "group" (a limit) or "injected".
    too_many: str | None = None
    # Files uploaded with the request (a generated chart), by form field name.
    files: dict[str, bytes] = field(default_factory=dict)

    @property
    def chat_id(self) -> int | None:
        value = self.params.get("chat_id")
        return int(value) if value is not None else None

    def is_(self, method: str) -> bool:
        return self.method.lower() == method.lower()


@dataclass(frozen=True)
class Limits:
    """Telegram's flood limits, as the fake server enforces them when given some.

    `global_rate` messages in any one-second window across all chats; per private chat a
    bucket of `private_burst` messages refilled at `private_rate` a second; per group
    `group_per_minute` messages in any sixty-second window.
    """

    global_rate: float = 30.0
    private_rate: float = 1.0
    private_burst: int = 3
    group_per_minute: int = 20


@dataclass(frozen=True)
class Accepted:
    """A message the server took (answered 200): what a person would see arrive."""

    method: str  # lower case, e.g. "sendmessage"
    chat_id: int
    text: str | None
    at: float  # time.monotonic()


@dataclass
class _Budget:
    """The state of the flood limits: when recent messages were taken, globally and per chat."""

    limits: Limits
    recent: deque[float] = field(default_factory=deque)
    groups: dict[int, deque[float]] = field(default_factory=lambda: defaultdict(deque))
    # chat id -> (tokens left, when counted)
    privates: dict[int, tuple[float, float]] = field(default_factory=dict)

    def check(self, chat_id: int | None, now: float) -> tuple[str, int] | None:
        """(the limit broken, seconds to wait) when a message now would break one; else takes
        the message into the counts and returns None."""
        limits = self.limits
        while self.recent and self.recent[0] <= now - 1.0:
            self.recent.popleft()
        if len(self.recent) >= limits.global_rate:
            return "global", _seconds(self.recent[0] + 1.0 - now)
        tokens: float | None = None
        if chat_id is not None and chat_id < 0:
            window = self.groups[chat_id]
            while window and window[0] <= now - 60.0:
                window.popleft()
            if len(window) >= limits.group_per_minute:
                return "group", _seconds(window[0] + 60.0 - now)
        elif chat_id is not None:
            left, then = self.privates.get(chat_id, (float(limits.private_burst), now))
            tokens = min(float(limits.private_burst), left + (now - then) * limits.private_rate)
            if tokens < 1.0:
                return "private", _seconds((1.0 - tokens) / limits.private_rate)
        self.recent.append(now)
        if chat_id is not None and chat_id < 0:
            self.groups[chat_id].append(now)
        elif chat_id is not None and tokens is not None:
            self.privates[chat_id] = (tokens - 1.0, now)
        return None


def _seconds(wait: float) -> int:
    # Telegram's retry_after is whole seconds, never 0.
    return max(1, math.ceil(wait))


class ApiError(Exception):
    def __init__(self, code: int, description: str, **parameters: Any) -> None:
        super().__init__(description)
        self.code, self.description, self.parameters = code, description, parameters


class TooMany(ApiError):
    """A 429, and what caused it (a limit's name, or "injected")."""

    def __init__(self, cause: str, retry_after: int) -> None:
        super().__init__(
            429, f"Too Many Requests: retry after {retry_after}", retry_after=retry_after
        )
        self.cause = cause


class FakeBotAPI:
    def __init__(
        self,
        *,
        token: str,
        username: str = "courtyard_test_bot",
        max_poll_wait: float = 0.5,
        latency: float = 0.0,
        limits: Limits | None = None,
        blocked: Iterable[int] = (),
    ) -> None:
        self.token = token
        self.me = {
            "id": int(token.split(":")[0]),
            "is_bot": True,
            "first_name": "Courtyard",
            "username": username,
        }
        self.max_poll_wait = max_poll_wait
        # Seconds every method but getUpdates takes to answer, as Telegram's round trip does.
        self.latency = latency
        self.calls: list[Call] = []
        self.updates: list[dict[str, Any]] = []
        # update_id -> when a getUpdates asked for a higher offset (Telegram forgot it then).
        self.acknowledged: dict[int, float] = {}
        # update_id -> how many getUpdates answers carried it.
        self.served: dict[int, int] = defaultdict(int)
        self.messages: dict[tuple[int, int], dict[str, Any]] = {}
        self.commands: dict[tuple[str, str | None], list[dict[str, str]]] = {}
        self.webhook: dict[str, Any] | None = None
        self.blocked: set[int] = set(blocked)
        # chat id -> the message ids pinned there, in order.
        self.pinned: dict[int, list[int]] = defaultdict(list)
        self.floods: dict[str, list[int]] = defaultdict(list)
        # Every `flood_every[0]`-th counted call answers 429 with retry_after `flood_every[1]`.
        self.flood_every: tuple[int, int] | None = None
        self.limits = limits
        self._budget = _Budget(limits) if limits is not None else None
        # 429s answered, by cause: "global", "private", "group" (limits), "injected" (flood).
        self.too_many: Counter[str] = Counter()
        self.accepted: list[Accepted] = []
        self._counted = 0
        self.failures: dict[str, list[tuple[int, str]]] = defaultdict(list)
        self.gates: dict[str, asyncio.Event] = {}
        self.url = ""
        self._message_ids: dict[int, int] = defaultdict(lambda: 100)
        self._changed = asyncio.Condition()
        self._closing = False
        self._runner: web.AppRunner | None = None

    # -- running -----------------------------------------------------------------------------

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/bot{token}/{method}", self._handle)
        app.router.add_post("/via/{via}/bot{token}/{method}", self._handle)
        self._runner = web.AppRunner(app, handle_signals=False, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", 0).start()
        host, port = self._runner.addresses[0][:2]
        self.url = f"http://{host}:{port}"

    async def close(self) -> None:
        self._closing = True
        for gate in self.gates.values():  # a failed test must not leave requests hanging
            gate.set()
        await self._notify()
        if self._runner is not None:
            await self._runner.cleanup()

    # -- what a test tells it ------------------------------------------------------------------

    async def push(self, *updates: dict[str, Any]) -> None:
        """Queues updates for the next getUpdates."""
        self.updates.extend(updates)
        await self._notify()

    def block(self, chat_id: int) -> None:
        """From now on the chat answers 403, as when a user blocked the bot."""
        self.blocked.add(chat_id)

    def flood(self, method: str, *, retry_after: int = 1, times: int = 1) -> None:
        """The next `times` calls of `method` answer 429 with `retry_after`."""
        self.floods[method.lower()].extend([retry_after] * times)

    def flood_periodically(self, every: int, *, retry_after: int = 1) -> None:
        """Every `every`-th message or edit (counting from now) answers 429 with `retry_after`,
        as Telegram does now and then under load whatever the bot's pace."""
        self.flood_every, self._counted = (every, retry_after), 0

    def fail(self, method: str, code: int, description: str, *, times: int = 1) -> None:
        """The next `times` calls of `method` answer `code` (a 502, a 400) with `description`."""
        self.failures[method.lower()].extend([(code, description)] * times)

    def hold(self, method: str) -> asyncio.Event:
        """Requests of `method` are answered only once the returned event is set."""
        gate = self.gates[method.lower()] = asyncio.Event()
        return gate

    # -- what a test reads ---------------------------------------------------------------------

    def of(self, method: str, *, chat_id: int | None = None) -> list[Call]:
        return [
            c
            for c in self.calls
            if c.is_(method) and c.token == self.token and (chat_id is None or c.chat_id == chat_id)
        ]

    def texts(self, chat_id: int) -> list[str]:
        """What the bot sent to the chat, in order (answered requests only)."""
        return [
            m["text"]
            for (chat, _), m in sorted(self.messages.items())
            if chat == chat_id and "text" in m
        ]

    async def until(
        self, condition: Callable[[], bool], *, within: float = 3.0, what: str = ""
    ) -> None:
        """Waits until `condition()` holds, checking whenever a request arrives or is answered."""
        async with self._changed:
            try:
                await asyncio.wait_for(self._changed.wait_for(condition), within)
            except TimeoutError:
                seen = [(c.method, c.params.get("text")) for c in self.calls[-8:]]
                raise AssertionError(
                    f"waited {within}s for {what}; last requests: {seen}"
                ) from None

    async def wait_for(
        self, match: str | Callable[[Call], bool], *, count: int = 1, within: float = 3.0
    ) -> list[Call]:
        """Waits until `count` requests match (a method name or a predicate); returns them."""
        predicate = (lambda c: c.is_(match)) if isinstance(match, str) else match

        def found() -> list[Call]:
            return [c for c in self.calls if predicate(c)]

        await self.until(lambda: len(found()) >= count, within=within, what=f"{count} × {match}")
        return found()

    async def wait_sent(self, chat_id: int, *, count: int = 1, within: float = 3.0) -> list[str]:
        """Waits until the bot has sent `count` texts to the chat; returns them all."""
        await self.until(
            lambda: len(self.texts(chat_id)) >= count,
            within=within,
            what=f"{count} text(s) to chat {chat_id}",
        )
        return self.texts(chat_id)

    def last_message(self, chat_id: int) -> dict[str, Any]:
        """The bot's latest message in the chat, as Telegram stores it (buttons included)."""
        keys = [key for key in self.messages if key[0] == chat_id]
        assert keys, f"the bot sent nothing to {chat_id}"
        return self.messages[max(keys)]

    # -- the Bot API ---------------------------------------------------------------------------

    async def _notify(self) -> None:
        async with self._changed:
            self._changed.notify_all()

    async def _handle(self, request: web.Request) -> web.Response:
        form = await request.post()
        # A form may carry several parts of one name, and python-telegram-bot sends some JSON
        # fields as parts with a content type: a text part is a field, a binary one a file.
        params: dict[str, Any] = {}
        files: dict[str, bytes] = {}
        for key, value in form.items():
            if isinstance(value, web.FileField):
                data = value.file.read()
                if key in JSON_FIELDS and value.content_type == "application/json":
                    params[key] = json.loads(data.decode())
                else:
                    files[key] = data
            elif isinstance(value, str):
                params[key] = json.loads(value) if key in JSON_FIELDS else value
        method = request.match_info["method"]
        call = Call(
            method,
            params,
            request.match_info["token"],
            received_at=time.monotonic(),
            via=request.match_info.get("via", ""),
            files=files,
        )
        self.calls.append(call)
        await self._notify()  # a long poll answers late; its arrival is news already
        if gate := self.gates.get(method.lower()):
            await gate.wait()
        if self.latency and method.lower() != "getupdates":
            await asyncio.sleep(self.latency)
        try:
            result = await self._answer(method.lower(), params, request.match_info["token"])
        except ApiError as exc:
            body: dict[str, Any] = {
                "ok": False,
                "error_code": exc.code,
                "description": exc.description,
            }
            if exc.parameters:
                body["parameters"] = exc.parameters
            response = web.json_response(body, status=exc.code)
            call.status = exc.code
            if isinstance(exc, TooMany):
                call.too_many = exc.cause
                self.too_many[exc.cause] += 1
        else:
            response = web.json_response({"ok": True, "result": result})
            call.status, call.result = 200, result
        call.answered_at = time.monotonic()
        await self._notify()
        return response

    async def _answer(self, method: str, params: dict[str, Any], token: str) -> Any:
        if token != self.token:
            raise ApiError(401, "Unauthorized")
        if self.failures.get(method):
            code, description = self.failures[method].pop(0)
            raise ApiError(code, description)
        if self.floods.get(method):
            raise TooMany("injected", self.floods[method].pop(0))
        if method in COUNTED:
            self._count(int(params["chat_id"]))
        if method in SENDING and int(params["chat_id"]) in self.blocked:
            raise ApiError(403, "Forbidden: bot was blocked by the user")
        if method == "getupdates":
            return await self._get_updates(params)
        result = self._method(method, params)
        if method in SENDING:
            now, chat_id = time.monotonic(), int(params["chat_id"])
            for message in result if isinstance(result, list) else [result]:
                self.accepted.append(Accepted(method, chat_id, message.get("text"), now))
        return result

    def _count(self, chat_id: int) -> None:
        """Raises the 429 a message to `chat_id` gets now, if any (injected, or over a limit);
        otherwise counts it against the limits."""
        if self.flood_every is not None:
            self._counted += 1
            every, wait = self.flood_every
            if self._counted % every == 0:
                raise TooMany("injected", wait)
        if self._budget is None:
            return
        broken = self._budget.check(chat_id, time.monotonic())
        if broken is not None:
            raise TooMany(*broken)

    def _method(self, method: str, params: dict[str, Any]) -> Any:
        match method:
            case "getme":
                return self.me
            case "sendmessage":
                return self._store(params, text=params["text"])
            case "sendphoto":
                return self._store(params, photo=[_photo_size(params["photo"])])
            case "sendmediagroup":
                group = f"album{len(self.calls)}"
                return [
                    self._store(params, photo=[_photo_size(item["media"])], media_group_id=group)
                    for item in params["media"]
                ]
            case "editmessagetext":
                return self._edit(params)
            case "answercallbackquery":
                return True
            case "pinchatmessage":
                self.pinned[int(params["chat_id"])].append(int(params["message_id"]))
                return True
            case "setmycommands" | "deletemycommands":
                scope = params.get("scope", {})
                where = scope.get("type", "default")
                if where == "chat":
                    where = f"chat:{scope.get('chat_id')}"
                key = (where, params.get("language_code"))
                self.commands[key] = params.get("commands", [])
                return True
            case "setwebhook":
                self.webhook = params
                return True
            case "deletewebhook":
                self.webhook = None
                return True
        raise ApiError(404, "Not Found")

    async def _get_updates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        if self.webhook is not None:
            raise ApiError(409, "Conflict: can't use getUpdates method while webhook is active")
        # Telegram forgets updates below the offset: asking for more confirms the earlier ones.
        offset = int(params.get("offset", 0))
        now = time.monotonic()
        for update in self.updates:
            if update["update_id"] < offset:
                self.acknowledged.setdefault(update["update_id"], now)
        self.updates = [u for u in self.updates if u["update_id"] >= offset]
        wait = min(float(params.get("timeout", 0)), self.max_poll_wait)
        if not self.updates and wait > 0:
            async with self._changed:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(
                        self._changed.wait_for(lambda: bool(self.updates) or self._closing), wait
                    )
        batch = self.updates[: int(params.get("limit", 100))]
        for update in batch:
            self.served[update["update_id"]] += 1
        return batch

    def _store(self, params: dict[str, Any], **content: Any) -> dict[str, Any]:
        chat_id = int(params["chat_id"])
        self._message_ids[chat_id] += 1
        message: dict[str, Any] = {
            "message_id": self._message_ids[chat_id],
            "date": int(time.time()),
            "chat": _chat(chat_id),
            "from": self.me,
            **content,
        }
        if "reply_markup" in params:
            message["reply_markup"] = params["reply_markup"]
        if "message_thread_id" in params:
            message["message_thread_id"] = int(params["message_thread_id"])
            message["is_topic_message"] = True
        self.messages[(chat_id, message["message_id"])] = message
        return message

    def _edit(self, params: dict[str, Any]) -> dict[str, Any]:
        key = (int(params["chat_id"]), int(params["message_id"]))
        message = self.messages.get(key)
        if message is None:
            raise ApiError(400, "Bad Request: message to edit not found")
        markup = params.get("reply_markup")
        if message.get("text") == params["text"] and message.get("reply_markup") == markup:
            raise ApiError(400, NOT_MODIFIED)
        message["text"] = params["text"]
        if markup is None:
            message.pop("reply_markup", None)
        else:
            message["reply_markup"] = markup
        message["edit_date"] = int(time.time())
        return message


def _chat(chat_id: int) -> dict[str, Any]:
    return {"id": chat_id, "type": "private" if chat_id > 0 else "supergroup"}


def _photo_size(file_id: str) -> dict[str, Any]:
    return {"file_id": file_id, "file_unique_id": f"u-{file_id}", "width": 1280, "height": 960}
