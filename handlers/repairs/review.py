"""The end of a repair report: following an existing case instead of a duplicate, editing a
field from the summary, and submitting."""

from __future__ import annotations

from bot.engine.context import Context
from handlers.cases.categories import REPAIR_CATEGORIES
from handlers.cases.rules import Draft
from handlers.intake.checks import DESCRIPTION_MAX, MAX_PHOTOS, PLACE_MAX, filing_compound
from handlers.repairs.buttons import DuplicatePress, ReviewPress
from handlers.repairs.form import (
    DECIDING_ON_DUPLICATE,
    FLOW,
    FORM,
    VISIT_WINDOWS,
    advance,
    offer_duplicates,
)
from handlers.widgets import at_step
from storage.models import CaseKind, Urgency
from storage.repos.cases import add_follower, load_case


async def on_duplicate(ctx: Context, press: DuplicatePress) -> None:
    """Follows the open case the resident chose (they hear of every change to it, and the
    form ends), or files a new report anyway."""
    data = ctx.conversation.data
    if not at_step(ctx, FLOW, DECIDING_ON_DUPLICATE):
        return
    offered = list(data.get("offered", []))
    if press.case_id is None:
        ctx.conversation.update(declined=[*data.get("declined", []), *offered])
        ctx.edit(ctx.t("repair-filing-anyway"))
        await advance(ctx)
        return
    case = await load_case(ctx.session, press.case_id) if press.case_id in offered else None
    if case is None:
        ctx.toast(ctx.t("common-button-invalid"), alert=True)
        return
    if not case.status.is_open:
        # It closed while the resident was deciding: there is nothing left to follow.
        ctx.conversation.update(declined=[*data.get("declined", []), case.id])
        ctx.say("repair-duplicate-closed", number=case.number)
        await advance(ctx)
        return
    ctx.conversation.finish()
    if case.resident_id == ctx.person.id:
        ctx.edit(ctx.t("repair-duplicate-own", number=case.number))
        return
    await add_follower(ctx.session, case.id, ctx.person.id)
    ctx.edit(
        ctx.t(
            "repair-following",
            number=case.number,
            status=ctx.t(f"case-status-{case.status.value}"),
        )
    )


async def on_review(ctx: Context, press: ReviewPress) -> None:
    """Submit, or clear one field and ask for it again."""
    if await FORM.reviewed(ctx, press):
        await _submit(ctx)


def _draft(ctx: Context) -> Draft | None:
    """The report as a case draft, or None when what was stored no longer holds (a unit
    unlinked meanwhile, a form saved by an older release)."""
    data = ctx.conversation.data
    unit_id = data.get("unit_id")
    photos = tuple(data.get("photos") or ())
    checks = (
        data.get("category") in REPAIR_CATEGORIES,
        0 < len(data.get("description") or "") <= DESCRIPTION_MAX,
        len(photos) <= MAX_PHOTOS,
        data.get("urgency") in {u.value for u in Urgency},
        unit_id is None or unit_id in ctx.actor.unit_ids(),
        unit_id is None or data.get("visit_window") in VISIT_WINDOWS,
        unit_id is not None
        or (data.get("building") and 0 < len(data.get("place") or "") <= PLACE_MAX),
    )
    if not all(checks):
        return None
    return Draft(
        kind=CaseKind.REPAIR,
        category=data["category"],
        description=data["description"],
        urgency=Urgency(data["urgency"]),
        unit_id=unit_id,
        building=None if unit_id is not None else data["building"],
        place=None if unit_id is not None else data["place"],
        photos=photos,
        visit_window=data.get("visit_window") if unit_id is not None else None,
    )


async def _submit(ctx: Context) -> None:
    """Opens the case and tells the resident its number and when staff will respond."""
    draft = _draft(ctx)
    compound = await filing_compound(ctx, draft)
    if draft is None or compound is None:
        return
    # Someone may have reported the same fault while this resident was typing.
    if draft.unit_id is None and await offer_duplicates(ctx):
        return
    await FORM.file(ctx, compound, draft)
