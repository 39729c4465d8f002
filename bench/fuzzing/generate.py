"""Random events for the fuzzer's world (world.py), as a messenger could deliver them.

Each event is by a random user (residents, staff, managers, newcomers, strangers, huge ids) in
a random chat (their private chat, the compound's groups, unknown groups, forum threads):

- text: real resident phrasings in Chinese and English, unit labels, invite codes, numbers,
  very long texts, control characters, emoji, mentions;
- commands: every registered one with ordinary and odd arguments, and unknown ones;
- photos (with and without caption), replies to message ids, unsupported kinds;
- presses: a button the bot actually showed in that chat (how forms get deep), well-formed
  data for every registered button class with fields drawn from the world (ids of other
  people's cases and residencies, huge and negative ints, empty strings, stale nonces), and
  malformed data (unknown prefix, wrong arity, bad values, over 64 bytes).

Most events continue with the previous event's user and chat, so sequences go through a form
(start a repair, then press what was offered, type what was asked) rather than only meeting
the first refusal.
"""

from __future__ import annotations

import dataclasses
import enum
import types
import typing
from dataclasses import dataclass, field

from bench.fuzzing import world
from bench.fuzzing.draw import Draw
from bench.fuzzing.ownership import Snapshot
from bot.engine.buttons import MAX_BYTES, ButtonData
from bot.engine.events import (
    ChatKind,
    ChatRef,
    Incoming,
    Photo,
    Press,
    Unsupported,
    UserRef,
    split_command,
)
from handlers.cases.categories import COMPLAINT_CATEGORIES, REPAIR_CATEGORIES
from handlers.repairs.form import VisitWindow
from storage import demo

BOT = "courtyard_bot"
BIGINT_MAX = 2**63 - 1  # the largest id a BIGINT column (Telegram ids) holds
TEXTS = (
    "物业费怎么交",
    "厨房水管漏水了，一直在滴",
    "装修几点可以施工",
    "楼上半夜太吵了，我要投诉",
    "电梯坏了，困在3号楼",
    "门禁卡丢了怎么补办",
    "我要找人工客服",
    "着火了！楼道里有烟",
    "燃气味很重",
    "停车费多少钱",
    "谢谢",
    "取消",
    "好的",
    "how do I pay the property fee",
    "my kitchen tap is leaking",
    "the lift in building 3 is broken",
    "I want to complain about the noise upstairs",
    "can I talk to a human",
    "when may I renovate?",
    "there is water coming through the ceiling",
    "thanks",
    "cancel",
    "yes",
    "1-1-0301",
    "2-1-0601",
    "9-9-9999",
    "王芳",
    "David Chen",
    "1",
    "2",
    "5",
    "0",
    "-1",
    "@courtyard_bot 电梯坏了",
    "@someone_else hello",
    "🔥🔥🔥 漏水 💧",
    "👍",
    "ＡＢＣ　全角",
    "tab\tand\nnewlines\r\n",
    "\u202eRTL override",
    "zero\u200bwidth",
    "bell\x07 and escape \x1b[31m",
    "nul\x00byte",
    "",
    " ",
)
COMMANDS = (
    "start",
    "help",
    "menu",
    "cancel",
    "lang",
    "repair",
    "complain",
    "mycases",
    "askstaff",
    "cases",
    "staffchat",
    "residentgroup",
    "addstaff",
    "invite",
    "bind",
    "foo",
    "Repair",
    "start@other_bot",
    f"repair@{BOT}",
)
ODD_ARGS = (
    "",
    "mine",
    "repair",
    "fees",
    "start",
    "1-1-0301",
    "2-1-0601 tenant",
    "manager plumbing lifts",
    "staff nosuchskill",
    "en",
    "xx",
    "99999999999999999999",
    "-5",
    "'; DROP TABLE cases; --",
    "🔥" * 40,
    "a" * 300,
)
STRING_VALUES = (
    "",
    "x",
    "zh",
    "en",
    "fr",
    "repair",
    "repair.report",
    "human.handoff",
    "no.such.intent",
    "start",
    "abcdefgh",
    "🔥",
    *REPAIR_CATEGORIES,
    *COMPLAINT_CATEGORIES,
    *(window.value for window in VisitWindow),
    # The generic form button's form and field names, so forged FormPresses reach the forms.
    *(f"{form}" for form in ("repair", "complaint")),
    *("category", "guess", "location", "building", "urgency", "visit", "review", "photos"),
)
INT_EDGES = (0, 1, 2, 3, 5, -1, -(2**31), 2**31 - 1, 2**31, 2**53, BIGINT_MAX, 2**64, 10**30)
MALFORMED = (
    "",
    ":",
    "::::",
    "zz:1",
    "cs",
    "cs:1",
    "cs:1:t:extra",
    "cs:abc:t",
    "cs:1:zz",
    "cr:1:",
    "rt:1:x",
    "rpg:2:abcd",
    "od::1",
    "m:",
    "ca:1:2:3",
    "x" * (MAX_BYTES + 1),
    "cs:" + "9" * 70 + ":t",
    "lg:" + "é" * 40,
    "\x00:\x00",
    "cs:1:t\n",
    " cs:1:t",
)


@dataclass
class Shown:
    """A message the bot sent to a chat, as the fuzzer needs it: its id and its buttons."""

    message_id: int
    data: tuple[str, ...]
    thread_id: int | None = None


@dataclass
class View:
    """What the generator may draw from: the store's ids and what each chat was shown."""

    snap: Snapshot
    shown: dict[int, list[Shown]] = field(default_factory=dict)
    invite_codes: tuple[str, ...] = ()

    def ids(self, table: str) -> list[int]:
        return sorted(self.snap[table])

    def nonces(self) -> list[str]:
        # In the order the conversations began, not by value: nonces are random, and the same
        # seed should press the same conversation's nonce on every run.
        rows = sorted(self.snap["conversations"].items())
        return list(dict.fromkeys(str(row["nonce"]) for _, row in rows))

    def nonce_of(self, user: int, chat: int) -> str | None:
        for row in self.snap["conversations"].values():
            if row["user_id"] == user and row["chat_id"] == chat:
                return str(row["nonce"])
        return None


@dataclass
class Generator:
    """Draws one event at a time; remembers the last user and chat to continue with them."""

    buttons: tuple[type[ButtonData], ...]
    last: tuple[int, ChatRef] | None = None
    strangers: list[int] = field(default_factory=list)

    def event(self, draw: Draw, view: View) -> Incoming:
        if self.last is not None and draw.chance(70):
            user, chat = self.last
        else:
            user, chat = self._who_and_where(draw)
        self.last = (user, chat)
        lang = draw.choice((None, "zh-hans", "en", "fr", "zh", ""))
        # Telegram's full name is a first and a last name of at most 64 characters each.
        longest = "名" * 64 + " " + "x" * 64
        who = UserRef(user, draw.choice(("", "王芳", "Stranger 🙂", "\u202e\x07", longest)), lang)
        thread_id, reply_to = self._thread_and_reply(draw, view, chat.id)
        base = Incoming(user=who, chat=chat, thread_id=thread_id, reply_to_message_id=reply_to)
        kind = draw.choice(("press", "text", "command", "press", "photo", "unsupported"))
        if kind == "press":
            return dataclasses.replace(base, press=self._press(draw, view, user, chat.id))
        if kind == "command":
            return self._command(draw, view, base)
        if kind == "photo":
            caption = draw.choice((None, *TEXTS[:8]))
            return dataclasses.replace(
                base,
                photos=(Photo(f"file-{draw.integer(0, 9)}"),),
                text=caption,
                addressed=chat.kind is ChatKind.PRIVATE or draw.chance(50),
            )
        if kind == "unsupported":
            return dataclasses.replace(
                base, unsupported=draw.choice(tuple(Unsupported)), addressed=draw.chance(50)
            )
        return dataclasses.replace(
            base,
            text=self._text(draw, view),
            addressed=chat.kind is ChatKind.PRIVATE or draw.chance(50),
        )

    def _who_and_where(self, draw: Draw) -> tuple[int, ChatRef]:
        """Mostly people where they would be (residents in private, staff in their staff
        chat, where the cards are); sometimes anyone anywhere."""
        persona = draw.choice(("resident", "staff", "resident", "staff", "anyone", "stranger"))
        if persona == "resident":
            user = draw.choice((*world.RESIDENTS, *world.NEWCOMERS))
            group = ChatRef(demo.RESIDENT_GROUP_ID, ChatKind.GROUP)
            return user, (group if draw.chance(20) else ChatRef(user))
        if persona == "staff":
            user = draw.choice((*world.STAFF, *world.MANAGERS))
            chat = world.NORTH_STAFF_CHAT if user == world.NORTH_STAFF else demo.STAFF_CHAT_ID
            return user, (ChatRef(user) if draw.chance(30) else ChatRef(chat, ChatKind.GROUP))
        if persona == "stranger":
            if not self.strangers or draw.chance(30):
                self.strangers.append(draw.integer(10_000, 10**10))
            user = draw.choice((*self.strangers, 2**31, 2**53, BIGINT_MAX))
        else:
            user = draw.choice(world.KNOWN_USERS)
        where = draw.choice(("private", "group", "unknown group"))
        if where == "private":
            return user, ChatRef(user)
        if where == "group":
            forum = draw.chance(20)
            return user, ChatRef(draw.choice(world.GROUPS), ChatKind.GROUP, is_forum=forum)
        return user, ChatRef(-draw.integer(1, 10**13), ChatKind.GROUP)

    def _thread_and_reply(self, draw: Draw, view: View, chat: int) -> tuple[int | None, int | None]:
        shown = view.shown.get(chat, [])
        thread = reply = None
        if draw.chance(15):
            threads = [s.thread_id for s in shown if s.thread_id is not None]
            thread = draw.choice(threads) if threads and draw.chance(70) else draw.integer(1, 2**31)
        if draw.chance(20):
            reply = (
                draw.choice(shown).message_id
                if shown and draw.chance(70)
                else draw.choice((1, 2**31, BIGINT_MAX))
            )
        return thread, reply

    def _text(self, draw: Draw, view: View) -> str:
        shape = draw.choice(("phrase", "phrase", "invite", "long", "mixed"))
        if shape == "invite" and view.invite_codes:
            return draw.choice(view.invite_codes)
        if shape == "long":
            return draw.choice(TEXTS) * draw.integer(50, 400)
        if shape == "mixed":
            return f"{draw.choice(TEXTS)} {draw.choice(TEXTS)}"
        return draw.choice(TEXTS)

    def _command(self, draw: Draw, view: View, base: Incoming) -> Incoming:
        name = draw.choice(COMMANDS)
        args = draw.choice(ODD_ARGS)
        if name == "start" and view.invite_codes and draw.chance(40):
            args = draw.choice(view.invite_codes)
        text = f"/{name} {args}".rstrip()
        parsed = split_command(text, BOT)
        if parsed is None:  # not a command after all: the adapter would deliver plain text
            return dataclasses.replace(base, text=text)
        command, arguments, ours = parsed
        return dataclasses.replace(base, text=text, command=command, args=arguments, addressed=ours)

    def _press(self, draw: Draw, view: View, user: int, chat: int) -> Press:
        offered = [(s.message_id, d) for s in view.shown.get(chat, [])[-6:] for d in s.data]
        source = draw.choice(("offered", "offered", "offered", "formed", "formed", "malformed"))
        if source == "offered" and offered:
            message_id, data = draw.choice(offered)
            return Press(data, message_id, "press")
        if source == "malformed":
            return Press(draw.choice(MALFORMED), None, "press")
        cls = draw.choice(self.buttons)
        return Press(formed(draw, view, cls, user, chat), None, "press")


def formed(draw: Draw, view: View, cls: type[ButtonData], user: int, chat: int) -> str:
    """Well-formed data for `cls`: every field of the right type, values from anywhere."""
    hints = typing.get_type_hints(cls)
    parts = [cls.prefix]
    for f in dataclasses.fields(cls):  # type: ignore[arg-type]
        hint = hints[f.name]
        optional = typing.get_origin(hint) in (typing.Union, types.UnionType)
        if optional:
            if draw.chance(25):
                parts.append("")
                continue
            hint = next(a for a in typing.get_args(hint) if a is not type(None))
        parts.append(_value(draw, view, f.name, hint, user, chat))
    return ":".join(parts)


def _value(draw: Draw, view: View, name: str, hint: object, user: int, chat: int) -> str:
    if hint is bool:
        return draw.choice(("1", "0"))
    if isinstance(hint, type) and issubclass(hint, enum.Enum):
        return str(draw.choice(list(hint)).value)
    if hint is int:
        ids = _ids_for(view, name)
        if ids and draw.chance(75):
            return str(draw.choice(ids))
        return str(draw.choice(INT_EDGES))
    if name == "nonce":
        own = view.nonce_of(user, chat)
        options = [own] if own else []
        return draw.choice([*options, *view.nonces(), "", "stale123"])
    return draw.choice(STRING_VALUES)


def _ids_for(view: View, name: str) -> list[int]:
    """Real ids for an id field: anyone's, not only the presser's."""
    snap = view.snap
    if name == "case_id":
        return view.ids("cases")
    if name == "residency_id":
        return view.ids("residencies")
    if name == "person_id":
        return view.ids("persons")
    if name == "unit_id":
        return sorted({r["unit_id"] for r in snap["residencies"].values()})
    if name == "building_id":
        return view.ids("buildings")
    if name == "compound_id":
        return sorted({r["compound_id"] for r in snap["chat_bindings"].values()})
    return []


def shown_of(sent: list[tuple[int, int, tuple[str, ...], int | None]]) -> dict[int, list[Shown]]:
    """Groups (chat, message id, button data, thread) into what each chat was shown."""
    shown: dict[int, list[Shown]] = {}
    for chat_id, message_id, data, thread_id in sent:
        shown.setdefault(chat_id, []).append(Shown(message_id, data, thread_id))
    return shown


def invite_codes(snap: Snapshot) -> tuple[str, ...]:
    """Unused codes first: redeeming one is the newcomer's way in."""
    rows = sorted(snap["invite_codes"].values(), key=lambda r: (r["used_at"] is not None, r["id"]))
    return tuple(str(r["code"]) for r in rows)
