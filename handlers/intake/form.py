"""The steps the repair and the complaint form share, written once: the category buttons, the
description (or the words the resident wrote before the form started), up to four photos,
the summary with its edit buttons, and filing the case.

A `Form` names what differs between the two: the flow, the prefix of its locale ids, its
buttons, and its `advance`, which asks for the first thing the form still lacks. After every
answer the resident sees that next question; editing a field from the summary clears it, so
`advance` asks for it again and then shows the summary once more.
"""

from __future__ import annotations

import enum
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

from bot.engine.buttons import ButtonData
from bot.engine.context import Context
from bot.engine.registry import Flows
from bot.engine.replies import Button, keyboard
from handlers.cases.rules import Draft
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
from handlers.widgets import at_step, in_rows, typed_text, use_buttons
from storage.models import Case, Compound

CHOOSING_CATEGORY = "choosing_category"
DESCRIBING_PROBLEM = "describing_problem"
ADDING_PHOTOS = "adding_photos"
CONFIRMING = "confirming"


@dataclass(frozen=True, slots=True)
class Form:
    """One intake form: what it calls its flow, texts and buttons, and its own `advance`."""

    flow: str  # the conversation's flow: "repair", "complaint"
    command: str  # the command that opens it, for the link offered in a group chat
    name: str  # the prefix of its locale ids ("repair-ask-description") and category ids
    categories: tuple[str, ...]
    advance: Callable[[Context], Awaitable[None]]
    summary: Callable[[Context], str]  # the filled-in fields, one a line
    # Its buttons, built as CategoryPress(category, nonce), KeepTextPress(nonce),
    # PhotosDonePress(nonce) and ReviewPress(choice, nonce).
    category_press: type[Any]
    keep_text_press: type[Any]
    photos_done_press: type[Any]
    review_press: type[Any]
    submit_choice: enum.Enum  # the summary's Submit; every other choice edits a field
    clears: Mapping[Any, tuple[str, ...]]  # what each edit choice clears
    photos_question: str  # the locale id that asks for the first photo

    def category_name(self, ctx: Context, category: str) -> str:
        return ctx.t(f"case-category-{self.name}-{category}")

    async def begin(self, ctx: Context) -> bool:
        """Starts an empty form for a resident who may file here; False after saying why not."""
        if not await admit(ctx, self.command):
            return False
        assert ctx.compound is not None
        ctx.conversation.begin(self.flow, CHOOSING_CATEGORY, compound_id=ctx.compound.id, photos=[])
        return True

    # The questions.

    def ask_category(self, ctx: Context) -> None:
        """The category buttons, two a row; the question says when words were already noted."""
        ctx.conversation.goto(CHOOSING_CATEGORY)
        nonce, data = ctx.conversation.nonce, ctx.conversation.data
        buttons = [
            ctx.button(self.category_name(ctx, c), self.category_press(c, nonce))
            for c in self.categories
        ]
        noted = data.get("description") or data.get("earlier_text")
        key = f"{self.name}-ask-category-noted" if noted else f"{self.name}-ask-category"
        ctx.say(key, keyboard(*in_rows(buttons)))

    def ask_description(self, ctx: Context) -> None:
        """Asks what is wrong; words typed before the form started are offered for reuse."""
        ctx.conversation.goto(DESCRIBING_PROBLEM)
        earlier = ctx.conversation.data.get("earlier_text")
        if earlier:
            press = self.keep_text_press(ctx.conversation.nonce)
            keep = ctx.button(ctx.t("intake-keep-text"), press)
            ctx.say("intake-ask-description-earlier", keyboard([keep]), text=earlier)
            return
        ctx.say(f"{self.name}-ask-description")

    def photos_done_button(self, ctx: Context) -> Button:
        """ "Skip" while the form has no photo, "Done" once it has some."""
        photos = ctx.conversation.data.get("photos", [])
        return ctx.button(done_label(ctx, photos), self.photos_done_press(ctx.conversation.nonce))

    def ask_photos(self, ctx: Context) -> None:
        """Asks for up to four photos, one at a time, or for more when some were kept."""
        ctx.conversation.goto(ADDING_PHOTOS)
        count = len(ctx.conversation.data.get("photos", []))
        key = "intake-ask-more-photos" if count else self.photos_question
        ctx.say(key, keyboard([self.photos_done_button(ctx)]), count=count, limit=MAX_PHOTOS)

    def show_summary(self, ctx: Context, edits: list[Any]) -> None:
        """The filled-in form: Submit on a row of its own, then a button for each of `edits`."""
        ctx.conversation.goto(CONFIRMING)
        nonce = ctx.conversation.nonce

        def b(choice: Any) -> Button:
            label = ctx.t(f"{self.name}-edit-{choice.name.lower()}")
            return ctx.button(label, self.review_press(choice, nonce))

        buttons = keyboard([b(self.submit_choice)], *in_rows([b(c) for c in edits]))
        ctx.say(f"{self.name}-summary", buttons, summary=self.summary(ctx))

    # The answers.

    async def on_category(self, ctx: Context, press: Any) -> None:
        if not at_step(ctx, self.flow, CHOOSING_CATEGORY) or press.category not in self.categories:
            return
        ctx.conversation.update(category=press.category)
        name = self.category_name(ctx, press.category)
        ctx.edit(ctx.t(f"{self.name}-field-category", value=name))
        await self.advance(ctx)

    async def description(self, ctx: Context) -> str | None:
        """The description a message gives: its text, or a photo's caption (the photo is kept).
        None when it gives none: the resident was told why, or a bare photo moved the form on."""
        if ctx.event.photos:
            photos = keep_photos(ctx, ctx.conversation.data.get("photos", []))
            ctx.conversation.update(photos=photos)
            if not (ctx.event.text or "").strip():
                await self.advance(ctx)
                return None
        return typed_text(ctx, minimum=DESCRIPTION_MIN, limit=DESCRIPTION_MAX)

    async def describing_problem(self, ctx: Context) -> None:
        """Takes the description; a photo is kept, and its caption is the description."""
        text = await self.description(ctx)
        if text is None:
            return
        ctx.conversation.update(description=text, earlier_text=None)
        await self.advance(ctx)

    async def on_keep_text(self, ctx: Context, press: ButtonData) -> None:
        """What the resident wrote before the form started becomes the description."""
        earlier = ctx.conversation.data.get("earlier_text")
        if not at_step(ctx, self.flow, DESCRIBING_PROBLEM) or not earlier:
            return
        ctx.conversation.update(description=earlier, earlier_text=None)
        ctx.edit(ctx.t(f"{self.name}-field-description", value=earlier))
        await self.advance(ctx)

    async def adding_photos(self, ctx: Context) -> None:
        """Collects up to four photos, one message each; a caption adds to the description."""
        data = ctx.conversation.data
        if not ctx.event.photos:
            ctx.say("intake-photo-expected", keyboard([self.photos_done_button(ctx)]))
            return
        photos, refused = take_photos(ctx, data.get("photos", []))
        ctx.conversation.update(photos=photos)
        caption = (ctx.event.text or "").strip()
        if caption and not refused:
            combined = f"{data['description']}\n{caption}" if data.get("description") else caption
            if len(combined) <= DESCRIPTION_MAX:
                ctx.conversation.update(description=combined)
            else:
                ctx.say("intake-caption-too-long", limit=DESCRIPTION_MAX)
        photo_receipt(ctx, photos, refused, self.photos_done_button(ctx))

    async def on_photos_done(self, ctx: Context, press: ButtonData) -> None:
        if not at_step(ctx, self.flow, ADDING_PHOTOS):
            return
        ctx.conversation.update(photos_done=True)
        await self.advance(ctx)

    async def expecting_a_button(self, ctx: Context) -> None:
        """Typed text or a photo where a button is expected: says so and asks again."""
        use_buttons(ctx)
        await self.advance(ctx)

    async def reviewed(self, ctx: Context, press: Any) -> bool:
        """True when the resident pressed Submit under the summary. An edit button leaves the
        old summary readable, without buttons, and asks again for the field it clears."""
        if not at_step(ctx, self.flow, CONFIRMING):
            return False
        if press.choice is self.submit_choice:
            return True
        ctx.edit(ctx.t(f"{self.name}-summary-editing", summary=self.summary(ctx)))
        cleared: dict[str, Any] = dict.fromkeys(self.clears[press.choice])
        if "photos" in cleared:
            cleared["photos"] = []  # the form always holds a list of photos
        ctx.conversation.update(**cleared)
        await self.advance(ctx)
        return False

    async def file(self, ctx: Context, compound: Compound, draft: Draft) -> Case:
        """Opens the case. The summary stays, marked sent, and the resident hears the case's
        number and when staff will respond."""
        summary = self.summary(ctx)
        ctx.conversation.finish()
        case = await submit(ctx, compound, draft)
        ctx.edit(ctx.t(f"{self.name}-summary-sent", summary=summary))
        ctx.say(
            f"{self.name}-created",
            number=case.number,
            category=self.category_name(ctx, case.category),
            due=response_time(case, compound),
        )
        return case

    def register(self, flows: Flows, button_steps: tuple[str, ...]) -> None:
        """The shared buttons and steps; `button_steps` (and the summary) take only presses.
        The form registers its own start, Submit and what else it asks."""
        flows.press(self.category_press, self.on_category)
        flows.press(self.keep_text_press, self.on_keep_text)
        flows.press(self.photos_done_press, self.on_photos_done)
        flows.step(self.flow, DESCRIBING_PROBLEM, self.describing_problem)
        flows.step(self.flow, ADDING_PHOTOS, self.adding_photos)
        for step in (*button_steps, CONFIRMING):
            flows.step(self.flow, step, self.expecting_a_button)
