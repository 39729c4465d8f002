"""Complaints: noise, parking, pets and the like, optionally anonymous to staff, and for
disputes between neighbours optionally mediated by a manager.

```mermaid
stateDiagram-v2
    [*] --> choosing_category: /complain or the menu
    [*] --> choosing_category: free text the router calls a complaint (kept, offered for reuse)
    choosing_category --> describing_problem
    describing_problem --> adding_photos
    adding_photos --> choosing_anonymity: done or skip (at most four photos)
    choosing_anonymity --> choosing_mediation: noise, pets, corridor, renovation, other
    choosing_anonymity --> confirming: other categories
    choosing_mediation --> confirming
    confirming --> choosing_category: edit a field, then back to confirming
    confirming --> [*]: submit, case opened with its number and response time
```
Anonymous: staff see the case without the resident's name or unit; managers see who filed it;
replies still reach the resident. Mediation: a manager is told at once and takes part; the
agreed outcome is recorded when the case is resolved. `/cancel` leaves at any step.
"""

from __future__ import annotations

from bot.engine.context import Context
from bot.engine.registry import Flows
from handlers.cases.categories import COMPLAINT_CATEGORIES
from handlers.cases.rules import Draft
from handlers.complaints.form import (
    CHOOSING_ANONYMITY,
    CHOOSING_MEDIATION,
    FLOW,
    FORM,
    AnonymityPress,
    MediationPress,
    ReviewPress,
    advance,
    offers_mediation,
)
from handlers.intake.checks import DESCRIPTION_MAX, MAX_PHOTOS, filing_compound, opening_words
from handlers.intake.form import CHOOSING_CATEGORY
from handlers.widgets import at_step
from storage.models import CaseKind


async def start(ctx: Context) -> None:
    """/complain and the menu: asks what the complaint is about."""
    if await FORM.begin(ctx):
        await advance(ctx)


async def file_from_text(ctx: Context) -> None:
    """A message the router calls a complaint: the form starts, and those words are offered
    as the description so the resident need not type them again."""
    if not await FORM.begin(ctx):
        return
    text = opening_words(ctx)
    if text:
        ctx.conversation.update(earlier_text=text)
    await advance(ctx)


async def on_anonymity(ctx: Context, press: AnonymityPress) -> None:
    if not at_step(ctx, FLOW, CHOOSING_ANONYMITY):
        return
    ctx.conversation.update(anonymous=press.anonymous)
    ctx.edit(ctx.t("complaint-field-anonymous", anonymous="yes" if press.anonymous else "no"))
    await advance(ctx)


async def on_mediation(ctx: Context, press: MediationPress) -> None:
    if not at_step(ctx, FLOW, CHOOSING_MEDIATION):
        return
    ctx.conversation.update(mediation=press.requested)
    ctx.edit(ctx.t("complaint-field-mediation", requested="yes" if press.requested else "no"))
    await advance(ctx)


async def on_review(ctx: Context, press: ReviewPress) -> None:
    """Submit, or clear one field and ask for it again."""
    if await FORM.reviewed(ctx, press):
        await _submit(ctx)


def _draft(ctx: Context) -> Draft | None:
    """The complaint as a case draft, or None when what was stored no longer holds."""
    data = ctx.conversation.data
    category, description = data.get("category"), data.get("description") or ""
    photos = tuple(data.get("photos") or ())
    if category not in COMPLAINT_CATEGORIES or not 0 < len(description) <= DESCRIPTION_MAX:
        return None
    if len(photos) > MAX_PHOTOS:
        return None
    units = sorted(ctx.actor.unit_ids(data.get("compound_id")))
    return Draft(
        kind=CaseKind.COMPLAINT,
        category=category,
        description=description,
        # The home tells staff where the trouble is heard; with several homes it is unclear.
        unit_id=units[0] if len(units) == 1 else None,
        photos=photos,
        anonymous=bool(data.get("anonymous")),
        mediation=offers_mediation(category) and bool(data.get("mediation")),
    )


async def _submit(ctx: Context) -> None:
    """Opens the case and tells the resident its number, when staff will respond, and what
    anonymity or mediation means for it."""
    draft = _draft(ctx)
    compound = await filing_compound(ctx, draft)
    if draft is None or compound is None:
        return
    case = await FORM.file(ctx, compound, draft)
    if case.anonymous:
        ctx.say("complaint-created-anonymous")
    if case.mediation:
        ctx.say("complaint-created-mediation")


def register(flows: Flows) -> None:
    flows.command("complain", start, private_only=True, begins=True)
    flows.draft(FLOW)
    flows.intent("complaint.file", file_from_text)
    flows.press(AnonymityPress, on_anonymity)
    flows.press(MediationPress, on_mediation)
    flows.press(ReviewPress, on_review)
    # Typed words instead of a category button: they are the description; the category is
    # still asked.
    flows.step(FLOW, CHOOSING_CATEGORY, FORM.describing_problem)
    FORM.register(flows, button_steps=(CHOOSING_ANONYMITY, CHOOSING_MEDIATION))
