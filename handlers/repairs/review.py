"""The end of a repair report: following an existing case instead of a duplicate, editing a
field from the summary, and submitting."""

from __future__ import annotations

from bot.engine.context import Context
from handlers.cases.rules import Draft as CaseDraft
from handlers.faq.knowledge import router_for
from handlers.intake.checks import filing_compound
from handlers.repairs.form import INTAKE, RepairDraft, ReviewChoice, offer_duplicates
from storage.models import CaseKind
from storage.repos.cases import add_follower, load_case


async def take_duplicate(ctx: Context, draft: RepairDraft, case_id: int | None) -> bool:
    """Follows the open case the resident chose (they hear of every change to it, and the
    form ends), or files a new report anyway."""
    if case_id is None:
        draft.declined = [*draft.declined, *draft.offered]
        ctx.edit(ctx.t("repair-filing-anyway"))
        return True
    case = await load_case(ctx.session, case_id) if case_id in draft.offered else None
    if case is None:
        ctx.toast(ctx.t("common-button-invalid"), alert=True)
        return False
    if not case.status.is_open:
        # It closed while the resident was deciding: there is nothing left to follow.
        draft.declined = [*draft.declined, case.id]
        ctx.say("repair-duplicate-closed", number=case.number)
        return True
    ctx.conversation.finish()
    if case.resident_id == ctx.person.id:
        ctx.edit(ctx.t("repair-duplicate-own", number=case.number))
        return False
    await add_follower(ctx.session, case.id, ctx.person.id)
    ctx.edit(
        ctx.t(
            "repair-following",
            number=case.number,
            status=ctx.t(f"case-status-{case.status.value}"),
        )
    )
    return False


async def take_review(ctx: Context, draft: RepairDraft, choice: ReviewChoice) -> bool:
    """Submit, or clear one field and ask for it again."""
    if choice is ReviewChoice.SUBMIT:
        await _submit(ctx, draft)
        return False
    INTAKE.edit(ctx, draft, choice)
    return True


def _case_draft(ctx: Context, draft: RepairDraft) -> CaseDraft | None:
    """The report as a case draft, or None when it is incomplete or what it holds no longer
    holds (a unit unlinked meanwhile). The draft's model already checked each field."""
    unit_id = draft.unit_id
    at_home = unit_id is not None
    if not (draft.category and draft.description and draft.urgency):
        return None
    if at_home and (unit_id not in ctx.actor.unit_ids() or draft.visit_window is None):
        return None
    if not at_home and not (draft.building and draft.place):
        return None
    return CaseDraft(
        kind=CaseKind.REPAIR,
        category=draft.category,
        description=draft.description,
        urgency=draft.urgency,
        unit_id=unit_id,
        building=None if at_home else draft.building,
        place=None if at_home else draft.place,
        photos=tuple(draft.photos),
        visit_window=draft.visit_window.value if at_home and draft.visit_window else None,
        hazards=router_for(ctx).hazards(draft.description),
    )


async def _submit(ctx: Context, draft: RepairDraft) -> None:
    """Opens the case and tells the resident its number and when staff will respond."""
    case = _case_draft(ctx, draft)
    compound = await filing_compound(ctx, draft.compound_id, case)
    if case is None or compound is None:
        return
    # Someone may have reported the same fault while this resident was typing.
    if case.unit_id is None and await offer_duplicates(ctx, draft):
        return
    await INTAKE.file(ctx, compound, draft, case)
