"""The repair form's draft and the questions only it asks (location, common area, duplicates,
urgency, visit window). What it shares with the complaint form is in `handlers.intake.form`;
its step list is in `handlers.repairs.flow`.

The draft lives in the conversation's data, so a half-filled report survives a restart.
"""

from __future__ import annotations

import enum
from typing import Annotated

from pydantic import AfterValidator, Field

from bot.engine.context import Context
from bot.engine.replies import keyboard
from handlers.cases.categories import (
    COMMON_AREA_ONLY,
    REPAIR_CATEGORIES,
    URGENCY_ORDER,
    minimum_urgency,
)
from handlers.faq.knowledge import router_for
from handlers.forms import one_of
from handlers.intake.checks import PLACE_MAX
from handlers.intake.form import Intake, IntakeDraft
from handlers.widgets import in_rows
from storage.models import Building, Case, Urgency
from storage.repos.cases import open_duplicates
from storage.repos.compounds import buildings_of

FLOW = "repair"
CHOOSING_LOCATION = "choosing_location"
NAMING_COMMON_AREA = "naming_common_area"
DECIDING_ON_DUPLICATE = "deciding_on_duplicate"
CHOOSING_URGENCY = "choosing_urgency"
CHOOSING_VISIT_WINDOW = "choosing_visit_window"
SEEING_OUTAGE = "seeing_outage"

# Text that must be one of the repair categories.
RepairCategory = Annotated[str, AfterValidator(one_of(REPAIR_CATEGORIES))]


class VisitWindow(enum.StrEnum):
    ANYTIME = "anytime"
    MORNING = "morning"
    AFTERNOON = "afternoon"
    EVENING = "evening"
    WEEKEND = "weekend"


class ReviewChoice(enum.StrEnum):
    SUBMIT = "s"
    CATEGORY = "c"
    LOCATION = "l"
    DESCRIPTION = "d"
    PHOTOS = "p"
    URGENCY = "u"
    VISIT = "v"


class RepairDraft(IntakeDraft):
    """A repair report as far as the resident has filled it in."""

    category: RepairCategory | None = None
    guess: RepairCategory | None = None  # guessed from their words, to be confirmed
    unit_id: int | None = None  # one of their homes; None for a common area
    common: bool = False  # they chose a common area
    at_home: bool = False  # their words put it in their home; which one is still asked
    building: str | None = None
    place: str | None = Field(default=None, min_length=1, max_length=PLACE_MAX)
    offered: list[int] = Field(default_factory=list)  # open cases just offered to follow
    declined: list[int] = Field(default_factory=list)  # open cases they said are another fault
    urgency: Urgency | None = None
    visit_window: VisitWindow | None = None
    # A current outage notice their words about no water or power may be explained by:
    # shown before anything is asked; `outage_seen` once they chose to report anyway.
    outage_notice: int | None = None
    outage_seen: bool = False

    @property
    def in_common_area(self) -> bool:
        """Not in a home: chosen so, or a fault that is never inside one (unless their words
        put it in their home)."""
        if self.unit_id is not None or self.at_home:
            return False
        return self.common or self.category in COMMON_AREA_ONLY

    @property
    def location_open(self) -> bool:
        """Where the fault is must still be asked: a fault that may be in a home, or one
        their words put in a home while they have several."""
        if self.unit_id is not None or self.common:
            return False
        return self.at_home or self.category not in COMMON_AREA_ONLY


def place_at_home(ctx: Context, draft: RepairDraft) -> None:
    """Their words put the fault in their home: their only home is the location; with
    several, the location question offers only theirs."""
    if draft.unit_id is not None or draft.common:
        return
    units = [u for u in ctx.actor.units if u.compound_id == draft.compound_id]
    if len(units) == 1:
        draft.unit_id = units[0].id
    else:
        draft.at_home = True


def category_name(ctx: Context, category: str) -> str:
    return INTAKE.category_name(ctx, category)


def location_name(ctx: Context, draft: RepairDraft) -> str:
    if draft.unit_id is not None:
        label = next((u.label for u in ctx.actor.units if u.id == draft.unit_id), "—")
        return ctx.t("case-location-unit", unit=label)
    return ctx.t("case-location-common", building=draft.building or "—", place=draft.place or "")


async def ask_location(ctx: Context, draft: RepairDraft) -> None:
    """Their homes, and a common area unless their words put the fault in a home."""
    rows = [
        [INTAKE.button(ctx, ctx.t("repair-my-unit", unit=unit.label), "location", unit.id)]
        for unit in ctx.actor.units
    ]
    if not draft.at_home:
        rows.append([INTAKE.button(ctx, ctx.t("repair-common-area"), "location", None)])
    ctx.say("repair-ask-location", keyboard(*rows))


async def buildings(ctx: Context, compound_id: int) -> list[Building]:
    return await buildings_of(ctx.session, compound_id)


async def ask_common_area(ctx: Context, draft: RepairDraft) -> None:
    """The building, by button; then the floor or place in or around it, as text."""
    if draft.building:
        ctx.say("repair-ask-place", building=draft.building)
        return
    buttons = [
        INTAKE.button(ctx, ctx.t("repair-building", building=b.name), "building", b.id)
        for b in await buildings(ctx, draft.compound_id)
    ]
    ctx.say("repair-ask-building", keyboard(*in_rows(buttons, 3)))


async def offer_duplicates(ctx: Context, draft: RepairDraft) -> bool:
    """Offers to follow an open case about the same fault in the same building, instead of
    opening another. False when there is none the resident has not already declined."""
    if not (draft.building and draft.category):
        return False
    found = await open_duplicates(
        ctx.session,
        compound_id=draft.compound_id,
        building=draft.building,
        category=draft.category,
    )
    cases = [c for c in found if c.id not in draft.declined]
    if not cases:
        return False
    ctx.conversation.goto(DECIDING_ON_DUPLICATE)  # also when offered again at Submit
    draft.offered = [c.id for c in cases]
    rows = [
        [INTAKE.button(ctx, ctx.t("repair-follow", number=c.number), "duplicate", c.id)]
        for c in cases
    ]
    rows.append([INTAKE.button(ctx, ctx.t("repair-file-anyway"), "duplicate", None)])
    ctx.say(
        "repair-duplicates",
        keyboard(*rows),
        building=draft.building,
        category=category_name(ctx, draft.category),
        cases="\n".join(_duplicate_line(ctx, c) for c in cases),
    )
    return True


def _duplicate_line(ctx: Context, case: Case) -> str:
    description = case.description if len(case.description) <= 60 else case.description[:59] + "…"
    return ctx.t(
        "repair-duplicate-line",
        number=case.number,
        place=case.place or "—",
        status=ctx.t(f"case-status-{case.status.value}"),
        description=description,
    )


def urgency_floor(ctx: Context, draft: RepairDraft) -> Urgency:
    """The least urgency this report may have: its category's, and the hazards its
    description names (someone trapped makes it an emergency)."""
    hazards = router_for(ctx).hazards(draft.description or "")
    return minimum_urgency(draft.category, hazards)


async def ask_urgency(ctx: Context, draft: RepairDraft) -> bool:
    """Offers the urgencies from the report's floor up; an emergency is not asked: it is one,
    and the resident hears what to do first."""
    floor = urgency_floor(ctx, draft)
    if floor is Urgency.EMERGENCY:
        draft.urgency = floor
        ctx.say("repair-emergency-advice")
        return False
    offered = URGENCY_ORDER[URGENCY_ORDER.index(floor) :]
    rows = [[INTAKE.button(ctx, ctx.t(f"urgency-{u.value}"), "urgency", u)] for u in offered]
    ctx.say("repair-ask-urgency", keyboard(*rows))
    return True


async def ask_visit(ctx: Context, draft: RepairDraft) -> None:
    buttons = [INTAKE.button(ctx, ctx.t(f"visit-{w}"), "visit_window", w) for w in VisitWindow]
    ctx.say("repair-ask-visit", keyboard(buttons[:1], buttons[1:3], buttons[3:]))


def summary_text(ctx: Context, draft: RepairDraft) -> str:
    # Shown only once every field is filled in; the fallbacks merely keep the types honest.
    lines = [
        ctx.t("repair-field-category", value=category_name(ctx, draft.category or "other")),
        ctx.t("repair-field-location", value=location_name(ctx, draft)),
        ctx.t("repair-field-description", value=draft.description or ""),
        ctx.t("repair-field-photos", count=len(draft.photos)),
        ctx.t("repair-field-urgency", value=ctx.t(f"urgency-{draft.urgency or Urgency.NORMAL}")),
    ]
    if draft.unit_id is not None:
        window = draft.visit_window or VisitWindow.ANYTIME
        lines.append(ctx.t("repair-field-visit", value=ctx.t(f"visit-{window}")))
    return "\n".join(lines)


def summary_edits(draft: RepairDraft) -> list[ReviewChoice]:
    edits = [ReviewChoice.CATEGORY, ReviewChoice.LOCATION, ReviewChoice.DESCRIPTION]
    edits += [ReviewChoice.PHOTOS, ReviewChoice.URGENCY]
    if draft.unit_id is not None:
        edits.append(ReviewChoice.VISIT)
    return edits


INTAKE: Intake[RepairDraft] = Intake(
    flow=FLOW,
    command="repair",
    name="repair",
    categories=REPAIR_CATEGORIES,
    summary=summary_text,
    edits=summary_edits,
    submit_choice=ReviewChoice.SUBMIT,
    # What each edit button clears; the form then asks for it again and returns to the summary.
    clears={
        ReviewChoice.CATEGORY: ("category", "guess"),
        ReviewChoice.LOCATION: ("unit_id", "common", "at_home", "building", "place"),
        ReviewChoice.DESCRIPTION: ("description", "earlier_text"),
        ReviewChoice.PHOTOS: ("photos", "photos_done"),
        ReviewChoice.URGENCY: ("urgency",),
        ReviewChoice.VISIT: ("visit_window",),
    },
    photos_question="intake-ask-photos",
)
