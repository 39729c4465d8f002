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
from bot.engine.replies import keyboard
from handlers.cases.categories import COMPLAINT_CATEGORIES
from handlers.cases.rules import Draft
from handlers.complaint_form import (
    ADDING_PHOTOS,
    CHOOSING_ANONYMITY,
    CHOOSING_CATEGORY,
    CHOOSING_MEDIATION,
    CONFIRMING,
    DESCRIBING_PROBLEM,
    FLOW,
    AnonymityPress,
    CategoryPress,
    KeepTextPress,
    MediationPress,
    PhotosDonePress,
    ReviewChoice,
    ReviewPress,
    advance,
    category_name,
    offers_mediation,
    photos_done_button,
    summary_text,
)
from handlers.intake import (
    DESCRIPTION_MAX,
    DESCRIPTION_MIN,
    MAX_PHOTOS,
    admit,
    at_step,
    photo_receipt,
    response_time,
    submit,
    take_photos,
    typed_text,
    use_buttons,
)
from storage.models import CaseKind, Compound

# What each edit button clears; `advance` then asks for it again and returns to the summary.
CLEARS: dict[ReviewChoice, tuple[str, ...]] = {
    ReviewChoice.CATEGORY: ("category", "mediation"),
    ReviewChoice.DESCRIPTION: ("description", "earlier_text"),
    ReviewChoice.PHOTOS: ("photos", "photos_done"),
    ReviewChoice.ANONYMITY: ("anonymous",),
    ReviewChoice.MEDIATION: ("mediation",),
}


async def start(ctx: Context) -> None:
    """/complain and the menu: asks what the complaint is about."""
    if not await admit(ctx, "complain"):
        return
    assert ctx.compound is not None
    ctx.conversation.begin(FLOW, CHOOSING_CATEGORY, compound_id=ctx.compound.id, photos=[])
    await advance(ctx)


async def file_from_text(ctx: Context) -> None:
    """A message the router calls a complaint: the form starts, and those words are offered
    as the description so the resident need not type them again."""
    if not await admit(ctx, "complain"):
        return
    assert ctx.compound is not None
    ctx.conversation.begin(FLOW, CHOOSING_CATEGORY, compound_id=ctx.compound.id, photos=[])
    text = (ctx.event.text or "").strip()
    if DESCRIPTION_MIN <= len(text) <= DESCRIPTION_MAX:
        ctx.conversation.update(earlier_text=text)
    await advance(ctx)


async def choosing_category(ctx: Context) -> None:
    """Typed words instead of a button: they are the description; the category is still asked."""
    if ctx.event.photos:
        await describing_problem(ctx)
        return
    text = typed_text(ctx, minimum=DESCRIPTION_MIN, limit=DESCRIPTION_MAX)
    if text is None:
        return
    ctx.conversation.update(description=text, earlier_text=None)
    await advance(ctx)


async def on_category(ctx: Context, press: CategoryPress) -> None:
    if not at_step(ctx, FLOW, CHOOSING_CATEGORY) or press.category not in COMPLAINT_CATEGORIES:
        return
    ctx.conversation.update(category=press.category)
    ctx.edit(ctx.t("complaint-field-category", value=category_name(ctx, press.category)))
    await advance(ctx)


async def describing_problem(ctx: Context) -> None:
    """Takes the description; a photo is kept, and its caption is the description."""
    if ctx.event.photos:
        photos, refused = take_photos(ctx, ctx.conversation.data.get("photos", []))
        ctx.conversation.update(photos=photos)
        if refused:
            ctx.say("intake-photo-limit", limit=MAX_PHOTOS)
        if not (ctx.event.text or "").strip():
            if not refused:
                ctx.say("intake-photo-kept", count=len(photos), limit=MAX_PHOTOS)
            await advance(ctx)
            return
    text = typed_text(ctx, minimum=DESCRIPTION_MIN, limit=DESCRIPTION_MAX)
    if text is None:
        return
    ctx.conversation.update(description=text, earlier_text=None)
    await advance(ctx)


async def on_keep_text(ctx: Context, press: KeepTextPress) -> None:
    earlier = ctx.conversation.data.get("earlier_text")
    if not at_step(ctx, FLOW, DESCRIBING_PROBLEM) or not earlier:
        return
    ctx.conversation.update(description=earlier, earlier_text=None)
    ctx.edit(ctx.t("complaint-field-description", value=earlier))
    await advance(ctx)


async def adding_photos(ctx: Context) -> None:
    """Collects up to four photos, one message each; a caption adds to the description."""
    data = ctx.conversation.data
    if not ctx.event.photos:
        ctx.say("intake-photo-expected", keyboard([photos_done_button(ctx)]))
        return
    photos, refused = take_photos(ctx, data.get("photos", []))
    ctx.conversation.update(photos=photos)
    caption = (ctx.event.text or "").strip()
    if caption and not refused:
        combined = f"{data['description']}\n{caption}"
        if len(combined) <= DESCRIPTION_MAX:
            ctx.conversation.update(description=combined)
        else:
            ctx.say("intake-caption-too-long", limit=DESCRIPTION_MAX)
    photo_receipt(ctx, photos, refused, photos_done_button(ctx))


async def on_photos_done(ctx: Context, press: PhotosDonePress) -> None:
    if not at_step(ctx, FLOW, ADDING_PHOTOS):
        return
    ctx.conversation.update(photos_done=True)
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


async def expecting_a_button(ctx: Context) -> None:
    """Typed text or a photo where a button is expected: says so and asks again."""
    use_buttons(ctx)
    await advance(ctx)


async def on_review(ctx: Context, press: ReviewPress) -> None:
    """Submit, or clear one field and ask for it again."""
    if not at_step(ctx, FLOW, CONFIRMING):
        return
    if press.choice is ReviewChoice.SUBMIT:
        await _submit(ctx)
        return
    # The old summary stays readable, without buttons, above the question that follows.
    ctx.edit(ctx.t("complaint-summary-editing", summary=summary_text(ctx)))
    ctx.conversation.update(**{name: None for name in CLEARS[press.choice]})
    if press.choice is ReviewChoice.PHOTOS:
        ctx.conversation.update(photos=[])
    await advance(ctx)


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
    """Opens the case and tells the resident its number and when staff will respond."""
    draft = _draft(ctx)
    compound = await ctx.session.get(Compound, ctx.conversation.data.get("compound_id"))
    if draft is None or compound is None or not ctx.actor.is_resident(compound.id):
        ctx.conversation.finish()
        ctx.say("common-conversation-lost")
        return
    summary = summary_text(ctx)
    ctx.conversation.finish()
    case = await submit(ctx, compound, draft)
    ctx.edit(ctx.t("complaint-summary-sent", summary=summary))
    ctx.say(
        "complaint-created",
        number=case.number,
        category=category_name(ctx, case.category),
        due=response_time(case, compound),
    )
    if case.anonymous:
        ctx.say("complaint-created-anonymous")
    if case.mediation:
        ctx.say("complaint-created-mediation")


def register(flows: Flows) -> None:
    flows.command("complain", start, private_only=True)
    flows.intent("complaint.file", file_from_text)
    flows.press(CategoryPress, on_category)
    flows.press(KeepTextPress, on_keep_text)
    flows.press(PhotosDonePress, on_photos_done)
    flows.press(AnonymityPress, on_anonymity)
    flows.press(MediationPress, on_mediation)
    flows.press(ReviewPress, on_review)
    flows.step(FLOW, CHOOSING_CATEGORY, choosing_category)
    flows.step(FLOW, DESCRIBING_PROBLEM, describing_problem)
    flows.step(FLOW, ADDING_PHOTOS, adding_photos)
    for step in (CHOOSING_ANONYMITY, CHOOSING_MEDIATION, CONFIRMING):
        flows.step(FLOW, step, expecting_a_button)
