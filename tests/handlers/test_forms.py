"""The declarative form machinery (handlers/forms.py) on a toy form, without the engine: which
step is asked, skipping, returning to the summary after an edit, buttons owned by their step,
the diagram; and that every real form's docstring shows its own diagram."""

from __future__ import annotations

import importlib
import pkgutil
from dataclasses import dataclass, field
from typing import Any, cast

import pytest
from pydantic import BaseModel

import handlers
from bot.engine.buttons import MAX_BYTES
from bot.engine.context import Context
from bot.engine.registry import Flows
from handlers.forms import Choice, Form, FormPress, Step, flag, nothing, one_of, reset
from storage.repos.conversations import ConversationState


class Pet(BaseModel):
    owner: str | None = None
    has_pet: bool | None = None
    kind: str | None = None
    confirmed: bool = False


@dataclass
class Stub:
    """Just enough of a Context for the machinery: the conversation and what was said."""

    conversation: ConversationState = field(default_factory=lambda: ConversationState(1, 1))
    asked: list[str] = field(default_factory=list)
    said: list[str] = field(default_factory=list)
    toasts: list[str] = field(default_factory=list)
    text: str = ""

    def t(self, key: str, **values: Any) -> str:
        return key

    def say(self, key: str, *args: Any, **values: Any) -> None:
        self.said.append(key)

    def toast(self, text: str, *, alert: bool = False) -> None:
        self.toasts.append(text)


def asking(name: str) -> Any:
    async def ask(ctx: Stub, draft: Pet) -> None:
        ctx.asked.append(name)

    return ask


async def typed_owner(ctx: Stub, draft: Pet) -> bool:
    if len(ctx.text) < 2:
        ctx.say("too-short")
        return False
    draft.owner = ctx.text
    return True


async def take_has_pet(ctx: Stub, draft: Pet, value: bool) -> bool:
    draft.has_pet = value
    return True


async def take_kind(ctx: Stub, draft: Pet, value: str) -> bool:
    draft.kind = value
    return True


async def take_review(ctx: Stub, draft: Pet, value: str) -> bool:
    if value == "submit":
        draft.confirmed = True
        ctx.conversation.finish()
        return False
    reset(draft, {"owner": ["owner"], "pet": ["has_pet", "kind"]}[value])
    return True


FORM: Form[Pet] = Form(
    flow="pet",
    model=Pet,
    title="drafts-flow-pet",
    entries=("/pet",),
    steps=(
        Step(
            "naming_owner", needed=lambda d: d.owner is None, ask=asking("owner"), text=typed_owner
        ),
        Step(
            "telling_about_pet",
            needed=lambda d: d.has_pet is None,
            ask=asking("has_pet"),
            choices=(Choice("has_pet", flag, take_has_pet),),
        ),
        Step(
            "choosing_kind",
            needed=lambda d: bool(d.has_pet) and d.kind is None,
            ask=asking("kind"),
            choices=(Choice("kind", one_of(("cat", "dog")), take_kind),),
            when="has a pet",
        ),
        Step(
            "confirming",
            needed=lambda d: True,
            ask=asking("summary"),
            choices=(Choice("review", one_of(("submit", "owner", "pet")), take_review),),
            exits=(("naming_owner", "edit, then back here"), ("[*]", "submit")),
        ),
    ),
)


def registered() -> Flows:
    flows = Flows()
    FORM.register(flows)
    return flows


async def press(flows: Flows, ctx: Stub, field_: str, value: str) -> None:
    data = FormPress("pet", field_, value, ctx.conversation.nonce)
    await flows.form_fields[("pet", field_)](cast(Context, ctx), data)


async def type_text(flows: Flows, ctx: Stub, text: str) -> None:
    ctx.text = text
    step = ctx.conversation.step or ""
    await flows.steps[("pet", step)](cast(Context, ctx))


def stored(ctx: Stub) -> Pet:
    draft = ctx.conversation.draft(Pet)
    assert draft is not None
    return draft


async def test_each_answer_asks_the_first_step_still_needed_and_skips_the_rest() -> None:
    flows, ctx = registered(), Stub()
    await FORM.start(cast(Context, ctx), Pet())
    assert ctx.conversation.step == "naming_owner" and ctx.asked == ["owner"]
    await type_text(flows, ctx, "x")  # refused: the form waits, nothing is asked again
    assert ctx.said == ["too-short"] and ctx.asked == ["owner"]
    await type_text(flows, ctx, "Wang")
    await press(flows, ctx, "has_pet", "0")
    # No pet: the kind is never asked; straight on to the summary.
    assert ctx.asked == ["owner", "has_pet", "summary"]
    assert ctx.conversation.step == "confirming" and stored(ctx).owner == "Wang"


async def test_a_known_answer_is_skipped() -> None:
    ctx = Stub()
    await FORM.start(cast(Context, ctx), Pet(owner="Wang", has_pet=True))
    assert ctx.asked == ["kind"]


async def test_an_edit_from_the_summary_asks_again_and_returns_to_the_summary() -> None:
    flows, ctx = registered(), Stub()
    await FORM.start(cast(Context, ctx), Pet(owner="Wang", has_pet=False))
    await press(flows, ctx, "review", "pet")
    assert ctx.conversation.step == "telling_about_pet"
    await press(flows, ctx, "has_pet", "1")
    await press(flows, ctx, "kind", "cat")
    assert ctx.asked == ["summary", "has_pet", "kind", "summary"]
    assert stored(ctx).kind == "cat"
    await press(flows, ctx, "review", "submit")
    assert not ctx.conversation.active  # the answer ended the form: nothing is kept


async def test_a_button_is_taken_only_at_its_step_and_with_a_value_of_ours() -> None:
    flows, ctx = registered(), Stub()
    await FORM.start(cast(Context, ctx), Pet())
    await press(flows, ctx, "kind", "cat")  # a later step's button
    await press(flows, ctx, "has_pet", "1")
    await type_text(flows, ctx, "Wang")
    await press(flows, ctx, "has_pet", "maybe")  # no button of ours says that
    assert ctx.toasts == ["common-button-invalid"] * 3
    assert ctx.conversation.step == "telling_about_pet" and stored(ctx).has_pet is None


async def test_text_at_a_buttons_only_step_points_to_the_buttons_and_asks_again() -> None:
    flows, ctx = registered(), Stub()
    await FORM.start(cast(Context, ctx), Pet(owner="Wang"))
    await type_text(flows, ctx, "yes, a cat")
    assert ctx.said == ["intake-use-buttons"] and ctx.asked == ["has_pet", "has_pet"]


async def test_a_stored_draft_that_no_longer_fits_is_dropped_politely() -> None:
    flows, ctx = registered(), Stub()
    await FORM.start(cast(Context, ctx), Pet())
    ctx.conversation.update(owner=["not", "a", "name"], retired_field=1)
    await type_text(flows, ctx, "Wang")
    assert ctx.said == ["forms-draft-outdated"] and not ctx.conversation.active


async def test_unknown_keys_are_ignored() -> None:
    ctx = Stub()
    await FORM.start(cast(Context, ctx), Pet())
    ctx.conversation.update(retired_field=1, _prompt={"text": "kept"})
    assert stored(ctx) == Pet()
    ctx.conversation.keep(Pet(owner="Wang"))
    assert ctx.conversation.data["_prompt"] == {"text": "kept"}  # the engine's key stays
    assert "retired_field" not in ctx.conversation.data


def test_keeping_an_unchanged_draft_changes_nothing() -> None:
    conversation = ConversationState(1, 1)
    conversation.begin("pet", "naming_owner")
    conversation.keep(Pet(owner="Wang"))
    conversation.changed = False
    conversation.keep(Pet(owner="Wang"))
    assert not conversation.changed


def test_the_diagram_follows_the_steps() -> None:
    assert FORM.mermaid() == (
        "stateDiagram-v2\n"
        "    [*] --> naming_owner: /pet\n"
        "    naming_owner --> telling_about_pet\n"
        "    telling_about_pet --> choosing_kind: has a pet\n"
        "    telling_about_pet --> confirming: otherwise\n"
        "    choosing_kind --> confirming\n"
        "    confirming --> naming_owner: edit, then back here\n"
        "    confirming --> [*]: submit\n"
    )


def test_a_form_is_checked_when_declared() -> None:
    always = Step[Pet]("confirming", needed=lambda d: True, ask=asking("summary"))
    with pytest.raises(ValueError, match="unique"):
        Form(flow="x", model=Pet, title="t", entries=(), steps=(always, always))
    conditional = Step[Pet]("last", needed=lambda d: True, ask=asking("x"), when="sometimes")
    with pytest.raises(ValueError, match="always"):
        Form(flow="x", model=Pet, title="t", entries=(), steps=(conditional,))
    with pytest.raises(ValueError, match="twice"):
        FORM.register(registered())


def test_values_without_a_value() -> None:
    assert nothing("") is None
    with pytest.raises(ValueError):
        nothing("x")


def _forms() -> dict[str, Form[Any]]:
    """Every Form declared anywhere in handlers/, by the module that declares it."""
    found: dict[str, Form[Any]] = {}
    for info in pkgutil.walk_packages(handlers.__path__, "handlers."):
        module = importlib.import_module(info.name)
        for value in vars(module).values():
            if isinstance(value, Form) and all(value is not f for f in found.values()):
                found[info.name] = value
    return found


def test_every_form_shows_its_own_diagram_in_its_docstring() -> None:
    forms = _forms()
    assert {f.flow for f in forms.values()} >= {"repair", "complaint"}
    for name, form in forms.items():
        doc = importlib.import_module(name).__doc__ or ""
        assert f"```mermaid\n{form.mermaid()}```" in doc, f"{name}: diagram differs"


@pytest.mark.parametrize("name", sorted(_forms()))
def test_every_button_of_a_form_fits(name: str) -> None:
    form = _forms()[name]
    for step in form.steps:
        for choice in step.choices:
            longest = FormPress(form.flow, choice.field, "staff_conduct", "abcdef").pack()
            assert len(longest.encode()) <= MAX_BYTES
