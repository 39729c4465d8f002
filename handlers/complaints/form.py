"""The complaint form: its buttons, the questions only it asks (anonymity, mediation), and
which step comes next. What it shares with the repair form is in `handlers.intake.form`.

Like the repair form it lives in the conversation's data and `advance` asks for the first
thing still missing, so editing a field from the summary leads back to the summary.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from bot.engine.buttons import ButtonData
from bot.engine.context import Context
from bot.engine.replies import keyboard
from handlers.cases.categories import COMPLAINT_CATEGORIES, MEDIATION_CATEGORIES
from handlers.intake.form import Form

FLOW = "complaint"
CHOOSING_ANONYMITY = "choosing_anonymity"
CHOOSING_MEDIATION = "choosing_mediation"


@dataclass(frozen=True, slots=True)
class CategoryPress(ButtonData):
    prefix = "cpc"
    category: str
    nonce: str


@dataclass(frozen=True, slots=True)
class KeepTextPress(ButtonData):
    """Use what the resident wrote before the form started as the description."""

    prefix = "cpk"
    nonce: str


@dataclass(frozen=True, slots=True)
class PhotosDonePress(ButtonData):
    prefix = "cpp"
    nonce: str


@dataclass(frozen=True, slots=True)
class AnonymityPress(ButtonData):
    prefix = "cpa"
    anonymous: bool
    nonce: str


@dataclass(frozen=True, slots=True)
class MediationPress(ButtonData):
    prefix = "cpm"
    requested: bool
    nonce: str


class ReviewChoice(enum.StrEnum):
    SUBMIT = "s"
    CATEGORY = "c"
    DESCRIPTION = "d"
    PHOTOS = "p"
    ANONYMITY = "a"
    MEDIATION = "m"


@dataclass(frozen=True, slots=True)
class ReviewPress(ButtonData):
    prefix = "cpr"
    choice: ReviewChoice
    nonce: str


def offers_mediation(category: str | None) -> bool:
    """Disputes between neighbours can be mediated; a parking or staff complaint cannot."""
    return category in MEDIATION_CATEGORIES


async def advance(ctx: Context) -> None:
    """Asks for the first thing the complaint still lacks; shows the summary when complete."""
    data = ctx.conversation.data
    if not data.get("category"):
        FORM.ask_category(ctx)
    elif not data.get("description"):
        FORM.ask_description(ctx)
    elif not data.get("photos_done"):
        FORM.ask_photos(ctx)
    elif data.get("anonymous") is None:
        _ask_yes_no(ctx, CHOOSING_ANONYMITY, "anonymous", AnonymityPress)
    elif offers_mediation(data["category"]) and data.get("mediation") is None:
        _ask_yes_no(ctx, CHOOSING_MEDIATION, "mediation", MediationPress)
    else:
        edits = [ReviewChoice.CATEGORY, ReviewChoice.DESCRIPTION, ReviewChoice.PHOTOS]
        edits.append(ReviewChoice.ANONYMITY)
        if offers_mediation(data["category"]):
            edits.append(ReviewChoice.MEDIATION)
        FORM.show_summary(ctx, edits)


def _ask_yes_no(ctx: Context, step: str, field: str, press: type[ButtonData]) -> None:
    """Asks whether the complaint should be anonymous, or mediated: Yes and No buttons."""
    ctx.conversation.goto(step)
    nonce = ctx.conversation.nonce
    ctx.say(
        f"complaint-ask-{field}",
        keyboard(
            [ctx.button(ctx.t(f"complaint-{field}-yes"), press(True, nonce))],
            [ctx.button(ctx.t(f"complaint-{field}-no"), press(False, nonce))],
        ),
    )


def summary_text(ctx: Context) -> str:
    data = ctx.conversation.data
    lines = [
        ctx.t("complaint-field-category", value=FORM.category_name(ctx, data["category"])),
        ctx.t("complaint-field-description", value=data["description"]),
        ctx.t("complaint-field-photos", count=len(data.get("photos", []))),
        ctx.t("complaint-field-anonymous", anonymous="yes" if data.get("anonymous") else "no"),
    ]
    if offers_mediation(data["category"]):
        lines.append(
            ctx.t("complaint-field-mediation", requested="yes" if data.get("mediation") else "no")
        )
    return "\n".join(lines)


FORM = Form(
    flow=FLOW,
    command="complain",
    name="complaint",
    categories=COMPLAINT_CATEGORIES,
    advance=advance,
    summary=summary_text,
    category_press=CategoryPress,
    keep_text_press=KeepTextPress,
    photos_done_press=PhotosDonePress,
    review_press=ReviewPress,
    submit_choice=ReviewChoice.SUBMIT,
    # What each edit button clears; `advance` then asks for it again and returns to the summary.
    clears={
        ReviewChoice.CATEGORY: ("category", "mediation"),
        ReviewChoice.DESCRIPTION: ("description", "earlier_text"),
        ReviewChoice.PHOTOS: ("photos", "photos_done"),
        ReviewChoice.ANONYMITY: ("anonymous",),
        ReviewChoice.MEDIATION: ("mediation",),
    },
    photos_question="complaint-ask-photos",
)
