"""Emergencies: safety instructions at once, then an emergency case that alerts everyone.

The router (handlers/faq/flow.py) hands `report` its decision for the intent
`emergency.report`, in any chat and even in the middle of another form. No form, no question,
no refusal:

1. the person reads what to do right now for each hazard the router found, most pressing
   first (fire, smoke, gas, someone trapped, water, electric shock, violence, someone
   collapsed; general advice otherwise), with the compound's 24-hour duty phone;
2. an emergency case is opened under the compound (unbound people and group chats included)
   where the emergency is: the common place or building the message names ("楼道", "3号楼",
   "the garage"), otherwise the sender's home (in a private chat only); its card goes to the
   staff chat and every manager is alerted; it is re-alerted every few minutes until a staff
   member takes it (handlers/cases/deadlines.py);
3. the person is told that staff and managers know, with the case number.

A second message from the same person soon after is added to their open emergency case
instead of opening another one. Without a known compound only the instructions are given.
"""

from __future__ import annotations

from datetime import timedelta

from bot.engine.context import Context
from bot.engine.registry import Flows
from bot.i18n import translate
from handlers.case_replies import publish
from handlers.cases import rules
from handlers.emergencies.advice import safety_advice
from knowledge.intent_ids import Intent
from knowledge.router import Decision
from storage.models import Building, CaseKind, Compound, Unit, Urgency
from storage.repos.cases import recent_open_case

CATEGORY = "emergency"
# Messages within this time of an open emergency case are taken to be about the same event.
FOLLOW_UP_WINDOW = timedelta(minutes=30)
# What the case keeps of the message: the card must still fit in one chat message.
TEXT_MAX = 1000


def duty_phone(compound: Compound | None, locale: str) -> str | None:
    """The compound's 24-hour duty phone from its knowledge-base values, when it has one."""
    if compound is None:
        return None
    value = ((compound.settings or {}).get("kb") or {}).get("duty_phone")
    if isinstance(value, dict):
        value = value.get(locale) or next(iter(value.values()), None)
    return str(value) if value else None


async def report(ctx: Context, decision: Decision) -> None:
    """Sends the safety instructions first, then opens (or adds to) an emergency case and
    tells the person that staff and managers have been alerted, with its number."""
    text = " ".join((ctx.event.text or "").split())[:TEXT_MAX]
    ctx.reply_urgently(instructions(ctx, decision.hazards))
    compound = ctx.compound
    if compound is None:
        ctx.say("emergency-no-compound")
        return
    now = ctx.services.clock()
    recent = await recent_open_case(
        ctx.session,
        compound_id=compound.id,
        resident_id=ctx.person.id,
        kind=CaseKind.EMERGENCY,
        since=now - FOLLOW_UP_WINDOW,
    )
    if recent is not None:
        await publish(ctx, rules.add_detail(ctx.session, recent, ctx.actor, now, text=text))
        ctx.say("emergency-updated", number=recent.number)
        return
    draft = await _draft(ctx, compound, decision, text)
    change = await rules.open_case(
        ctx.session, compound=compound, resident=ctx.person, draft=draft, now=now
    )
    await publish(ctx, change)
    ctx.say("emergency-alerted", number=change.case.number)


def instructions(ctx: Context, hazards: tuple[str, ...]) -> str:
    """What to do right now, in the person's language, with the duty phone when known."""
    parts = safety_advice(ctx.t, hazards)
    phone = duty_phone(ctx.compound, ctx.locale)
    if phone:
        parts.append(ctx.t("emergency-duty-phone", phone=phone))
    return "\n\n".join(part.strip() for part in parts)


async def _draft(ctx: Context, compound: Compound, decision: Decision, text: str) -> rules.Draft:
    """The emergency case, placed where the emergency is: the place or building the message
    names is a common area (staff read the place in the compound's language); only when it
    names none is it the sender's home."""
    draft = rules.Draft(
        kind=CaseKind.EMERGENCY,
        category=CATEGORY,
        description=text,
        urgency=Urgency.EMERGENCY,
    )
    if decision.place or decision.building:
        # "3号楼电梯里有人被困" from someone living in building 1: the emergency is over there.
        draft.building = decision.building
        if decision.place:
            draft.place = translate(compound.locale, f"emergency-place-{decision.place}")
        return draft
    unit = _unit(ctx, compound)
    if unit is not None:
        draft.unit_id, draft.building = unit.id, await _building_of(ctx, unit)
    return draft


def _unit(ctx: Context, compound: Compound) -> Unit | None:
    """The person's home in this compound, taken as the place only in a private chat: a
    message in a group may be about anywhere."""
    if not ctx.event.is_private:
        return None
    homes = [r.unit for r in ctx.actor.residencies if r.compound_id == compound.id]
    return homes[0] if homes else None


async def _building_of(ctx: Context, unit: Unit) -> str | None:
    building = await ctx.session.get(Building, unit.building_id)
    return building.name if building is not None else None


def register(flows: Flows) -> None:
    flows.routed_intent(Intent.EMERGENCY, report)
