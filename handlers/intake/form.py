"""The steps the repair and the complaint form share, written once: the category buttons, the
description (or the words the resident wrote before the form started), up to four photos,
the summary with its edit buttons, and filing the case.

An `Intake` names what differs between the two: the flow, the prefix of its locale ids, its
categories, its summary and which fields each edit button clears. Each form declares its own
step list (`handlers.forms`) from these shared steps and its own.
"""

from __future__ import annotations

import enum
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Annotated, Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from bot.engine.context import Context
from bot.engine.replies import Button, keyboard
from handlers.cases.rules import Draft as CaseDraft
from handlers.forms import Answer, Choice, Step, flag, form_button, nothing, one_of, reset
from handlers.intake.checks import (
    DESCRIPTION_MAX,
    DESCRIPTION_MIN,
    MAX_PHOTOS,
    admit,
    done_label,
    keep_photos,
    photo_receipt,
    response_time,
    submit,
    take_photos,
)
from handlers.widgets import in_rows, typed_text
from storage.models import Case, Compound

CHOOSING_CATEGORY = "choosing_category"
DESCRIBING_PROBLEM = "describing_problem"
ADDING_PHOTOS = "adding_photos"
CONFIRMING = "confirming"

Description = Annotated[str, Field(min_length=1, max_length=DESCRIPTION_MAX)]


class IntakeDraft(BaseModel):
    """What both forms hold. Keys a stored draft has and the model lacks are ignored."""

    model_config = ConfigDict(extra="ignore")

    compound_id: int
    category: str | None = None
    guess: str | None = None  # a category guessed from their words, to be confirmed
    description: Description | None = None
    # Words the resident wrote before the form started, offered as the description.
    earlier_text: Description | None = None
    photos: list[str] = Field(default_factory=list, max_length=MAX_PHOTOS)
    photos_done: bool = False


I = TypeVar("I", bound=IntakeDraft)  # noqa: E741


@dataclass(frozen=True)  # not slotted, so that `Intake[RepairDraft](...)` works too
class Intake(Generic[I]):
    """One intake form's shared steps: its flow, texts, categories and summary."""

    flow: str  # the conversation's flow and the form id of its buttons: "repair"
    command: str  # the command that opens it, for the link offered in a group chat
    name: str  # the prefix of its locale ids ("repair-ask-description") and category ids
    categories: tuple[str, ...]
    summary: Callable[[Context, I], str]  # the filled-in fields, one a line
    edits: Callable[[I], list[Any]]  # the summary's edit buttons (review choices)
    submit_choice: enum.Enum  # the summary's Submit
    clears: Mapping[Any, tuple[str, ...]]  # the draft fields each edit choice clears
    photos_question: str  # the locale id that asks for the first photo

    def category_name(self, ctx: Context, category: str) -> str:
        return ctx.t(f"case-category-{self.name}-{category}")

    def button(self, ctx: Context, label: str, field: str, value: object = "") -> Button:
        return form_button(ctx, self.flow, label, field, value)

    async def compound_id(self, ctx: Context) -> int | None:
        """The compound a resident who may file here files in; None after saying why not."""
        if not await admit(ctx, self.command) or ctx.compound is None:
            return None
        return ctx.compound.id

    # The steps.

    def category_step(self, *, text: Answer[I]) -> Step[I]:
        """The category: the one guessed from their words to confirm, or the list."""
        category = Choice("category", one_of(self.categories), self.take_category)
        return Step(
            CHOOSING_CATEGORY,
            needed=lambda d: d.category is None,
            ask=self.ask_category,
            text=text,
            choices=(category, Choice("guess", flag, self.take_guess)),
        )

    def description_step(self) -> Step[I]:
        return Step(
            DESCRIBING_PROBLEM,
            needed=lambda d: not d.description,
            ask=self.ask_description,
            text=self.describing_problem,
            choices=(Choice("keep_text", nothing, self.take_earlier_text),),
        )

    def photos_step(self) -> Step[I]:
        return Step(
            ADDING_PHOTOS,
            needed=lambda d: not d.photos_done,
            ask=self.ask_photos,
            text=self.adding_photos,
            choices=(Choice("photos_done", nothing, self.take_photos_done),),
            exits=((ADDING_PHOTOS, "a photo, at most four"),),
        )

    def confirming_step(
        self, review: type[enum.Enum], take: Callable[[Context, I, Any], Awaitable[bool]]
    ) -> Step[I]:
        """The summary: Submit, or an edit that clears a field and leads back here."""
        return Step(
            CONFIRMING,
            needed=lambda d: True,
            ask=self.ask_summary,
            choices=(Choice("review", review, take),),
            exits=(
                (CHOOSING_CATEGORY, "edit a field, then back to confirming"),
                ("[*]", "submit, case opened with its number and response time"),
            ),
        )

    # The questions.

    async def ask_category(self, ctx: Context, draft: I) -> None:
        """Confirms the category guessed from the resident's words; otherwise the category
        buttons, two a row, the question saying when words were already noted."""
        if draft.guess:
            ctx.say(
                f"{self.name}-guess",
                keyboard(
                    [self.button(ctx, ctx.t(f"{self.name}-guess-yes"), "guess", True)],
                    [self.button(ctx, ctx.t(f"{self.name}-guess-other"), "guess", False)],
                ),
                category=self.category_name(ctx, draft.guess),
            )
            return
        buttons = [
            self.button(ctx, self.category_name(ctx, c), "category", c) for c in self.categories
        ]
        noted = draft.description or draft.earlier_text
        key = f"{self.name}-ask-category-noted" if noted else f"{self.name}-ask-category"
        ctx.say(key, keyboard(*in_rows(buttons)))

    async def ask_description(self, ctx: Context, draft: I) -> None:
        """Asks what is wrong; words typed before the form started are offered for reuse."""
        if draft.earlier_text:
            keep = self.button(ctx, ctx.t("intake-keep-text"), "keep_text")
            ctx.say("intake-ask-description-earlier", keyboard([keep]), text=draft.earlier_text)
            return
        ctx.say(f"{self.name}-ask-description")

    def photos_done_button(self, ctx: Context, draft: I) -> Button:
        """ "Skip" while the form has no photo, "Done" once it has some."""
        return self.button(ctx, done_label(ctx, draft.photos), "photos_done")

    async def ask_photos(self, ctx: Context, draft: I) -> None:
        """Asks for up to four photos, one at a time, or for more when some were kept."""
        count = len(draft.photos)
        key = "intake-ask-more-photos" if count else self.photos_question
        buttons = keyboard([self.photos_done_button(ctx, draft)])
        ctx.say(key, buttons, count=count, limit=MAX_PHOTOS)

    async def ask_summary(self, ctx: Context, draft: I) -> None:
        """The filled-in form: Submit on a row of its own, then a button for each edit."""

        def b(choice: Any) -> Button:
            label = ctx.t(f"{self.name}-edit-{choice.name.lower()}")
            return self.button(ctx, label, "review", choice)

        buttons = keyboard([b(self.submit_choice)], *in_rows([b(c) for c in self.edits(draft)]))
        ctx.say(f"{self.name}-summary", buttons, summary=self.summary(ctx, draft))

    # The answers.

    async def take_category(self, ctx: Context, draft: I, category: str) -> bool:
        draft.category = category
        ctx.edit(ctx.t(f"{self.name}-field-category", value=self.category_name(ctx, category)))
        return True

    async def take_guess(self, ctx: Context, draft: I, accept: bool) -> bool:
        """The guessed category is right, or the resident wants to choose from the list."""
        guess, draft.guess = draft.guess, None
        if guess is None:
            ctx.toast(ctx.t("common-button-invalid"), alert=True)
            return False
        if accept:
            await self.take_category(ctx, draft, guess)
        return True

    def photo_only(self, ctx: Context, draft: I) -> bool:
        """Keeps the photos of a message sent where words are asked for; True when it held no
        words (the question is asked again). Its caption, if any, is still to be read."""
        if not ctx.event.photos:
            return False
        draft.photos = keep_photos(ctx, draft.photos)
        return not (ctx.event.text or "").strip()

    def typed_description(self, ctx: Context) -> str | None:
        return typed_text(ctx, minimum=DESCRIPTION_MIN, limit=DESCRIPTION_MAX)

    async def describing_problem(self, ctx: Context, draft: I) -> bool:
        """Takes the description; a photo is kept, and its caption is the description."""
        if self.photo_only(ctx, draft):
            return True
        text = self.typed_description(ctx)
        if text is None:
            return False
        draft.description, draft.earlier_text = text, None
        return True

    async def take_earlier_text(self, ctx: Context, draft: I, _: None) -> bool:
        """What the resident wrote before the form started becomes the description."""
        if not draft.earlier_text:
            ctx.toast(ctx.t("common-button-invalid"), alert=True)
            return False
        draft.description, draft.earlier_text = draft.earlier_text, None
        ctx.edit(ctx.t(f"{self.name}-field-description", value=draft.description))
        return True

    async def adding_photos(self, ctx: Context, draft: I) -> bool:
        """Collects up to four photos, one message each; a caption adds to the description."""
        if not ctx.event.photos:
            ctx.say("intake-photo-expected", keyboard([self.photos_done_button(ctx, draft)]))
            return False
        draft.photos, refused = take_photos(ctx, draft.photos)
        caption = (ctx.event.text or "").strip()
        if caption and not refused:
            combined = f"{draft.description}\n{caption}" if draft.description else caption
            if len(combined) <= DESCRIPTION_MAX:
                draft.description = combined
            else:
                ctx.say("intake-caption-too-long", limit=DESCRIPTION_MAX)
        photo_receipt(ctx, draft.photos, refused, self.photos_done_button(ctx, draft))
        return False

    async def take_photos_done(self, ctx: Context, draft: I, _: None) -> bool:
        draft.photos_done = True
        return True

    def edit(self, ctx: Context, draft: I, choice: Any) -> None:
        """Leaves the old summary readable, without buttons, and clears the field `choice`
        edits, so that the form asks for it again and then shows the summary once more."""
        ctx.edit(ctx.t(f"{self.name}-summary-editing", summary=self.summary(ctx, draft)))
        reset(draft, self.clears[choice])

    async def file(self, ctx: Context, compound: Compound, draft: I, case: CaseDraft) -> Case:
        """Opens the case. The summary stays, marked sent, and the resident hears the case's
        number and when staff will respond."""
        summary = self.summary(ctx, draft)
        ctx.conversation.finish()
        opened = await submit(ctx, compound, case)
        ctx.edit(ctx.t(f"{self.name}-summary-sent", summary=summary))
        ctx.say(
            f"{self.name}-created",
            number=opened.number,
            category=self.category_name(ctx, opened.category),
            due=response_time(opened, compound, ctx.locale),
        )
        return opened
