"""Asking to link a home: the resident names their unit, staff approve or reject on a card.

```mermaid
stateDiagram-v2
    [*] --> choosing_compound: "Request to link my home" (several compounds)
    [*] --> naming_unit: "Request to link my home" (one compound)
    choosing_compound --> naming_unit
    naming_unit --> choosing_role: the unit exists
    choosing_role --> giving_name
    giving_name --> [*]: request sent to the staff chat (or the managers)
```
Staff of the unit's compound approve or reject with the buttons on the request card, which is
then edited to show the outcome; the resident hears it in their language.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from bot.engine.buttons import ButtonData
from bot.engine.context import Context
from bot.engine.registry import Flows
from bot.engine.replies import Button, Keyboard, keyboard
from bot.i18n import translate
from handlers.menu import menu_keyboard
from handlers.notify import locale_of, staff_targets
from storage.models import Compound, Person, Residency, ResidencyRole, ResidencyStatus
from storage.repos import audit
from storage.repos.compounds import unit_by_label

FLOW = "binding"
CHOOSING_COMPOUND, NAMING_UNIT = "choosing_compound", "naming_unit"
CHOOSING_ROLE, GIVING_NAME = "choosing_role", "giving_name"
NAME_MAX = 60


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
    compounds = (await ctx.session.scalars(select(Compound).order_by(Compound.name))).all()
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
    ctx.conversation.begin(FLOW, NAMING_UNIT, compound_id=compound.id)
    ctx.say("onboarding-ask-unit", compound=compound.name, example=_unit_example(compound))


def _unit_example(compound: Compound) -> str:
    return compound.unit_label_format.format(building=3, entrance=2, room=1502, floor=15)


async def naming_unit(ctx: Context) -> None:
    """Takes the unit label; an unknown unit is explained with the expected format."""
    compound = await ctx.session.get(Compound, ctx.conversation.data.get("compound_id"))
    if compound is None:
        ctx.conversation.finish()
        ctx.say("common-conversation-lost")
        return
    label = (ctx.event.text or "").strip()
    unit = await unit_by_label(ctx.session, compound.id, label) if label else None
    if unit is None:
        ctx.say("onboarding-unit-unknown", label=label[:40], example=_unit_example(compound))
        return
    if unit.id in ctx.actor.unit_ids():
        ctx.conversation.finish()
        ctx.say("onboarding-already-bound", menu_keyboard(ctx), unit=unit.label)
        return
    pending = await ctx.session.scalar(
        select(Residency.id).where(
            Residency.person_id == ctx.person.id,
            Residency.unit_id == unit.id,
            Residency.status == ResidencyStatus.PENDING,
        )
    )
    if pending is not None:
        ctx.conversation.finish()
        ctx.say("onboarding-request-pending", unit=unit.label)
        return
    ctx.conversation.goto(CHOOSING_ROLE, unit_id=unit.id, unit_label=unit.label)
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
    ctx.conversation.goto(GIVING_NAME, role=press.role.value)
    ctx.edit(
        ctx.t(
            "onboarding-role-chosen",
            unit=ctx.conversation.data["unit_label"],
            role=ctx.t(f"role-{press.role.value}"),
        )
    )
    ctx.say("onboarding-ask-name")


async def giving_name(ctx: Context) -> None:
    """Takes the name as on the property register and sends the request to staff."""
    name = " ".join((ctx.event.text or "").split())
    if not name or len(name) > NAME_MAX:
        ctx.say("onboarding-name-invalid", limit=NAME_MAX)
        return
    data = ctx.conversation.data
    compound = await ctx.session.get(Compound, data["compound_id"])
    residency = Residency(
        compound_id=data["compound_id"],
        unit_id=data["unit_id"],
        person_id=ctx.person.id,
        role=ResidencyRole(data["role"]),
        status=ResidencyStatus.PENDING,
        source="request",
        registered_name=name,
    )
    ctx.session.add(residency)
    await ctx.session.flush()
    audit.record(
        ctx.session,
        action="residency.requested",
        actor_id=ctx.person.id,
        compound_id=residency.compound_id,
        target=f"residency:{residency.id}",
        unit=data["unit_label"],
        name=name,
    )
    ctx.conversation.finish()
    targets = await staff_targets(ctx.session, ctx.services.settings, residency.compound_id)
    for target in targets:
        text = translate(
            target.locale,
            "onboarding-request-card",
            name=name,
            telegram_name=ctx.person.name or "-",
            user=ctx.person.telegram_id,
            unit=data["unit_label"],
            compound=compound.name if compound else "",
            role=translate(target.locale, f"role-{data['role']}"),
        )
        ctx.send(
            target.chat_id,
            text,
            _decision_keyboard(target.locale, residency.id),
            ref=f"residency:{residency.id}",
        )
    ctx.say(
        "onboarding-request-sent" if targets else "onboarding-request-sent-no-staff",
        unit=data["unit_label"],
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
    residency = await ctx.session.scalar(
        select(Residency)
        .where(Residency.id == press.residency_id)
        .options(selectinload(Residency.unit), selectinload(Residency.person))
        .with_for_update()
    )
    if residency is None:
        ctx.toast(ctx.t("common-button-invalid"), alert=True)
        return
    if not ctx.actor.is_staff(residency.compound_id):
        ctx.toast(ctx.t("common-not-allowed"), alert=True)
        return
    if residency.status is not ResidencyStatus.PENDING:
        decider = (
            await ctx.session.get(Person, residency.decided_by) if residency.decided_by else None
        )
        ctx.toast(
            ctx.t(
                "onboarding-already-decided",
                status=ctx.t(f"residency-{residency.status.value}"),
                by=decider.name if decider else "",
            ),
            alert=True,
        )
        return
    residency.status = ResidencyStatus.APPROVED if press.approve else ResidencyStatus.REJECTED
    residency.decided_by, residency.decided_at = ctx.person.id, ctx.services.clock()
    audit.record(
        ctx.session,
        action="residency.approved" if press.approve else "residency.rejected",
        actor_id=ctx.person.id,
        compound_id=residency.compound_id,
        target=f"residency:{residency.id}",
    )
    compound = await ctx.session.get(Compound, residency.compound_id)
    # The card lives in the staff chat: it speaks the compound's language, not the presser's.
    card_locale = compound.locale if compound else ctx.locale
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
        locale = locale_of(resident, compound, ctx.services.settings.default_locale)
        key = "onboarding-approved" if press.approve else "onboarding-rejected"
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
