"""The complaint form's draft and the questions only it asks (anonymity, mediation). What it
shares with the repair form is in `handlers.intake.form`; its step list is in
`handlers.complaints.flow`.
"""

from __future__ import annotations

import enum
from typing import Annotated

from pydantic import AfterValidator

from bot.engine.context import Context
from bot.engine.replies import keyboard
from handlers.cases.categories import COMPLAINT_CATEGORIES, MEDIATION_CATEGORIES
from handlers.forms import one_of
from handlers.intake.form import Intake, IntakeDraft

FLOW = "complaint"
CHOOSING_ANONYMITY = "choosing_anonymity"
CHOOSING_MEDIATION = "choosing_mediation"
# Text that must be one of the complaint categories.
ComplaintCategory = Annotated[str, AfterValidator(one_of(COMPLAINT_CATEGORIES))]


class ReviewChoice(enum.StrEnum):
    SUBMIT = "s"
    CATEGORY = "c"
    DESCRIPTION = "d"
    PHOTOS = "p"
    ANONYMITY = "a"
    MEDIATION = "m"


class ComplaintDraft(IntakeDraft):
    """A complaint as far as the resident has filled it in."""

    category: ComplaintCategory | None = None
    guess: ComplaintCategory | None = None  # guessed from their words, to be confirmed
    anonymous: bool | None = None  # hidden from staff (managers still see who filed it)
    mediation: bool | None = None  # a manager mediates between neighbours

    @property
    def offers_mediation(self) -> bool:
        """Disputes between neighbours can be mediated; a parking or staff complaint cannot."""
        return self.category in MEDIATION_CATEGORIES


async def ask_anonymity(ctx: Context, draft: ComplaintDraft) -> None:
    _ask_yes_no(ctx, "anonymous")


async def ask_mediation(ctx: Context, draft: ComplaintDraft) -> None:
    _ask_yes_no(ctx, "mediation")


def _ask_yes_no(ctx: Context, field: str) -> None:
    """Asks whether the complaint should be anonymous, or mediated: Yes and No buttons."""
    ctx.say(
        f"complaint-ask-{field}",
        keyboard(
            [INTAKE.button(ctx, ctx.t(f"complaint-{field}-yes"), field, True)],
            [INTAKE.button(ctx, ctx.t(f"complaint-{field}-no"), field, False)],
        ),
    )


def yes_no(value: bool | None) -> str:
    return "yes" if value else "no"


def summary_text(ctx: Context, draft: ComplaintDraft) -> str:
    # Shown only once every field is filled in; the fallback merely keeps the types honest.
    category = INTAKE.category_name(ctx, draft.category or "other")
    lines = [
        ctx.t("complaint-field-category", value=category),
        ctx.t("complaint-field-description", value=draft.description or ""),
        ctx.t("complaint-field-photos", count=len(draft.photos)),
        ctx.t("complaint-field-anonymous", anonymous=yes_no(draft.anonymous)),
    ]
    if draft.offers_mediation:
        lines.append(ctx.t("complaint-field-mediation", requested=yes_no(draft.mediation)))
    return "\n".join(lines)


def summary_edits(draft: ComplaintDraft) -> list[ReviewChoice]:
    edits = [ReviewChoice.CATEGORY, ReviewChoice.DESCRIPTION, ReviewChoice.PHOTOS]
    edits.append(ReviewChoice.ANONYMITY)
    if draft.offers_mediation:
        edits.append(ReviewChoice.MEDIATION)
    return edits


INTAKE: Intake[ComplaintDraft] = Intake(
    flow=FLOW,
    command="complain",
    name="complaint",
    categories=COMPLAINT_CATEGORIES,
    summary=summary_text,
    edits=summary_edits,
    submit_choice=ReviewChoice.SUBMIT,
    # What each edit button clears; the form then asks for it again and returns to the summary.
    clears={
        ReviewChoice.CATEGORY: ("category", "guess", "mediation"),
        ReviewChoice.DESCRIPTION: ("description", "earlier_text"),
        ReviewChoice.PHOTOS: ("photos", "photos_done"),
        ReviewChoice.ANONYMITY: ("anonymous",),
        ReviewChoice.MEDIATION: ("mediation",),
    },
    photos_question="complaint-ask-photos",
)
