"""Managers set up their team: bind the staff chat, invite staff, issue unit invite codes."""

from __future__ import annotations

from bot.engine.context import Context
from bot.engine.registry import Audience, Flows
from bot.engine.replies import Button, keyboard
from storage.models import KNOWN_SKILLS, ChatPurpose, Compound, ResidencyRole, StaffRole
from storage.repos import audit
from storage.repos.compounds import (
    bind_chat,
    compound_by_code,
    compound_codes,
    compound_ids,
    unit_by_label,
)
from storage.repos.invites import create_invite


async def _managed_compound(ctx: Context, code: str | None) -> Compound | None:
    """The compound the command is about: named by code, or the only one the manager runs.
    Replies with the reason and returns None when it cannot tell or the user may not."""
    if code:
        compound = await compound_by_code(ctx.session, code)
        if compound is None:
            ctx.say("staff-unknown-compound", code=code[:32])
            return None
    else:
        managed = [c for c in ctx.actor.compound_ids() if ctx.actor.is_manager(c)]
        if ctx.actor.global_manager:
            managed = await compound_ids(ctx.session)
        if not managed:
            ctx.say("common-not-allowed")
            return None
        if len(managed) > 1:
            codes = await compound_codes(ctx.session, managed)
            ctx.say("staff-which-compound", codes=", ".join(codes))
            return None
        compound = await ctx.session.get(Compound, managed[0])
    if compound is None or not ctx.actor.is_manager(compound.id):
        ctx.say("common-not-allowed")
        return None
    return compound


async def bind_staff_chat(ctx: Context) -> None:
    """`/staffchat [CODE]` in a group, by a manager: this group becomes the staff chat."""
    if ctx.event.is_private:
        ctx.say("staff-chat-in-group")
        return
    compound = await _managed_compound(ctx, ctx.event.args.strip() or None)
    if compound is None:
        return
    await bind_chat(
        ctx.session,
        compound_id=compound.id,
        chat_id=ctx.chat_id,
        purpose=ChatPurpose.STAFF,
        title=ctx.event.chat.title,
        is_forum=ctx.event.chat.is_forum,
        bound_by=ctx.person.id,
    )
    audit.record(
        ctx.session,
        action="chat.bound_staff",
        actor_id=ctx.person.id,
        compound_id=compound.id,
        target=f"chat:{ctx.chat_id}",
    )
    ctx.say("staff-chat-bound", compound=compound.name)


async def bind_resident_group(ctx: Context) -> None:
    """`/residentgroup [CODE]` in a group, by a manager: the compound's residents' group."""
    if ctx.event.is_private:
        ctx.say("staff-chat-in-group")
        return
    compound = await _managed_compound(ctx, ctx.event.args.strip() or None)
    if compound is None:
        return
    await bind_chat(
        ctx.session,
        compound_id=compound.id,
        chat_id=ctx.chat_id,
        purpose=ChatPurpose.RESIDENTS,
        title=ctx.event.chat.title,
        is_forum=ctx.event.chat.is_forum,
        bound_by=ctx.person.id,
    )
    audit.record(
        ctx.session,
        action="chat.bound_residents",
        actor_id=ctx.person.id,
        compound_id=compound.id,
        target=f"chat:{ctx.chat_id}",
    )
    ctx.say("staff-group-bound", compound=compound.name)


async def add_staff(ctx: Context) -> None:
    """`/addstaff [manager] [skill ...]`: a one-time link that makes its opener staff."""
    words = ctx.event.args.lower().split()
    role = StaffRole.MANAGER if "manager" in words else StaffRole.STAFF
    skills = [w for w in words if w in KNOWN_SKILLS]
    unknown = [w for w in words if w not in KNOWN_SKILLS and w not in ("manager", "staff")]
    if unknown:
        ctx.say("staff-unknown-skill", words=" ".join(unknown), skills=" ".join(KNOWN_SKILLS))
        return
    compound = await _managed_compound(ctx, None)
    if compound is None:
        return
    invite = await create_invite(
        ctx.session,
        compound_id=compound.id,
        role=role,
        skills=skills,
        created_by=ctx.person.id,
        now=ctx.services.clock(),
    )
    audit.record(
        ctx.session,
        action="staff.invited",
        actor_id=ctx.person.id,
        compound_id=compound.id,
        target=f"invite:{invite.id}",
        role=role.value,
        skills=skills,
    )
    link = ctx.services.deep_link(f"inv-{invite.code}")
    ctx.say(
        "staff-invite-created",
        keyboard([Button(ctx.t("staff-invite-open"), url=link)]),
        code=invite.code,
        link=link,
        role=ctx.t(f"role-{role.value}"),
        skills=", ".join(skills) or "-",
    )


async def invite_resident(ctx: Context) -> None:
    """`/invite UNIT [owner|tenant|family]` by staff: a one-time code for that unit."""
    words = ctx.event.args.split()
    if not words:
        ctx.say("staff-invite-usage")
        return
    role = ResidencyRole.OWNER
    if len(words) > 1:
        try:
            role = ResidencyRole(words[1].lower())
        except ValueError:
            ctx.say("staff-invite-usage")
            return
    compound_ids = [c for c in ctx.actor.compound_ids() if ctx.actor.is_staff(c)]
    if ctx.actor.global_manager and not compound_ids and ctx.compound is not None:
        compound_ids = [ctx.compound.id]
    if len(compound_ids) != 1:
        ctx.say("common-not-allowed" if not compound_ids else "staff-invite-usage")
        return
    unit = await unit_by_label(ctx.session, compound_ids[0], words[0])
    if unit is None:
        ctx.say("staff-unknown-unit", label=words[0][:32])
        return
    invite = await create_invite(
        ctx.session,
        compound_id=compound_ids[0],
        unit_id=unit.id,
        role=role,
        created_by=ctx.person.id,
        now=ctx.services.clock(),
    )
    audit.record(
        ctx.session,
        action="residency.invited",
        actor_id=ctx.person.id,
        compound_id=compound_ids[0],
        target=f"unit:{unit.id}",
        role=role.value,
    )
    ctx.say(
        "staff-resident-invite",
        code=invite.code,
        unit=unit.label,
        link=ctx.services.deep_link(f"inv-{invite.code}"),
        role=ctx.t(f"role-{role.value}"),
    )


def register(flows: Flows) -> None:
    flows.command("staffchat", bind_staff_chat, audience=Audience.MANAGERS)
    flows.command("residentgroup", bind_resident_group, audience=Audience.MANAGERS)
    flows.command("addstaff", add_staff, private_only=True, audience=Audience.MANAGERS)
    flows.command("invite", invite_resident, private_only=True, audience=Audience.STAFF)
