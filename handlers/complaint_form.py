"""The complaint form: its buttons, the question of every step, and which step comes next.

Like the repair form it lives in the conversation's data and `advance` asks for the first
thing still missing, so editing a field from the summary leads back to the summary.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from bot.engine.buttons import ButtonData
from bot.engine.context import Context
from bot.engine.replies import Button, Keyboard, keyboard
from handlers.cases.categories import COMPLAINT_CATEGORIES, MEDIATION_CATEGORIES
from handlers.intake import MAX_PHOTOS, done_label

FLOW = "complaint"
CHOOSING_CATEGORY = "choosing_category"
DESCRIBING_PROBLEM = "describing_problem"
ADDING_PHOTOS = "adding_photos"
CHOOSING_ANONYMITY = "choosing_anonymity"
CHOOSING_MEDIATION = "choosing_mediation"
CONFIRMING = "confirming"


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


def category_name(ctx: Context, category: str) -> str:
    return ctx.t(f"case-category-complaint-{category}")


def offers_mediation(category: str | None) -> bool:
    """Disputes between neighbours can be mediated; a parking or staff complaint cannot."""
    return category in MEDIATION_CATEGORIES


async def advance(ctx: Context) -> None:
    """Asks for the first thing the complaint still lacks; shows the summary when complete."""
    data = ctx.conversation.data
    if not data.get("category"):
        ask_category(ctx)
    elif not data.get("description"):
        ask_description(ctx)
    elif not data.get("photos_done"):
        ask_photos(ctx)
    elif data.get("anonymous") is None:
        ask_anonymity(ctx)
    elif offers_mediation(data["category"]) and data.get("mediation") is None:
        ask_mediation(ctx)
    else:
        show_summary(ctx)


def ask_category(ctx: Context) -> None:
    ctx.conversation.goto(CHOOSING_CATEGORY)
    nonce = ctx.conversation.nonce
    buttons = [
        ctx.button(category_name(ctx, c), CategoryPress(c, nonce)) for c in COMPLAINT_CATEGORIES
    ]
    rows = [buttons[i : i + 2] for i in range(0, len(buttons), 2)]
    data = ctx.conversation.data
    noted = data.get("description") or data.get("earlier_text")
    ctx.say("complaint-ask-category-noted" if noted else "complaint-ask-category", keyboard(*rows))


def ask_description(ctx: Context) -> None:
    """Asks what happened; words typed before the form started are offered for reuse."""
    ctx.conversation.goto(DESCRIBING_PROBLEM)
    earlier = ctx.conversation.data.get("earlier_text")
    if earlier:
        keep = ctx.button(ctx.t("intake-keep-text"), KeepTextPress(ctx.conversation.nonce))
        ctx.say("intake-ask-description-earlier", keyboard([keep]), text=earlier)
        return
    ctx.say("complaint-ask-description")


def photos_done_button(ctx: Context) -> Button:
    photos = ctx.conversation.data.get("photos", [])
    return ctx.button(done_label(ctx, photos), PhotosDonePress(ctx.conversation.nonce))


def ask_photos(ctx: Context) -> None:
    ctx.conversation.goto(ADDING_PHOTOS)
    count = len(ctx.conversation.data.get("photos", []))
    key = "intake-ask-more-photos" if count else "complaint-ask-photos"
    ctx.say(key, keyboard([photos_done_button(ctx)]), count=count, limit=MAX_PHOTOS)


def ask_anonymity(ctx: Context) -> None:
    ctx.conversation.goto(CHOOSING_ANONYMITY)
    nonce = ctx.conversation.nonce
    ctx.say(
        "complaint-ask-anonymous",
        keyboard(
            [ctx.button(ctx.t("complaint-anonymous-yes"), AnonymityPress(True, nonce))],
            [ctx.button(ctx.t("complaint-anonymous-no"), AnonymityPress(False, nonce))],
        ),
    )


def ask_mediation(ctx: Context) -> None:
    ctx.conversation.goto(CHOOSING_MEDIATION)
    nonce = ctx.conversation.nonce
    ctx.say(
        "complaint-ask-mediation",
        keyboard(
            [ctx.button(ctx.t("complaint-mediation-yes"), MediationPress(True, nonce))],
            [ctx.button(ctx.t("complaint-mediation-no"), MediationPress(False, nonce))],
        ),
    )


def summary_text(ctx: Context) -> str:
    data = ctx.conversation.data
    lines = [
        ctx.t("complaint-field-category", value=category_name(ctx, data["category"])),
        ctx.t("complaint-field-description", value=data["description"]),
        ctx.t("complaint-field-photos", count=len(data.get("photos", []))),
        ctx.t("complaint-field-anonymous", anonymous="yes" if data.get("anonymous") else "no"),
    ]
    if offers_mediation(data["category"]):
        lines.append(
            ctx.t("complaint-field-mediation", requested="yes" if data.get("mediation") else "no")
        )
    return "\n".join(lines)


def show_summary(ctx: Context) -> None:
    ctx.conversation.goto(CONFIRMING)
    ctx.say("complaint-summary", _review_keyboard(ctx), summary=summary_text(ctx))


def _review_keyboard(ctx: Context) -> Keyboard:
    nonce = ctx.conversation.nonce

    def b(choice: ReviewChoice) -> Button:
        return ctx.button(
            ctx.t(f"complaint-edit-{choice.name.lower()}"), ReviewPress(choice, nonce)
        )

    edits = [ReviewChoice.CATEGORY, ReviewChoice.DESCRIPTION, ReviewChoice.PHOTOS]
    edits.append(ReviewChoice.ANONYMITY)
    if offers_mediation(ctx.conversation.data.get("category")):
        edits.append(ReviewChoice.MEDIATION)
    buttons = [b(choice) for choice in edits]
    rows = [buttons[i : i + 2] for i in range(0, len(buttons), 2)]
    return keyboard([b(ReviewChoice.SUBMIT)], *rows)
