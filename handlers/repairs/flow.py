"""Repair intake: a resident reports a fault at home or in a common area, in a private chat.

```mermaid
stateDiagram-v2
    [*] --> choosing_category: /repair or the menu
    [*] --> choosing_category: free text the router calls a repair (kept, category guessed)
    choosing_category --> choosing_location: category chosen or guess confirmed
    choosing_category --> naming_common_area: lift, lighting, greening, cleaning
    choosing_location --> describing_problem: my unit
    choosing_location --> naming_common_area: common area
    naming_common_area --> naming_common_area: building by button, then floor or place as text
    naming_common_area --> deciding_on_duplicate: an open case has the same fault there
    naming_common_area --> describing_problem
    deciding_on_duplicate --> [*]: follow that case
    deciding_on_duplicate --> describing_problem: file anyway
    describing_problem --> adding_photos
    adding_photos --> choosing_urgency: done or skip (at most four photos)
    choosing_urgency --> choosing_visit_window: work in the home
    choosing_urgency --> confirming: common area
    choosing_visit_window --> confirming
    confirming --> choosing_category: edit a field, then back to confirming
    confirming --> [*]: submit, case opened with its number and response time
```
A step whose answer is already known is skipped: what the resident wrote before the form
started is the description. `/cancel` leaves at any step.
"""

from __future__ import annotations

from bot.engine.context import Context
from bot.engine.registry import Flows
from handlers.cases.categories import REPAIR_CATEGORIES, guess_repair_category
from handlers.intake.checks import PLACE_MAX, opening_words
from handlers.intake.form import CHOOSING_CATEGORY
from handlers.repairs import review
from handlers.repairs.buttons import (
    BuildingPress,
    DuplicatePress,
    GuessPress,
    LocationPress,
    ReviewPress,
    UrgencyPress,
    VisitPress,
)
from handlers.repairs.form import (
    CHOOSING_LOCATION,
    CHOOSING_URGENCY,
    CHOOSING_VISIT_WINDOW,
    DECIDING_ON_DUPLICATE,
    FLOW,
    FORM,
    NAMING_COMMON_AREA,
    VISIT_WINDOWS,
    advance,
    ask_category,
    buildings,
    category_name,
    location_name,
)
from handlers.widgets import at_step, typed_text
from storage.models import Urgency


async def start(ctx: Context) -> None:
    """/repair and the menu: asks what kind of fault it is."""
    if await FORM.begin(ctx):
        await advance(ctx)


async def report_from_text(ctx: Context) -> None:
    """A message the router calls a repair ("厨房水管漏水了"): the form starts with those words
    as the description and asks only to confirm the category guessed from them."""
    if not await FORM.begin(ctx):
        return
    text = opening_words(ctx)
    if text:
        guess = guess_repair_category(text)
        if guess:
            ctx.conversation.update(description=text, guess=guess)
        else:
            # Words that name no fault ("我要报修") may not describe one: offer, do not assume.
            ctx.conversation.update(earlier_text=text)
    await advance(ctx)


async def choosing_category(ctx: Context) -> None:
    """Typed words instead of a button: they describe the fault, so keep them and guess."""
    text = await FORM.description(ctx)
    if text is None:
        return
    ctx.conversation.update(description=text, guess=guess_repair_category(text), earlier_text=None)
    await advance(ctx)


async def on_guess(ctx: Context, press: GuessPress) -> None:
    guess = ctx.conversation.data.get("guess")
    if not at_step(ctx, FLOW, CHOOSING_CATEGORY) or guess not in REPAIR_CATEGORIES:
        return
    if press.accept:
        ctx.conversation.update(category=guess, guess=None)
        ctx.edit(ctx.t("repair-field-category", value=category_name(ctx, guess)))
        await advance(ctx)
        return
    ctx.conversation.update(guess=None)
    ask_category(ctx)


async def on_location(ctx: Context, press: LocationPress) -> None:
    """The resident's own unit (only one of theirs is accepted) or a common area."""
    if not at_step(ctx, FLOW, CHOOSING_LOCATION):
        return
    if press.unit_id is None:
        ctx.conversation.update(common=True, unit_id=None, building=None, place=None)
        ctx.edit(ctx.t("repair-field-location", value=ctx.t("repair-common-area")))
    else:
        residency = next((r for r in ctx.actor.residencies if r.unit_id == press.unit_id), None)
        if residency is None:
            ctx.toast(ctx.t("common-not-allowed"), alert=True)
            return
        ctx.conversation.update(
            unit_id=residency.unit_id, compound_id=residency.compound_id, common=False
        )
        ctx.edit(ctx.t("repair-field-location", value=location_name(ctx, ctx.conversation.data)))
    await advance(ctx)


async def on_building(ctx: Context, press: BuildingPress) -> None:
    if not at_step(ctx, FLOW, NAMING_COMMON_AREA) or ctx.conversation.data.get("building"):
        return
    building = next((b for b in await buildings(ctx) if b.id == press.building_id), None)
    if building is None:
        ctx.toast(ctx.t("common-button-invalid"), alert=True)
        return
    ctx.conversation.update(building=building.name)
    ctx.edit(ctx.t("repair-building-chosen", building=building.name))
    await advance(ctx)


async def naming_common_area(ctx: Context) -> None:
    """After the building button: the floor or place, as text ("5楼电梯厅", "north gate")."""
    if not ctx.conversation.data.get("building"):
        await FORM.expecting_a_button(ctx)
        return
    if ctx.event.photos:
        ctx.say("intake-need-place")
        return
    place = typed_text(ctx, minimum=1, limit=PLACE_MAX)
    if place is None:
        return
    ctx.conversation.update(place=place)
    await advance(ctx)


async def on_urgency(ctx: Context, press: UrgencyPress) -> None:
    if not at_step(ctx, FLOW, CHOOSING_URGENCY):
        return
    ctx.conversation.update(urgency=press.urgency.value)
    ctx.edit(ctx.t("repair-field-urgency", value=ctx.t(f"urgency-{press.urgency.value}")))
    if press.urgency is Urgency.EMERGENCY:
        ctx.say("repair-emergency-advice")
    await advance(ctx)


async def on_visit(ctx: Context, press: VisitPress) -> None:
    if not at_step(ctx, FLOW, CHOOSING_VISIT_WINDOW) or press.window not in VISIT_WINDOWS:
        return
    ctx.conversation.update(visit_window=press.window)
    ctx.edit(ctx.t("repair-field-visit", value=ctx.t(f"visit-{press.window}")))
    await advance(ctx)


def register(flows: Flows) -> None:
    flows.command("repair", start, private_only=True, begins=True)
    flows.draft(FLOW)
    flows.intent("repair.report", report_from_text)
    flows.press(GuessPress, on_guess)
    flows.press(LocationPress, on_location)
    flows.press(BuildingPress, on_building)
    flows.press(UrgencyPress, on_urgency)
    flows.press(VisitPress, on_visit)
    flows.press(DuplicatePress, review.on_duplicate)
    flows.press(ReviewPress, review.on_review)
    flows.step(FLOW, CHOOSING_CATEGORY, choosing_category)
    flows.step(FLOW, NAMING_COMMON_AREA, naming_common_area)
    FORM.register(
        flows,
        button_steps=(
            CHOOSING_LOCATION,
            DECIDING_ON_DUPLICATE,
            CHOOSING_URGENCY,
            CHOOSING_VISIT_WINDOW,
        ),
    )
