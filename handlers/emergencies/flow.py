"""Emergencies: safety instructions at once, then an emergency case that alerts everyone.

The router (handlers/faq/flow.py) calls `report` for the intent `emergency.report`, in any chat and
even in the middle of another form. No form, no question, no refusal:

1. the person reads what to do right now, picked by what they wrote (fire, gas, a lift,
   water, electric shock, violence, someone collapsed; general advice otherwise), with the
   compound's 24-hour duty phone;
2. an emergency case is opened under the compound (unbound people and group chats included),
   its card goes to the staff chat and every manager is alerted; it is re-alerted every few
   minutes until a staff member takes it (handlers/cases/deadlines.py);
3. the person is told that staff and managers know, with the case number.

A second message from the same person soon after is added to their open emergency case
instead of opening another one. Without a known compound only the instructions are given.
"""

from __future__ import annotations

import re
from datetime import timedelta

from bot.engine.context import Context
from bot.engine.registry import Flows
from handlers.case_replies import publish
from handlers.cases import rules
from storage.models import Building, CaseKind, Compound, Unit, Urgency
from storage.repos.cases import recent_open_case

INTENT = "emergency.report"
CATEGORY = "emergency"
# Messages within this time of an open emergency case are taken to be about the same event.
FOLLOW_UP_WINDOW = timedelta(minutes=30)
# What the case keeps of the message: the card must still fit in one chat message.
TEXT_MAX = 1000

# What the message is about, in order of priority; every hazard that matches is explained.
HAZARDS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (name, re.compile(pattern, re.IGNORECASE))
    for name, pattern in (
        (
            "fire",
            r"着火|起火|失火|火灾|火警|火势|大火|火苗|明火|火越|冒烟|浓烟|烧起来|烧着"
            r"|\bfire\b|smoke|burning|flames?\b",
        ),
        ("gas", r"燃气|煤气|天然气|液化气|漏气|\bgas\b"),
        (
            "lift",
            r"(困|卡|关)在?.{0,4}电梯|电梯.{0,6}(困|卡住|关住|出不来)"
            r"|(stuck|trapped).{0,25}(lift|elevator)|(lift|elevator).{0,25}(stuck|trapped)",
        ),
        (
            "flood",
            r"水淹|淹水|淹了|进水|漫水|水漫|爆管|水管爆|管道爆|发大水"
            r"|flood|burst pipe|pipe (has )?burst|water everywhere",
        ),
        ("shock", r"触电|电击|被电到|electric shock|electrocut|got shocked"),
        (
            "violence",
            r"打人|打架|斗殴|持刀|拿刀|砍人|抢劫|入室|闯入|小偷|威胁|家暴|暴力"
            r"|\bfight|(?<!heart )attack|knife|\bgun\b|robbery|robbed|break-?in|broke in|burglar"
            r"|intruder|assault|violen|threaten",
        ),
        (
            "medical",
            r"晕倒|昏倒|昏迷|倒地|不省人事|心脏病|呼吸困难|没有?呼吸|抽搐|大出血|流血|受伤|摔倒"
            r"|急救|救护车|collaps|unconscious|faint|heart attack|not breathing|can'?t breathe"
            r"|bleeding|injur|seizure|ambulance",
        ),
    )
)
BUILDING = re.compile(
    r"(\d{1,3})\s*(?:号楼|栋|幢)|(?<![a-z])(?:building|bldg\.?|block)\s*(\d{1,3})\b", re.IGNORECASE
)


def hazards_in(text: str) -> list[str]:
    """The hazards a message speaks of, most pressing first; empty when none is recognised."""
    return [name for name, pattern in HAZARDS if pattern.search(text)]


def building_in(text: str) -> str | None:
    """A building number the message names ("3号楼", "building 3"), if any."""
    found = BUILDING.search(text)
    return (found.group(1) or found.group(2)) if found else None


def duty_phone(compound: Compound | None, locale: str) -> str | None:
    """The compound's 24-hour duty phone from its knowledge-base values, when it has one."""
    if compound is None:
        return None
    value = ((compound.settings or {}).get("kb") or {}).get("duty_phone")
    if isinstance(value, dict):
        value = value.get(locale) or next(iter(value.values()), None)
    return str(value) if value else None


async def report(ctx: Context) -> None:
    """Sends the safety instructions first, then opens (or adds to) an emergency case and
    tells the person that staff and managers have been alerted, with its number."""
    text = " ".join((ctx.event.text or "").split())[:TEXT_MAX]
    ctx.reply(instructions(ctx, text))
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
    unit = _unit(ctx, compound)
    home_building, named = await _building_of(ctx, unit), building_in(text)
    if named and home_building != named:
        # "3号楼着火了" from someone living in building 1: the emergency is over there.
        unit, home_building = None, None
    building = home_building or named
    draft = rules.Draft(
        kind=CaseKind.EMERGENCY,
        category=CATEGORY,
        description=text,
        urgency=Urgency.EMERGENCY,
        unit_id=unit.id if unit is not None else None,
        building=building,
    )
    change = await rules.open_case(
        ctx.session, compound=compound, resident=ctx.person, draft=draft, now=now
    )
    await publish(ctx, change)
    ctx.say("emergency-alerted", number=change.case.number)


def instructions(ctx: Context, text: str) -> str:
    """What to do right now, in the person's language, with the duty phone when known."""
    found = hazards_in(text) or ["general"]
    parts = [ctx.t("emergency-title"), *(ctx.t(f"emergency-advice-{name}") for name in found)]
    phone = duty_phone(ctx.compound, ctx.locale)
    if phone:
        parts.append(ctx.t("emergency-duty-phone", phone=phone))
    return "\n\n".join(part.strip() for part in parts)


def _unit(ctx: Context, compound: Compound) -> Unit | None:
    """The person's home in this compound, taken as the place only in a private chat: a
    message in a group may be about anywhere."""
    if not ctx.event.is_private:
        return None
    homes = [r.unit for r in ctx.actor.residencies if r.compound_id == compound.id]
    return homes[0] if homes else None


async def _building_of(ctx: Context, unit: Unit | None) -> str | None:
    if unit is None:
        return None
    building = await ctx.session.get(Building, unit.building_id)
    return building.name if building is not None else None


def register(flows: Flows) -> None:
    flows.intent(INTENT, report)
