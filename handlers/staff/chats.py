"""A manager makes a group the compound's staff chat (`/staffchat`) or its residents' group
(`/residentgroup`).

A chat bound to another compound is refused: only that compound's managers may move it. A
change that would redirect where staff cards go (another chat replacing the staff chat, or
the staff chat becoming a residents' group) is asked about first, with buttons only a manager
of the compound may press.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.engine.buttons import ButtonData
from bot.engine.context import Context
from bot.engine.registry import Audience, Flows
from bot.engine.replies import keyboard
from handlers.staff.team import managed_compound
from storage.models import ChatBinding, ChatPurpose, Compound
from storage.repos import audit
from storage.repos.compounds import bind_chat, chat_binding, compound_by_id, staff_chat


@dataclass(frozen=True, slots=True)
class BindPress(ButtonData):
    """ "Yes, bind this chat" (`confirm`) or "keep things as they are", for one compound."""

    prefix = "cb"
    compound_id: int
    purpose: ChatPurpose
    confirm: bool


async def bind_staff_chat(ctx: Context) -> None:
    """`/staffchat [CODE]` in a group, by a manager: this group becomes the staff chat."""
    await _bind_command(ctx, ChatPurpose.STAFF)


async def bind_resident_group(ctx: Context) -> None:
    """`/residentgroup [CODE]` in a group, by a manager: the compound's residents' group."""
    await _bind_command(ctx, ChatPurpose.RESIDENTS)


async def _bind_command(ctx: Context, purpose: ChatPurpose) -> None:
    if ctx.event.is_private:
        ctx.say("staff-chat-in-group")
        return
    compound = await managed_compound(ctx, ctx.event.args.strip() or None)
    if compound is None:
        return
    current = await chat_binding(ctx.session, ctx.chat_id)
    if _bound_elsewhere(ctx, current, compound):
        ctx.say("staff-chat-other-compound")
        return
    question = await _redirects(ctx, current, compound, purpose)
    if question is None:
        await _bind(ctx, compound, purpose)
        return
    yes = ctx.button(ctx.t("staff-chat-yes"), BindPress(compound.id, purpose, True))
    no = ctx.button(ctx.t("staff-chat-no"), BindPress(compound.id, purpose, False))
    ctx.reply(question, keyboard([yes], [no]))


def _bound_elsewhere(ctx: Context, current: ChatBinding | None, compound: Compound) -> bool:
    """The chat belongs to another compound that this manager does not run."""
    return (
        current is not None
        and current.compound_id != compound.id
        and not ctx.actor.is_manager(current.compound_id)
    )


async def _redirects(
    ctx: Context, current: ChatBinding | None, compound: Compound, purpose: ChatPurpose
) -> str | None:
    """What the binding would change that staff must not lose track of, as the question to
    confirm it; None when it changes nothing of the kind."""
    if (
        current is not None
        and current.purpose is ChatPurpose.STAFF
        and (purpose is not ChatPurpose.STAFF or current.compound_id != compound.id)
    ):
        return ctx.t("staff-chat-confirm-repurpose", compound=compound.name)
    if purpose is ChatPurpose.STAFF:
        previous = await staff_chat(ctx.session, compound.id)
        if previous is not None and previous.chat_id != ctx.chat_id:
            return ctx.t(
                "staff-chat-confirm-replace",
                compound=compound.name,
                previous=previous.title or str(previous.chat_id),
            )
    return None


async def on_bind_press(ctx: Context, press: BindPress) -> None:
    """The answer to the question: checked again, since anyone in the group may press."""
    compound = await compound_by_id(ctx.session, press.compound_id)
    if ctx.event.is_private or compound is None or not ctx.actor.is_manager(compound.id):
        ctx.toast(ctx.t("common-not-allowed"), alert=True)
        return
    current = await chat_binding(ctx.session, ctx.chat_id)
    if _bound_elsewhere(ctx, current, compound):
        ctx.toast(ctx.t("staff-chat-other-compound"), alert=True)
        return
    if not press.confirm:
        ctx.edit(ctx.t("staff-chat-kept"))
        return
    ctx.edit(ctx.t("staff-chat-confirmed"))
    await _bind(ctx, compound, press.purpose)


async def _bind(ctx: Context, compound: Compound, purpose: ChatPurpose) -> None:
    await bind_chat(
        ctx.session,
        compound_id=compound.id,
        chat_id=ctx.chat_id,
        purpose=purpose,
        title=ctx.event.chat.title,
        is_forum=ctx.event.chat.is_forum,
        bound_by=ctx.person.id,
    )
    staff = purpose is ChatPurpose.STAFF
    audit.record(
        ctx.session,
        action="chat.bound_staff" if staff else "chat.bound_residents",
        actor_id=ctx.person.id,
        compound_id=compound.id,
        target=f"chat:{ctx.chat_id}",
    )
    ctx.say("staff-chat-bound" if staff else "staff-group-bound", compound=compound.name)


def register(flows: Flows) -> None:
    flows.command("staffchat", bind_staff_chat, audience=Audience.MANAGERS)
    flows.command("residentgroup", bind_resident_group, audience=Audience.MANAGERS)
    flows.press(BindPress, on_bind_press)
