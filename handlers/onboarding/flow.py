"""Onboarding: greeting, binding to a unit by invite code or by a request staff approve.

```mermaid
stateDiagram-v2
    [*] --> greeting: /start
    greeting --> entering_code: "I have an invite code"
    greeting --> request: "Request to link my home" (handlers/onboarding/binding.py)
    entering_code --> [*]: code redeemed
    [*] --> [*]: /start CODE (deep link) redeems at once
```
"""

from __future__ import annotations

import dataclasses
import enum
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.engine.buttons import ButtonData
from bot.engine.context import Context
from bot.engine.registry import Flows
from bot.engine.replies import Keyboard, keyboard
from handlers.menu import LanguagePress, menu_keyboard
from handlers.offers import household_offers
from handlers.onboarding.binding import begin_request
from storage.models import (
    Compound,
)
from storage.repos import audit
from storage.repos.invites import Redeemed, invite_lockout, redeem_invite
from storage.repos.residencies import residency_of

FLOW = "onboarding"
ENTERING_CODE = "entering_code"


class StartChoice(enum.StrEnum):
    CODE = "code"
    REQUEST = "request"


@dataclass(frozen=True, slots=True)
class StartPress(ButtonData):
    prefix = "ob"
    choice: StartChoice


async def start(ctx: Context) -> None:
    """Greets in the user's language; `/start CODE` redeems an invite, `/start fees` (a deep
    link from a group) continues into that flow in private, and `/start events-12` runs
    `/events 12` (the sign-up link under an event's post in the group)."""
    payload = ctx.event.deep_link
    # "start" is the payload of the plain "open a private chat" link from a group.
    if payload and payload.lower() != "start":
        # "fees" runs /fees; "events-12" runs /events 12 (an invite code has no hyphen).
        name, _, arg = payload.lower().partition("-")
        command = ctx.services.flows.commands.get(name)
        if command is not None:
            ctx.event = dataclasses.replace(ctx.event, command=name, args=arg)
            await command.handler(ctx)
            return
        await _redeem(ctx, payload)
        return
    if not ctx.event.is_private:
        ctx.say("onboarding-group-hello", ctx.private_chat_keyboard("start"))
        return
    if ctx.actor.is_resident() or ctx.actor.staff or ctx.actor.global_manager:
        ctx.say("onboarding-welcome-back", menu_keyboard(ctx), name=_first_name(ctx))
        return
    ctx.say(
        "onboarding-welcome", _binding_keyboard(ctx), name=_first_name(ctx), promise=_promise(ctx)
    )


def _promise(ctx: Context) -> str:
    """What linking a home gives, naming only requests a registered flow can do."""
    offers = household_offers(ctx)
    return ctx.t("onboarding-promise", offers=offers) if offers else ""


async def offer_binding(ctx: Context) -> None:
    """Explains the two ways to link a home."""
    if not ctx.event.is_private:
        ctx.say("common-private-only", ctx.private_chat_keyboard("start"))
        return
    ctx.say("onboarding-bind-how", _binding_keyboard(ctx))


def _binding_keyboard(ctx: Context) -> Keyboard:
    return keyboard(
        [ctx.button(ctx.t("onboarding-have-code"), StartPress(StartChoice.CODE))],
        [ctx.button(ctx.t("onboarding-request"), StartPress(StartChoice.REQUEST))],
        [ctx.button(ctx.t("common-menu-lang"), _language_press(ctx))],
    )


def _request_keyboard(ctx: Context) -> Keyboard:
    return keyboard([ctx.button(ctx.t("onboarding-request"), StartPress(StartChoice.REQUEST))])


def _language_press(ctx: Context) -> ButtonData:
    return LanguagePress("en" if ctx.locale == "zh" else "zh")


def _local(ctx: Context, moment: datetime | None) -> str:
    """A moment as the person reads it: in their compound's time zone (else TIMEZONE)."""
    if moment is None:
        return "—"
    zone = ZoneInfo(ctx.compound.timezone if ctx.compound else ctx.services.settings.timezone)
    return moment.astimezone(zone).strftime("%m-%d %H:%M")


def _first_name(ctx: Context) -> str:
    return ctx.person.name or ctx.t("onboarding-default-name")


async def on_start_choice(ctx: Context, press: StartPress) -> None:
    if not ctx.event.is_private:
        ctx.toast(ctx.t("common-private-only"), alert=True)
        return
    if press.choice is StartChoice.CODE:
        locked_until = await invite_lockout(ctx.session, ctx.person.id, ctx.services.clock())
        if locked_until is not None:
            ctx.say("onboarding-code-locked", until=_local(ctx, locked_until))
            return
        ctx.conversation.begin(FLOW, ENTERING_CODE)
        ctx.say("onboarding-enter-code")
        return
    await begin_request(ctx)


async def entering_code(ctx: Context) -> None:
    """Takes the typed invite code; a wrong one can be typed again or left with /cancel."""
    text = (ctx.event.text or "").strip()
    if not text:
        ctx.say("onboarding-enter-code")
        return
    await _redeem(ctx, text)


async def _redeem(ctx: Context, code: str) -> None:
    if not ctx.event.is_private:
        ctx.say("common-private-only", ctx.private_chat_keyboard("start"))
        return
    result = await redeem_invite(
        ctx.session, code=code, person_id=ctx.person.id, now=ctx.services.clock()
    )
    invite = result.invite
    match result.outcome:
        case Redeemed.LOCKED_OUT:
            ctx.say("onboarding-code-locked", until=_local(ctx, result.locked_until))
        case Redeemed.UNKNOWN:
            if not ctx.conversation.active:
                ctx.conversation.begin(FLOW, ENTERING_CODE)
            ctx.say("onboarding-code-unknown")
            return
        case Redeemed.USED:
            # Not a dead end: the person can still ask staff to link the home.
            ctx.say("onboarding-code-used", _request_keyboard(ctx))
        case Redeemed.EXPIRED:
            ctx.say("onboarding-code-expired", _request_keyboard(ctx))
        case Redeemed.ALREADY:
            ctx.say("onboarding-code-already", menu_keyboard(ctx))
        case Redeemed.RESIDENT:
            assert invite is not None and invite.unit is not None and invite.unit_id is not None
            compound = await ctx.session.get(Compound, invite.compound_id)
            residency = await residency_of(ctx.session, ctx.person.id, invite.unit_id)
            if residency is not None:
                ctx.actor.residencies.append(residency)
            ctx.compound = compound
            audit.record(
                ctx.session,
                action="residency.invite_redeemed",
                actor_id=ctx.person.id,
                compound_id=invite.compound_id,
                target=f"unit:{invite.unit_id}",
                role=invite.role,
            )
            ctx.say(
                "onboarding-bound",
                menu_keyboard(ctx),
                unit=invite.unit.label,
                compound=compound.name if compound else "",
                role=ctx.t(f"role-{invite.role}"),
            )
        case Redeemed.STAFF:
            assert invite is not None
            compound = await ctx.session.get(Compound, invite.compound_id)
            audit.record(
                ctx.session,
                action="staff.invite_redeemed",
                actor_id=ctx.person.id,
                compound_id=invite.compound_id,
                target=f"person:{ctx.person.id}",
                role=invite.role,
            )
            ctx.say(
                "onboarding-staff-joined",
                compound=compound.name if compound else "",
                role=ctx.t(f"role-{invite.role}"),
            )
    if ctx.conversation.active:
        ctx.conversation.finish()


def register(flows: Flows) -> None:
    flows.command("start", start)
    flows.command("bind", offer_binding, hidden=True)
    flows.press(StartPress, on_start_choice)
    flows.step(FLOW, ENTERING_CODE, entering_code)
