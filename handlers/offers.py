"""What the bot offers is what it can do.

A request (fees, events, a repair…) is offered as a button under an answer, or promised by
/start and /help, only while its flow is registered: when the fees or events flow lands and
registers its intent or command, its buttons and promises come back by themselves; until then
nobody is sent to "this cannot be done here yet".

`/help` says what fits who asks: a resident hears what their linked home lets them do;
someone with no home what linking one would give and how; staff and managers about case
cards. Below that, every command the person may use (residents', plus staff or manager
commands by their role, from the registry's `Command.audience`), each with the description
the messenger's "/" menu shows (`command-<name>`).
"""

from __future__ import annotations

from bot.command_menu import EVERYONE, MANAGERS, STAFF, described_commands
from bot.engine.context import Context
from bot.engine.registry import Audience, Flows
from knowledge.intent_ids import Intent

# The command that starts each request's flow, for buttons and deep links.
REQUEST_COMMANDS = {
    Intent.REPAIR: "repair",
    Intent.FEES: "fees",
    Intent.COMPLAINT: "complain",
    Intent.EVENTS: "events",
    Intent.HANDOFF: "askstaff",
}
# What linking a home lets a resident do, in the order /start and /help promise it.
HOUSEHOLD_REQUESTS = (Intent.REPAIR, Intent.FEES, Intent.COMPLAINT, Intent.EVENTS)


def can_do(flows: Flows, intent: str) -> bool:
    """True when a registered flow answers `intent`: its routed intent or its command."""
    command = next((c for i, c in REQUEST_COMMANDS.items() if i == intent), None)
    return intent in flows.intents or (command is not None and command in flows.commands)


def household_offers(ctx: Context) -> str:
    """The requests a linked home gives access to, as one phrase ("报修、投诉建议"); empty
    when no such flow is registered."""
    names = [
        ctx.t(f"offer-{intent.replace('.', '-')}")
        for intent in HOUSEHOLD_REQUESTS
        if can_do(ctx.services.flows, intent)
    ]
    if len(names) <= 1:
        return "".join(names)
    return ctx.t("offer-list", first=ctx.t("offer-separator").join(names[:-1]), last=names[-1])


def audiences(ctx: Context) -> tuple[Audience, ...]:
    """Whose commands this person may use here: everyone's, staff's, managers'."""
    actor = ctx.actor
    if ctx.compound is None:
        return MANAGERS if actor.global_manager else EVERYONE
    if actor.is_manager(ctx.compound.id):
        return MANAGERS
    if actor.is_staff(ctx.compound.id):
        return STAFF
    return EVERYONE


def help_text(ctx: Context) -> str:
    """The whole /help reply in the person's language."""
    if ctx.compound is None:
        parts = [ctx.t("common-help-no-compound")]
    else:
        parts = [ctx.t("common-help", compound=ctx.compound.name)]
    parts.append(_who_line(ctx))
    lines = [
        f"/{name} — {text}"
        for name, text in described_commands(
            ctx.services.flows, ctx.locale, group=None, audiences=audiences(ctx)
        )
    ]
    parts.append("\n".join([ctx.t("help-commands"), *lines]))
    return "\n\n".join(part.strip() for part in parts if part.strip())


def _who_line(ctx: Context) -> str:
    """What fits who they are: a resident's home, a newcomer's way in, staff's case cards."""
    offers = household_offers(ctx)
    compound_id = ctx.compound.id if ctx.compound else None
    lines = []
    if compound_id is not None and ctx.actor.is_manager(compound_id):
        lines.append(ctx.t("help-manager"))
    elif compound_id is not None and ctx.actor.is_staff(compound_id):
        lines.append(ctx.t("help-staff"))
    if ctx.actor.is_resident():
        if offers:
            lines.append(ctx.t("help-resident", offers=offers))
    elif not ctx.actor.staff and not ctx.actor.global_manager:
        key = "help-newcomer" if offers else "help-newcomer-plain"
        lines.append(ctx.t(key, offers=offers) if offers else ctx.t(key))
    return "\n".join(lines)
