"""Declarative forms: a form is its typed draft and an ordered list of steps.

The resident is always asked the first step still needed: after every answer, after a
restart, and after an edit from the summary (the edit clears fields, so their step is needed
again, and once it is answered the summary, the last step, is the first one needed again). The
same step list registers what typed text does at each step, which buttons each step owns, and
draws the form's Mermaid diagram, so the three cannot drift apart.

Every button of every form is a `FormPress` naming the form, the field it answers and the
value; a press is taken only at the step that owns its field, and only with a value that
field accepts. A draft stored by an older release that no longer fits the model is dropped
with an apology, and the form starts again.
"""

from __future__ import annotations

import enum
import logging
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from pydantic import BaseModel

from bot.engine.buttons import ButtonData
from bot.engine.context import Context
from bot.engine.registry import Flows, Handler, PressHandler
from bot.engine.replies import Button
from handlers.widgets import at_step, use_buttons

log = logging.getLogger(__name__)

D = TypeVar("D", bound=BaseModel)
# An answer (typed text, or a button's parsed value) changes the draft and returns True when
# the form should move on to the first step still needed; False keeps the resident where they
# are (they were told what was wrong, or the answer ended the form).
Answer = Callable[[Context, D], Awaitable[bool]]
# Asks the step's question. Returns False when the store shows there is nothing to ask after
# all (no open duplicate left to offer): the form goes on to the next step needed.
Ask = Callable[[Context, D], Awaitable[bool | None]]
Parse = Callable[[str], Any]

START = "[*]"


@dataclass(frozen=True, slots=True)
class FormPress(ButtonData):
    """A form's button: the form (its flow), the field it answers, the value, the nonce."""

    prefix = "fp"
    form: str
    field: str
    value: str
    nonce: str


# Not slotted: with slots, a frozen generic dataclass cannot be built as `Step[Pet](...)`.
@dataclass(frozen=True)
class Choice(Generic[D]):
    """A button field of a step: how its value is read (raising ValueError for a value no
    button of ours carries) and what choosing it does to the draft."""

    field: str
    parse: Parse
    take: Callable[[Context, D, Any], Awaitable[bool]]


@dataclass(frozen=True)
class Step(Generic[D]):
    """One question of a form, named for what the resident is doing (`choosing_location`)."""

    name: str
    needed: Callable[[D], bool]  # whether the draft still lacks what this step asks
    ask: Ask[D]
    text: Answer[D] | None = None  # what typed text (or a photo) does; None: buttons only
    choices: tuple[Choice[D], ...] = ()
    # For the diagram: the condition under which the step is part of the form at all ("work
    # in the home"); None when every resident meets it. Edges into the step carry it.
    when: str | None = None
    # Further edges for the diagram that the step order does not imply: (target, label).
    exits: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Form(Generic[D]):
    """A form: its flow, its draft model and its steps, the last of which is always needed
    (the summary)."""

    flow: str
    model: type[D]
    steps: tuple[Step[D], ...]
    entries: tuple[str, ...]  # how residents start it, for the diagram
    title: str  # the locale id naming the form ("drafts-flow-repair")
    # Starts the form afresh after a stored draft no longer fit (the form's command).
    restart: Handler | None = None

    def __post_init__(self) -> None:
        names = [s.name for s in self.steps]
        if not names or len(set(names)) != len(names):
            raise ValueError(f"form {self.flow!r}: step names must be present and unique")
        if self.steps[-1].when is not None:
            raise ValueError(f"form {self.flow!r}: the last step must always be needed")
        for step in self.steps:
            for target, _ in step.exits:
                if target != START and target not in names:
                    raise ValueError(f"form {self.flow!r}: {step.name} exits to {target!r}")

    async def start(self, ctx: Context, draft: D) -> None:
        """Begins the conversation with `draft` and asks its first question."""
        ctx.conversation.begin(self.flow, self.steps[0].name)
        await self.advance(ctx, draft)

    async def advance(self, ctx: Context, draft: D) -> None:
        """Asks the first step the draft still needs, and keeps the draft."""
        for step in self.steps:
            if not step.needed(draft):
                continue
            ctx.conversation.goto(step.name)
            asked = await step.ask(ctx, draft)
            if asked is not False:
                self.keep(ctx, draft)
                return
        raise RuntimeError(f"form {self.flow!r}: no step asked; the last must always ask")

    def keep(self, ctx: Context, draft: D) -> None:
        """Stores the draft, unless the answer ended the form."""
        if ctx.conversation.flow == self.flow:
            ctx.conversation.keep(draft)

    async def load(self, ctx: Context) -> D | None:
        """The stored draft. None when it no longer fits the model (saved by an older
        release): the resident is told, and the form starts again."""
        draft = ctx.conversation.draft(self.model)
        if draft is not None:
            return draft
        log.info("form %s: a stored draft no longer fits", self.flow)
        ctx.conversation.finish()
        ctx.say("forms-draft-outdated", what=ctx.t(self.title))
        if self.restart is not None:
            await self.restart(ctx)
        return None

    async def _answered(self, ctx: Context, draft: D, moved: bool) -> None:
        if ctx.conversation.flow != self.flow:
            return
        if moved:
            await self.advance(ctx, draft)
        else:
            ctx.conversation.keep(draft)

    def _on_text(self, step: Step[D]) -> Handler:
        async def on_text(ctx: Context) -> None:
            draft = await self.load(ctx)
            if draft is None:
                return
            if step.text is None:
                use_buttons(ctx)
                moved = True  # asks the step's question again, with its buttons
            else:
                moved = await step.text(ctx, draft)
            await self._answered(ctx, draft, moved)

        return on_text

    def _on_press(self, step: Step[D], choice: Choice[D]) -> PressHandler:
        async def on_press(ctx: Context, press: FormPress) -> None:
            if not at_step(ctx, self.flow, step.name):
                return
            try:
                value = choice.parse(press.value)
            except ValueError:
                log.info("form %s: refused %s=%r", self.flow, choice.field, press.value)
                ctx.toast(ctx.t("common-button-invalid"), alert=True)
                return
            draft = await self.load(ctx)
            if draft is None:
                return
            await self._answered(ctx, draft, await choice.take(ctx, draft, value))

        return on_press

    def register(self, flows: Flows) -> None:
        """Every step's text handler and every button field, each owned by its step."""
        flows.press(FormPress, on_form_press)
        for step in self.steps:
            flows.step(self.flow, step.name, self._on_text(step))
            for choice in step.choices:
                flows.form_field(self.flow, choice.field, self._on_press(step, choice))

    def mermaid(self) -> str:
        """The form as a `stateDiagram-v2`: from each step, an edge to every step that may
        come next, labelled with the condition under which it is asked."""
        lines = ["stateDiagram-v2"]
        lines += [_edge(START, self.steps[0].name, label) for label in self.entries]
        for index, step in enumerate(self.steps):
            lines += [_edge(step.name, target, label) for target, label in step.exits]
            lines += [_edge(step.name, t, label) for t, label in self._successors(index)]
        return "\n".join(lines) + "\n"

    def _successors(self, index: int) -> Iterable[tuple[str, str | None]]:
        """The steps that may follow step `index`: each conditional one in order, up to and
        including the first that every resident is asked ("otherwise" after conditions)."""
        conditional = False
        for step in self.steps[index + 1 :]:
            if step.when is None:
                yield step.name, "otherwise" if conditional else None
                return
            conditional = True
            yield step.name, step.when


async def on_form_press(ctx: Context, press: FormPress) -> None:
    """Hands a form button to the step that owns its field; a form or field we do not have
    (a forged press, or one from a form since removed) is refused."""
    handler = ctx.services.flows.form_fields.get((press.form, press.field))
    if handler is None:
        ctx.toast(ctx.t("common-button-invalid"), alert=True)
        return
    await handler(ctx, press)


def form_button(ctx: Context, form: str, label: str, field: str, value: object = "") -> Button:
    """A button of `form` answering `field` with `value`, valid at the current step only."""
    return ctx.button(label, FormPress(form, field, encode(value), ctx.conversation.nonce))


def reset(draft: BaseModel, fields: Iterable[str]) -> None:
    """Sets `fields` of the draft back to their defaults, so that their steps are needed."""
    for name in fields:
        info = type(draft).model_fields[name]
        setattr(draft, name, info.get_default(call_default_factory=True))


def encode(value: object) -> str:
    """A button value as text: an enum by its value, a flag as 1 or 0, nothing as empty."""
    if isinstance(value, enum.Enum):
        value = value.value
    if isinstance(value, bool):
        return "1" if value else "0"
    return "" if value is None else str(value)


def one_of(values: Iterable[str]) -> Parse:
    """Reads a value that must be one of `values` (a category)."""
    allowed = frozenset(values)

    def parse(raw: str) -> str:
        if raw not in allowed:
            raise ValueError(f"not one of ours: {raw!r}")
        return raw

    return parse


def flag(raw: str) -> bool:
    if raw not in ("0", "1"):
        raise ValueError(f"not a flag: {raw!r}")
    return raw == "1"


def optional_id(raw: str) -> int | None:
    """A row's id, or nothing (a common area, "file anyway")."""
    return None if raw == "" else int(raw)


def nothing(raw: str) -> None:
    """A button that carries no value (Done, Use what I wrote)."""
    if raw != "":
        raise ValueError(f"no value expected: {raw!r}")


def _edge(source: str, target: str, label: str | None) -> str:
    return f"    {source} --> {target}: {label}" if label else f"    {source} --> {target}"
