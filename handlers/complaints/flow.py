"""Complaints: noise, parking, pets and the like, optionally anonymous to staff, and for
disputes between neighbours optionally mediated by a manager.

```mermaid
stateDiagram-v2
    [*] --> choosing_category: /complain or the menu
    [*] --> choosing_category: free text the router calls a complaint (kind guessed from it)
    choosing_category --> describing_problem
    describing_problem --> adding_photos
    adding_photos --> adding_photos: a photo, at most four
    adding_photos --> choosing_anonymity
    choosing_anonymity --> choosing_mediation: corridor, noise, other, pets, renovation
    choosing_anonymity --> confirming: otherwise
    choosing_mediation --> confirming
    confirming --> choosing_category: edit a field, then back to confirming
    confirming --> [*]: submit, case opened with its number and response time
```
Typed words at the category question are the description; the kind they point at ("半夜装修
噪音" is noise) is offered to confirm, else the list is shown.
Anonymous: staff see the case without the resident's name or unit; managers see who filed it;
replies still reach the resident. Mediation: a manager is told at once and takes part; the
agreed outcome is recorded when the case is resolved. `/cancel` leaves at any step.
"""

from __future__ import annotations

from bot.engine.context import Context
from bot.engine.registry import Flows
from handlers.cases.categories import MEDIATION_CATEGORIES, guess_complaint_category
from handlers.cases.rules import Draft as CaseDraft
from handlers.complaints.form import (
    CHOOSING_ANONYMITY,
    CHOOSING_MEDIATION,
    FLOW,
    INTAKE,
    ComplaintDraft,
    ReviewChoice,
    ask_anonymity,
    ask_mediation,
    yes_no,
)
from handlers.forms import Choice, Form, Step, flag
from handlers.intake.checks import filing_compound, opening_words
from knowledge.intent_ids import Intent
from storage.models import CaseKind


async def start(ctx: Context) -> None:
    """/complain and the menu: asks what the complaint is about."""
    compound_id = await INTAKE.compound_id(ctx)
    if compound_id is not None:
        await FORM.start(ctx, ComplaintDraft(compound_id=compound_id))


async def file_from_text(ctx: Context) -> None:
    """A message the router calls a complaint: the form starts with those words as the
    description and asks only to confirm the kind guessed from them; words that point at no
    kind are offered as the description instead, so the resident need not type them again."""
    compound_id = await INTAKE.compound_id(ctx)
    if compound_id is None:
        return
    draft = ComplaintDraft(compound_id=compound_id)
    text = opening_words(ctx)
    guess = guess_complaint_category(text) if text else None
    if guess:
        draft.description, draft.guess = text, guess
    else:
        draft.earlier_text = text
    await FORM.start(ctx, draft)


async def choosing_category(ctx: Context, draft: ComplaintDraft) -> bool:
    """Typed words instead of a button: they describe the complaint; its kind is guessed."""
    if not await INTAKE.describing_problem(ctx, draft):
        return False
    draft.guess = guess_complaint_category(draft.description or "")
    return True


async def take_anonymity(ctx: Context, draft: ComplaintDraft, anonymous: bool) -> bool:
    draft.anonymous = anonymous
    ctx.edit(ctx.t("complaint-field-anonymous", anonymous=yes_no(anonymous)))
    return True


async def take_mediation(ctx: Context, draft: ComplaintDraft, requested: bool) -> bool:
    draft.mediation = requested
    ctx.edit(ctx.t("complaint-field-mediation", requested=yes_no(requested)))
    return True


async def take_review(ctx: Context, draft: ComplaintDraft, choice: ReviewChoice) -> bool:
    """Submit, or clear one field and ask for it again."""
    if choice is ReviewChoice.SUBMIT:
        await _submit(ctx, draft)
        return False
    INTAKE.edit(ctx, draft, choice)
    return True


def _case_draft(ctx: Context, draft: ComplaintDraft) -> CaseDraft | None:
    """The complaint as a case draft, or None when it is incomplete. The draft's model
    already checked each field."""
    if not (draft.category and draft.description):
        return None
    units = sorted(ctx.actor.unit_ids(draft.compound_id))
    return CaseDraft(
        kind=CaseKind.COMPLAINT,
        category=draft.category,
        description=draft.description,
        # The home tells staff where the trouble is heard; with several homes it is unclear.
        unit_id=units[0] if len(units) == 1 else None,
        photos=tuple(draft.photos),
        anonymous=bool(draft.anonymous),
        mediation=draft.offers_mediation and bool(draft.mediation),
    )


async def _submit(ctx: Context, draft: ComplaintDraft) -> None:
    """Opens the case and tells the resident its number, when staff will respond, and what
    anonymity or mediation means for it."""
    case = _case_draft(ctx, draft)
    compound = await filing_compound(ctx, draft.compound_id, case)
    if case is None or compound is None:
        return
    opened = await INTAKE.file(ctx, compound, draft, case)
    if opened.anonymous:
        ctx.say("complaint-created-anonymous")
    if opened.mediation:
        ctx.say("complaint-created-mediation")


FORM: Form[ComplaintDraft] = Form(
    flow=FLOW,
    model=ComplaintDraft,
    title="drafts-flow-complaint",
    restart=start,
    entries=(
        "/complain or the menu",
        "free text the router calls a complaint (kind guessed from it)",
    ),
    steps=(
        INTAKE.category_step(text=choosing_category),
        INTAKE.description_step(),
        INTAKE.photos_step(),
        Step(
            CHOOSING_ANONYMITY,
            needed=lambda d: d.anonymous is None,
            ask=ask_anonymity,
            choices=(Choice("anonymous", flag, take_anonymity),),
        ),
        Step(
            CHOOSING_MEDIATION,
            needed=lambda d: d.offers_mediation and d.mediation is None,
            ask=ask_mediation,
            choices=(Choice("mediation", flag, take_mediation),),
            when=", ".join(sorted(MEDIATION_CATEGORIES)),
        ),
        INTAKE.confirming_step(ReviewChoice, take_review),
    ),
)


def register(flows: Flows) -> None:
    flows.command("complain", start, private_only=True, begins=True)
    flows.draft(FLOW)
    flows.intent(Intent.COMPLAINT, file_from_text)
    FORM.register(flows)
