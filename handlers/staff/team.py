"""Managers set up their team: invite staff, issue unit invite codes (chats: `chats.py`)."""

from __future__ import annotations

from bot.engine.context import Context
from bot.engine.registry import Audience, Flows
from bot.engine.replies import Button, keyboard
from storage.models import KNOWN_SKILLS, Compound, ResidencyRole, StaffRole
from storage.repos import audit
from storage.repos.compounds import (
    compound_by_code,
    compound_codes,
    compound_ids,
    unit_by_label,
)
from storage.repos.invites import create_invite


async def managed_compound(ctx: Context, code: str | None) -> Compound | None:
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


async def add_staff(ctx: Context) -> None:
    """`/addstaff [manager] [skill ...]`: a one-time link that makes its opener staff."""
    words = ctx.event.args.lower().split()
    role = StaffRole.MANAGER if "manager" in words else StaffRole.STAFF
    skills = [w for w in words if w in KNOWN_SKILLS]
    unknown = [w for w in words if w not in KNOWN_SKILLS and w not in ("manager", "staff")]
    if unknown:
        ctx.say("staff-unknown-skill", words=" ".join(unknown), skills=" ".join(KNOWN_SKILLS))
        return
    compound = await managed_compound(ctx, None)
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
    flows.command("addstaff", add_staff, private_only=True, audience=Audience.MANAGERS)
    flows.command("invite", invite_resident, private_only=True, audience=Audience.STAFF)
