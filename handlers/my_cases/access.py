"""Which case a resident's press may touch. Button data can be forged, so every press names a
case id that is looked up and checked against who pressed, before anything is shown or done."""

from __future__ import annotations

from bot.engine.context import Context
from handlers.case_replies import refuse
from handlers.cases.rules import CaseRefused
from storage.models import Case
from storage.repos.cases import follower_ids, load_case


async def own_case(ctx: Context, case_id: int, *, lock: bool = False) -> Case | None:
    """The case if the presser filed it; otherwise None, after saying why (no case details)."""
    case = await load_case(ctx.session, case_id, lock=lock)
    if case is None:
        refuse(ctx, CaseRefused("case-unknown"))
        return None
    if case.resident_id != ctx.person.id:
        refuse(ctx, CaseRefused("case-refused-not-yours"))
        return None
    return case


async def visible_case(ctx: Context, case_id: int) -> Case | None:
    """The case if the presser filed it or follows it; otherwise None, after saying why."""
    case = await load_case(ctx.session, case_id)
    if case is None:
        refuse(ctx, CaseRefused("case-unknown"))
        return None
    if case.resident_id == ctx.person.id:
        return case
    if ctx.person.telegram_id in await follower_ids(ctx.session, case.id):
        return case
    refuse(ctx, CaseRefused("case-refused-not-yours"))
    return None
