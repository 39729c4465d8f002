"""The repair form: the questions only it asks (location, common area, duplicates, urgency,
visit window), and which step comes next. What it shares with the complaint form is in
`handlers.intake.form`.

The form lives in the conversation's data, so a half-filled report survives a restart. After
every answer `advance` asks for the first thing still missing; editing a field from the
summary clears it, so the same rule brings the resident back to the summary afterwards.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from bot.engine.context import Context
from bot.engine.replies import keyboard
from handlers.cases.categories import REPAIR_CATEGORIES
from handlers.intake.form import CHOOSING_CATEGORY, Form
from handlers.repairs.buttons import (
    BuildingPress,
    CategoryPress,
    DuplicatePress,
    GuessPress,
    KeepTextPress,
    LocationPress,
    PhotosDonePress,
    ReviewChoice,
    ReviewPress,
    UrgencyPress,
    VisitPress,
)
from handlers.widgets import in_rows
from storage.models import Building, Case, Urgency
from storage.repos.cases import open_duplicates

FLOW = "repair"
CHOOSING_LOCATION = "choosing_location"
NAMING_COMMON_AREA = "naming_common_area"
DECIDING_ON_DUPLICATE = "deciding_on_duplicate"
CHOOSING_URGENCY = "choosing_urgency"
CHOOSING_VISIT_WINDOW = "choosing_visit_window"

VISIT_WINDOWS = ("anytime", "morning", "afternoon", "evening", "weekend")
URGENCIES = (Urgency.NORMAL, Urgency.URGENT, Urgency.EMERGENCY)
# Faults that are never inside a home: the location question is skipped for them.
COMMON_AREA_ONLY = frozenset({"lift", "lighting", "greening", "cleaning"})


def category_name(ctx: Context, category: str) -> str:
    return FORM.category_name(ctx, category)


def location_name(ctx: Context, data: dict[str, Any]) -> str:
    unit_id = data.get("unit_id")
    if unit_id is not None:
        label = next((u.label for u in ctx.actor.units if u.id == unit_id), "—")
        return ctx.t("case-location-unit", unit=label)
    return ctx.t(
        "case-location-common", building=data.get("building") or "—", place=data.get("place") or ""
    )


async def advance(ctx: Context) -> None:
    """Asks for the first thing the report still lacks; shows the summary when complete."""
    data = ctx.conversation.data
    if not data.get("category"):
        ask_category(ctx)
    elif data.get("unit_id") is None and not data.get("common"):
        if data["category"] in COMMON_AREA_ONLY:
            ctx.conversation.update(common=True)
            await advance(ctx)
        else:
            ask_location(ctx)
    elif data.get("common") and not data.get("building"):
        await ask_building(ctx)
    elif data.get("common") and not data.get("place"):
        ask_place(ctx)
    elif data.get("common") and await offer_duplicates(ctx):
        return
    elif not data.get("description"):
        FORM.ask_description(ctx)
    elif not data.get("photos_done"):
        FORM.ask_photos(ctx)
    elif not data.get("urgency"):
        ask_urgency(ctx)
    elif data.get("unit_id") is not None and not data.get("visit_window"):
        ask_visit(ctx)
    else:
        edits = [ReviewChoice.CATEGORY, ReviewChoice.LOCATION, ReviewChoice.DESCRIPTION]
        edits += [ReviewChoice.PHOTOS, ReviewChoice.URGENCY]
        if data.get("unit_id") is not None:
            edits.append(ReviewChoice.VISIT)
        FORM.show_summary(ctx, edits)


def ask_category(ctx: Context) -> None:
    """Confirms the category guessed from the resident's words, or lists them all."""
    guess = ctx.conversation.data.get("guess")
    if not guess:
        FORM.ask_category(ctx)
        return
    ctx.conversation.goto(CHOOSING_CATEGORY)
    nonce = ctx.conversation.nonce
    ctx.say(
        "repair-guess",
        keyboard(
            [ctx.button(ctx.t("repair-guess-yes"), GuessPress(True, nonce))],
            [ctx.button(ctx.t("repair-guess-other"), GuessPress(False, nonce))],
        ),
        category=category_name(ctx, guess),
    )


def ask_location(ctx: Context) -> None:
    ctx.conversation.goto(CHOOSING_LOCATION)
    nonce = ctx.conversation.nonce
    rows = [
        [ctx.button(ctx.t("repair-my-unit", unit=unit.label), LocationPress(unit.id, nonce))]
        for unit in ctx.actor.units
    ]
    rows.append([ctx.button(ctx.t("repair-common-area"), LocationPress(None, nonce))])
    ctx.say("repair-ask-location", keyboard(*rows))


async def buildings(ctx: Context) -> list[Building]:
    rows = await ctx.session.scalars(
        select(Building)
        .where(Building.compound_id == ctx.conversation.data["compound_id"])
        .order_by(Building.name)
    )
    return list(rows)


async def ask_building(ctx: Context) -> None:
    ctx.conversation.goto(NAMING_COMMON_AREA)
    nonce = ctx.conversation.nonce
    buttons = [
        ctx.button(ctx.t("repair-building", building=b.name), BuildingPress(b.id, nonce))
        for b in await buildings(ctx)
    ]
    ctx.say("repair-ask-building", keyboard(*in_rows(buttons, 3)))


def ask_place(ctx: Context) -> None:
    ctx.conversation.goto(NAMING_COMMON_AREA)
    ctx.say("repair-ask-place", building=ctx.conversation.data["building"])


async def offer_duplicates(ctx: Context) -> bool:
    """Offers to follow an open case about the same fault in the same building, instead of
    opening another. False when there is none the resident has not already declined."""
    data = ctx.conversation.data
    found = await open_duplicates(
        ctx.session,
        compound_id=data["compound_id"],
        building=data["building"],
        category=data["category"],
    )
    declined = set(data.get("declined", []))
    cases = [c for c in found if c.id not in declined]
    if not cases:
        return False
    ctx.conversation.goto(DECIDING_ON_DUPLICATE, offered=[c.id for c in cases])
    nonce = ctx.conversation.nonce
    rows = [
        [ctx.button(ctx.t("repair-follow", number=c.number), DuplicatePress(c.id, nonce))]
        for c in cases
    ]
    rows.append([ctx.button(ctx.t("repair-file-anyway"), DuplicatePress(None, nonce))])
    ctx.say(
        "repair-duplicates",
        keyboard(*rows),
        building=data["building"],
        category=category_name(ctx, data["category"]),
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


def ask_urgency(ctx: Context) -> None:
    ctx.conversation.goto(CHOOSING_URGENCY)
    nonce = ctx.conversation.nonce
    rows = [[ctx.button(ctx.t(f"urgency-{u.value}"), UrgencyPress(u, nonce))] for u in URGENCIES]
    ctx.say("repair-ask-urgency", keyboard(*rows))


def ask_visit(ctx: Context) -> None:
    ctx.conversation.goto(CHOOSING_VISIT_WINDOW)
    nonce = ctx.conversation.nonce
    buttons = [ctx.button(ctx.t(f"visit-{w}"), VisitPress(w, nonce)) for w in VISIT_WINDOWS]
    ctx.say("repair-ask-visit", keyboard(buttons[:1], buttons[1:3], buttons[3:]))


def summary_text(ctx: Context) -> str:
    data = ctx.conversation.data
    lines = [
        ctx.t("repair-field-category", value=category_name(ctx, data["category"])),
        ctx.t("repair-field-location", value=location_name(ctx, data)),
        ctx.t("repair-field-description", value=data["description"]),
        ctx.t("repair-field-photos", count=len(data.get("photos", []))),
        ctx.t("repair-field-urgency", value=ctx.t(f"urgency-{data['urgency']}")),
    ]
    if data.get("unit_id") is not None:
        lines.append(ctx.t("repair-field-visit", value=ctx.t(f"visit-{data['visit_window']}")))
    return "\n".join(lines)


FORM = Form(
    flow=FLOW,
    command="repair",
    name="repair",
    categories=REPAIR_CATEGORIES,
    advance=advance,
    summary=summary_text,
    category_press=CategoryPress,
    keep_text_press=KeepTextPress,
    photos_done_press=PhotosDonePress,
    review_press=ReviewPress,
    submit_choice=ReviewChoice.SUBMIT,
    # What each edit button clears; `advance` then asks for it again and returns to the summary.
    clears={
        ReviewChoice.CATEGORY: ("category", "guess"),
        ReviewChoice.LOCATION: ("unit_id", "common", "building", "place"),
        ReviewChoice.DESCRIPTION: ("description", "earlier_text"),
        ReviewChoice.PHOTOS: ("photos", "photos_done"),
        ReviewChoice.URGENCY: ("urgency",),
        ReviewChoice.VISIT: ("visit_window",),
    },
    photos_question="intake-ask-photos",
)
