"""Repair intake: a resident reports a fault at home or in a common area, in a private chat.

```mermaid
stateDiagram-v2
    [*] --> seeing_outage: /repair or the menu
    [*] --> seeing_outage: free text the router calls a repair (kept, category guessed)
    seeing_outage --> [*]: no need to report
    seeing_outage --> choosing_category
    choosing_category --> choosing_location: a fault that may be in a home
    choosing_category --> naming_common_area: common area, or cleaning, greening, lift, lighting
    choosing_category --> deciding_on_duplicate: an open case has the same fault in that building
    choosing_category --> describing_problem: otherwise
    choosing_location --> naming_common_area: common area, or cleaning, greening, lift, lighting
    choosing_location --> deciding_on_duplicate: an open case has the same fault in that building
    choosing_location --> describing_problem: otherwise
    naming_common_area --> naming_common_area: building by button, then floor or place as text
    naming_common_area --> deciding_on_duplicate: an open case has the same fault in that building
    naming_common_area --> describing_problem: otherwise
    deciding_on_duplicate --> [*]: follow that case
    deciding_on_duplicate --> describing_problem
    describing_problem --> adding_photos
    adding_photos --> adding_photos: a photo, at most four
    adding_photos --> choosing_urgency
    choosing_urgency --> choosing_visit_window: work in the home
    choosing_urgency --> confirming: otherwise
    choosing_visit_window --> confirming
    confirming --> choosing_category: edit a field, then back to confirming
    confirming --> [*]: submit, case opened with its number and response time
```
A report of no water or no power from a building under a current outage notice is shown that
notice first (`seeing_outage`), and goes on only if the resident still reports it.
After every answer the first step still needed is asked, so a step whose answer is already
known is skipped: what the resident wrote before the form started is the description.
`/cancel` leaves at any step.
"""

from __future__ import annotations

from bot.engine.context import Context
from bot.engine.registry import Flows
from bot.engine.replies import keyboard
from handlers.cases.categories import COMMON_AREA_ONLY, at_least, guess_repair_category
from handlers.cases.places import names_home
from handlers.forms import Choice, Form, Step, flag, optional_id
from handlers.intake.checks import PLACE_MAX, opening_words
from handlers.notices.outages import outage_for_report, tell_outage
from handlers.repairs.form import (
    CHOOSING_LOCATION,
    CHOOSING_URGENCY,
    CHOOSING_VISIT_WINDOW,
    DECIDING_ON_DUPLICATE,
    FLOW,
    INTAKE,
    NAMING_COMMON_AREA,
    SEEING_OUTAGE,
    RepairDraft,
    ReviewChoice,
    VisitWindow,
    ask_common_area,
    ask_location,
    ask_urgency,
    ask_visit,
    buildings,
    location_name,
    offer_duplicates,
    place_at_home,
    urgency_floor,
)
from handlers.repairs.review import take_duplicate, take_review
from handlers.widgets import typed_text, use_buttons
from knowledge.intent_ids import Intent
from storage.models import Urgency


async def start(ctx: Context) -> None:
    """/repair and the menu: asks what kind of fault it is."""
    compound_id = await INTAKE.compound_id(ctx)
    if compound_id is not None:
        await FORM.start(ctx, RepairDraft(compound_id=compound_id))


async def report_from_text(ctx: Context) -> None:
    """A message the router calls a repair ("厨房水管漏水了"): the form starts with those words
    as the description and asks only to confirm the category guessed from them."""
    compound_id = await INTAKE.compound_id(ctx)
    if compound_id is None:
        return
    draft = RepairDraft(compound_id=compound_id)
    text = opening_words(ctx)
    if text:
        guess = _read_words(ctx, draft, text)
        if guess:
            draft.description, draft.guess = text, guess
        else:
            # Words that name no fault ("我要报修") may not describe one: offer, do not assume.
            draft.earlier_text = text
        notice = await outage_for_report(ctx, compound_id, text)
        draft.outage_notice = notice.id if notice is not None else None
    await FORM.start(ctx, draft)


async def ask_outage(ctx: Context, draft: RepairDraft) -> bool:
    """The outage notice that may explain the fault, with "still report" and "no need"."""
    assert draft.outage_notice is not None
    buttons = keyboard(
        [INTAKE.button(ctx, ctx.t("notice-still-report"), "outage", True)],
        [INTAKE.button(ctx, ctx.t("notice-no-need"), "outage", False)],
    )
    return await tell_outage(ctx, draft.outage_notice, buttons)


async def take_outage(ctx: Context, draft: RepairDraft, report: bool) -> bool:
    if not report:
        ctx.conversation.finish()
        ctx.edit(ctx.t("notice-no-report"))
        return False
    draft.outage_seen = True
    ctx.edit(ctx.t("notice-still-report"))
    return True


def _read_words(ctx: Context, draft: RepairDraft, text: str) -> str | None:
    """What the resident's words tell the form: the home, when they put the fault there
    ("我家", "厨房", "my bathroom"), and the category they point at (never a common area's
    for a fault at home). Returns the guessed category."""
    at_home = names_home(text)
    if at_home:
        place_at_home(ctx, draft)
    return guess_repair_category(text, at_home=at_home or draft.unit_id is not None)


async def choosing_category(ctx: Context, draft: RepairDraft) -> bool:
    """Typed words instead of a button: they describe the fault, so keep them and guess."""
    if INTAKE.photo_only(ctx, draft):
        return True
    text = INTAKE.typed_description(ctx)
    if text is None:
        return False
    draft.description, draft.earlier_text = text, None
    draft.guess = _read_words(ctx, draft, text)
    return True


async def take_location(ctx: Context, draft: RepairDraft, unit_id: int | None) -> bool:
    """The resident's own unit (only one of theirs is accepted) or a common area."""
    if unit_id is None:
        draft.common, draft.unit_id, draft.building, draft.place = True, None, None, None
        ctx.edit(ctx.t("repair-field-location", value=ctx.t("repair-common-area")))
        return True
    residency = next((r for r in ctx.actor.residencies if r.unit_id == unit_id), None)
    if residency is None:
        ctx.toast(ctx.t("common-not-allowed"), alert=True)
        return False
    draft.unit_id, draft.compound_id, draft.common = unit_id, residency.compound_id, False
    ctx.edit(ctx.t("repair-field-location", value=location_name(ctx, draft)))
    return True


async def take_building(ctx: Context, draft: RepairDraft, building_id: int | None) -> bool:
    found = await buildings(ctx, draft.compound_id)
    building = next((b for b in found if b.id == building_id), None)
    if draft.building or building is None:
        ctx.toast(ctx.t("common-button-invalid"), alert=True)
        return False
    draft.building = building.name
    ctx.edit(ctx.t("repair-building-chosen", building=building.name))
    return True


async def naming_common_area(ctx: Context, draft: RepairDraft) -> bool:
    """After the building button: the floor or place, as text ("5楼电梯厅", "north gate")."""
    if not draft.building:
        use_buttons(ctx)
        return True
    if ctx.event.photos:
        ctx.say("intake-need-place")
        return False
    place = typed_text(ctx, minimum=1, limit=PLACE_MAX)
    if place is None:
        return False
    draft.place = place
    return True


async def take_urgency(ctx: Context, draft: RepairDraft, urgency: Urgency) -> bool:
    # A button below the report's floor (an older question) cannot lower it.
    urgency = draft.urgency = at_least(urgency, urgency_floor(ctx, draft))
    ctx.edit(ctx.t("repair-field-urgency", value=ctx.t(f"urgency-{urgency.value}")))
    if urgency is Urgency.EMERGENCY:
        ctx.say("repair-emergency-advice")
    return True


async def take_visit(ctx: Context, draft: RepairDraft, window: VisitWindow) -> bool:
    draft.visit_window = window
    ctx.edit(ctx.t("repair-field-visit", value=ctx.t(f"visit-{window.value}")))
    return True


FORM: Form[RepairDraft] = Form(
    flow=FLOW,
    model=RepairDraft,
    title="drafts-flow-repair",
    restart=start,
    entries=(
        "/repair or the menu",
        "free text the router calls a repair (kept, category guessed)",
    ),
    steps=(
        Step(
            SEEING_OUTAGE,
            needed=lambda d: d.outage_notice is not None and not d.outage_seen,
            ask=ask_outage,
            choices=(Choice("outage", flag, take_outage),),
            when="no water or power where a current outage notice says so",
            exits=(("[*]", "no need to report"),),
        ),
        INTAKE.category_step(text=choosing_category),
        Step(
            CHOOSING_LOCATION,
            needed=lambda d: d.location_open,
            ask=ask_location,
            choices=(Choice("location", optional_id, take_location),),
            when="a fault that may be in a home",
        ),
        Step(
            NAMING_COMMON_AREA,
            needed=lambda d: d.in_common_area and not (d.building and d.place),
            ask=ask_common_area,
            text=naming_common_area,
            choices=(Choice("building", optional_id, take_building),),
            when=f"common area, or {', '.join(sorted(COMMON_AREA_ONLY))}",
            exits=((NAMING_COMMON_AREA, "building by button, then floor or place as text"),),
        ),
        Step(
            DECIDING_ON_DUPLICATE,
            needed=lambda d: d.in_common_area,
            ask=offer_duplicates,
            choices=(Choice("duplicate", optional_id, take_duplicate),),
            when="an open case has the same fault in that building",
            exits=(("[*]", "follow that case"),),
        ),
        INTAKE.description_step(),
        INTAKE.photos_step(),
        Step(
            CHOOSING_URGENCY,
            needed=lambda d: d.urgency is None,
            ask=ask_urgency,
            choices=(Choice("urgency", Urgency, take_urgency),),
        ),
        Step(
            CHOOSING_VISIT_WINDOW,
            needed=lambda d: d.unit_id is not None and d.visit_window is None,
            ask=ask_visit,
            choices=(Choice("visit_window", VisitWindow, take_visit),),
            when="work in the home",
        ),
        INTAKE.confirming_step(ReviewChoice, take_review),
    ),
)


def register(flows: Flows) -> None:
    flows.command("repair", start, private_only=True, begins=True)
    flows.draft(FLOW)
    flows.intent(Intent.REPAIR, report_from_text)
    FORM.register(flows)
