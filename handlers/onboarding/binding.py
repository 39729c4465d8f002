"""Asking to link a home: the resident names their unit, staff approve or reject on a card.

```mermaid
stateDiagram-v2
    [*] --> choosing_compound: "Request to link my home" (several compounds)
    [*] --> naming_unit: "Request to link my home" (one compound)
    choosing_compound --> naming_unit
    naming_unit --> choosing_role: the unit exists ("3栋2单元1502", "3-2-1502": its label shown)
    choosing_role --> giving_name
    giving_name --> [*]: request sent to the staff chat (or the managers)
```
Staff of the unit's compound approve or reject with the buttons on the request card, which is
then edited to show the outcome; the resident hears it in their language.
"""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import BaseModel

from bot.engine.buttons import ButtonData
from bot.engine.context import Context
from bot.engine.registry import Flows
from bot.engine.replies import Button, Keyboard, keyboard
from bot.i18n import locale_for, translate
from handlers.menu import menu_keyboard
from handlers.notify import staff_targets
from handlers.onboarding.rules import (
    ResidencyRefused,
    check_requestable,
    decide,
    registered_name,
    request_residency,
)
from storage.models import Compound, ResidencyRole
from storage.repos.compounds import compounds_by_name, example_unit_label, unit_by_label

FLOW = "binding"
CHOOSING_COMPOUND, NAMING_UNIT = "choosing_compound", "naming_unit"
CHOOSING_ROLE, GIVING_NAME = "choosing_role", "giving_name"


class BindingDraft(BaseModel):
    """The request so far: the compound, then the unit named, then the role."""

    compound_id: int
    unit_id: int | None = None
    unit_label: str | None = None
    role: ResidencyRole | None = None


@dataclass(frozen=True, slots=True)
class CompoundPress(ButtonData):
    prefix = "oc"
    compound_id: int
    nonce: str


@dataclass(frozen=True, slots=True)
class RolePress(ButtonData):
    prefix = "or"
    role: ResidencyRole
    nonce: str


@dataclass(frozen=True, slots=True)
class DecisionPress(ButtonData):
    """On a request card in the staff chat: approve or reject residency `residency_id`."""

    prefix = "od"
    residency_id: int
    approve: bool


async def begin_request(ctx: Context) -> None:
    """ "Request to link my home": asks which compound (when there are several), then the unit."""
    compounds = await compounds_by_name(ctx.session)
    if not compounds:
        ctx.say("onboarding-no-compound")
        return
    if len(compounds) == 1:
        await _ask_unit(ctx, compounds[0])
        return
    ctx.conversation.begin(FLOW, CHOOSING_COMPOUND)
    nonce = ctx.conversation.nonce
    ctx.say(
        "onboarding-choose-compound",
        keyboard(*[[ctx.button(c.name, CompoundPress(c.id, nonce))] for c in compounds]),
    )


async def on_compound(ctx: Context, press: CompoundPress) -> None:
    compound = await ctx.session.get(Compound, press.compound_id)
    if compound is None or ctx.conversation.step != CHOOSING_COMPOUND:
        ctx.toast(ctx.t("common-button-invalid"), alert=True)
        return
    await _ask_unit(ctx, compound)


async def _ask_unit(ctx: Context, compound: Compound) -> None:
    ctx.conversation.begin(FLOW, NAMING_UNIT)
    ctx.conversation.keep(BindingDraft(compound_id=compound.id))
    example = await _unit_example(ctx, compound)
    ctx.say("onboarding-ask-unit", compound=compound.name, example=example)


async def _unit_example(ctx: Context, compound: Compound) -> str:
    """A unit that exists in the compound, so the example can be copied and works; the
    format filled with made-up numbers only when no unit is loaded yet."""
    label = await example_unit_label(ctx.session, compound.id)
    if label is not None:
        return label
    return compound.unit_label_format.format(building=3, entrance=2, room=1502, floor=15)


def _draft(ctx: Context) -> BindingDraft | None:
    """The request so far; None (and the conversation ends, politely) when it was lost."""
    draft = ctx.conversation.draft(BindingDraft)
    if draft is None:
        ctx.conversation.finish()
        ctx.say("common-conversation-lost")
    return draft


def _refuse(ctx: Context, refused: ResidencyRefused, *, finish: bool) -> None:
    if finish:
        ctx.conversation.finish()
    values = dict(refused.values)
    if "status" in values:
        values["status"] = ctx.t(f"residency-{values['status']}")
    buttons = menu_keyboard(ctx) if refused.reason == "onboarding-already-bound" else ()
    if ctx.event.press is not None:
        ctx.toast(ctx.t(refused.reason, **values), alert=True)
    else:
        ctx.say(refused.reason, buttons, **values)


async def naming_unit(ctx: Context) -> None:
    """Takes the unit label; an unknown unit is explained with the expected format."""
    draft = _draft(ctx)
    compound = await ctx.session.get(Compound, draft.compound_id) if draft else None
    if draft is None:
        return
    if compound is None:
        ctx.conversation.finish()
        ctx.say("common-conversation-lost")
        return
    label = (ctx.event.text or "").strip()
    unit = await unit_by_label(ctx.session, compound.id, label) if label else None
    if unit is None:
        example = await _unit_example(ctx, compound)
        ctx.say("onboarding-unit-unknown", label=label[:40], example=example)
        return
    try:
        await check_requestable(ctx.session, ctx.actor, unit)
    except ResidencyRefused as refused:
        _refuse(ctx, refused, finish=True)
        return
    ctx.conversation.goto(CHOOSING_ROLE)
    ctx.conversation.keep(draft.model_copy(update={"unit_id": unit.id, "unit_label": unit.label}))
    nonce = ctx.conversation.nonce
    ctx.say(
        "onboarding-ask-role",
        keyboard(
            *[
                [ctx.button(ctx.t(f"role-{role.value}"), RolePress(role, nonce))]
                for role in ResidencyRole
            ]
        ),
        unit=unit.label,
    )


async def choosing_role_text(ctx: Context) -> None:
    """Typed text while buttons are expected: repeat the question."""
    ctx.say("onboarding-use-buttons")


async def on_role(ctx: Context, press: RolePress) -> None:
    if ctx.conversation.step != CHOOSING_ROLE:
        ctx.toast(ctx.t("common-button-invalid"), alert=True)
        return
    draft = _draft(ctx)
    if draft is None:
        return
    ctx.conversation.goto(GIVING_NAME)
    ctx.conversation.keep(draft.model_copy(update={"role": press.role}))
    ctx.edit(
        ctx.t(
            "onboarding-role-chosen",
            unit=draft.unit_label,
            role=ctx.t(f"role-{press.role.value}"),
        )
    )
    ctx.say("onboarding-ask-name")


async def giving_name(ctx: Context) -> None:
    """Takes the name as on the property register and sends the request to staff."""
    draft = _draft(ctx)
    if draft is None:
        return
    compound = await ctx.session.get(Compound, draft.compound_id)
    unit = await unit_by_label(ctx.session, draft.compound_id, draft.unit_label or "")
    if compound is None or unit is None or draft.role is None:
        ctx.conversation.finish()
        ctx.say("common-conversation-lost")
        return
    try:
        name = registered_name(ctx.event.text or "")
    except ResidencyRefused as refused:
        _refuse(ctx, refused, finish=False)
        return
    try:
        residency = await request_residency(
            ctx.session, ctx.actor, compound_id=compound.id, unit=unit, role=draft.role, name=name
        )
    except ResidencyRefused as refused:
        _refuse(ctx, refused, finish=True)
        return
    ctx.conversation.finish()
    targets = await staff_targets(ctx.session, ctx.services.settings, compound.id)
    for target in targets:
        text = translate(
            target.locale,
            "onboarding-request-card",
            name=name,
            telegram_name=ctx.person.name or "-",
            user=ctx.person.telegram_id,
            unit=unit.label,
            compound=compound.name,
            role=translate(target.locale, f"role-{draft.role.value}"),
        )
        ctx.send(
            target.chat_id,
            text,
            _decision_keyboard(target.locale, residency.id),
            ref=f"residency:{residency.id}",
        )
    ctx.say(
        "onboarding-request-sent" if targets else "onboarding-request-sent-no-staff",
        unit=unit.label,
    )


def _decision_keyboard(locale: str, residency_id: int) -> Keyboard:
    return keyboard(
        [
            Button(
                translate(locale, "onboarding-approve"), DecisionPress(residency_id, True).pack()
            ),
            Button(
                translate(locale, "onboarding-reject"), DecisionPress(residency_id, False).pack()
            ),
        ]
    )


async def on_decision(ctx: Context, press: DecisionPress) -> None:
    """Staff approve or reject a binding request; only staff of that compound may."""
    try:
        decided = await decide(
            ctx.session,
            ctx.actor,
            press.residency_id,
            approve=press.approve,
            now=ctx.services.clock(),
        )
    except ResidencyRefused as refused:
        _refuse(ctx, refused, finish=False)
        return
    residency = decided.residency
    compound = await ctx.session.get(Compound, residency.compound_id)
    # The card lives in the staff chat: it speaks the compound's language, not the presser's.
    card_locale = locale_for(None, compound, ctx.locale)
    ctx.edit(
        translate(
            card_locale,
            "onboarding-card-decided",
            unit=residency.unit.label,
            name=residency.registered_name or residency.person.name,
            status=translate(card_locale, f"residency-{residency.status.value}"),
            by=ctx.person.name,
        ),
        ref=f"residency:{residency.id}",
    )
    resident = residency.person
    if resident.telegram_id is not None:
        locale = locale_for(resident, compound, ctx.services.settings.default_locale)
        key = "onboarding-approved" if decided.approved else "onboarding-rejected"
        ctx.send(
            resident.telegram_id,
            translate(locale, key, unit=residency.unit.label, phone=_office_phone(compound)),
        )
    ctx.toast(ctx.t(f"residency-{residency.status.value}"))


def _office_phone(compound: Compound | None) -> str:
    if compound is None:
        return ""
    return str((compound.settings or {}).get("kb", {}).get("office_phone", ""))


def register(flows: Flows) -> None:
    flows.draft(FLOW)
    flows.press(CompoundPress, on_compound)
    flows.press(RolePress, on_role)
    flows.press(DecisionPress, on_decision)
    flows.step(FLOW, NAMING_UNIT, naming_unit)
    flows.step(FLOW, CHOOSING_COMPOUND, choosing_role_text)
    flows.step(FLOW, CHOOSING_ROLE, choosing_role_text)
    flows.step(FLOW, GIVING_NAME, giving_name)
