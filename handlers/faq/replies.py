"""The FAQ's replies and their buttons: an answer, "did you mean", "not sure", and what
happens when the resident presses "this did not help" or "ask staff".

What the resident sees:
- an answer, with a button for each request it leads to ("report a repair") and "this did
  not help"; a calmly worded safety question also gets the duty phone;
- "did you mean" with the closest topics and "ask staff"; choosing one edits the offer to
  show the choice and answers it;
- "not sure" with the office contact, "ask staff" first, then any related topics;
- "this did not help": a short thanks, then an apology with the office contact and "ask
  staff" (each button works once);
- "ask staff": the question goes to the staff flow as if typed, or the office contact.

Every question without a confident answer, and every "did not help", is kept for managers
(`courtyard kb unanswered`).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from pydantic import BaseModel

from bot.engine.buttons import ButtonData
from bot.engine.context import Context
from bot.engine.replies import Button, Keyboard, keyboard
from handlers.faq.knowledge import contact, kb_values, router_for
from handlers.offers import can_do
from knowledge.intent_ids import Intent
from knowledge.router import Decision
from storage.models import AnswerFeedback, UnansweredQuestion
from storage.repos.counters import upsert_increment

FLOW, ANSWERED = "faq", "answered"
QUESTION_KEEP = 1000


@dataclass(frozen=True, slots=True)
class ActionPress(ButtonData):
    """A button under an answer that starts a request's flow ("report a repair")."""

    prefix = "fa"
    intent: str


@dataclass(frozen=True, slots=True)
class SuggestionPress(ButtonData):
    """One of the "did you mean" topics (by position in the remembered list)."""

    prefix = "fd"
    choice: int
    nonce: str


@dataclass(frozen=True, slots=True)
class NotHelpfulPress(ButtonData):
    """ "This did not help" under an answer."""

    prefix = "fn"
    nonce: str


@dataclass(frozen=True, slots=True)
class AskStaffPress(ButtonData):
    """ "Ask staff": hands the remembered question to a person."""

    prefix = "fk"
    nonce: str


class Answered(BaseModel):
    """What the `answered` state keeps for the buttons under the last reply."""

    q: str = ""  # the resident's question
    topic: str | None = None  # the entry answered ("this did not help" counts against it)
    topics: list[str] = []  # the topics offered by "did you mean"


def _remember(ctx: Context, answered: Answered) -> None:
    ctx.conversation.begin(FLOW, ANSWERED)
    ctx.conversation.keep(answered)


def _answered(ctx: Context) -> Answered:
    """The kept state; empty when there is none (a press after the state moved on)."""
    if ctx.conversation.flow != FLOW:
        return Answered()
    return ctx.conversation.draft(Answered) or Answered()


def answer(ctx: Context, topic: str, text: str, decision: Decision | None, question: str) -> None:
    """The answer, with its actions and "this did not help"."""
    _remember(ctx, Answered(q=question[:QUESTION_KEEP], topic=topic))
    nonce = ctx.conversation.nonce
    entry = router_for(ctx).knowledge.entries[topic]
    # Only requests a registered flow can do: a button must never lead to "not here yet".
    rows = [
        [ctx.button(ctx.t(f"faq-action-{action.replace('.', '-')}"), ActionPress(action))]
        for action in entry.actions
        if can_do(ctx.services.flows, action)
    ]
    rows.append([ctx.button(ctx.t("faq-not-helpful"), NotHelpfulPress(nonce))])
    if decision is not None and decision.hazards:
        # A safety question ("电梯困人怎么办") might be a real one worded calmly.
        text = f"{text}\n\n{ctx.t('faq-safety-footer', duty_phone=contact(ctx)['duty_phone'])}"
    ctx.reply(text, keyboard(*rows))


def suggest(ctx: Context, decision: Decision) -> None:
    """ "Did you mean" with the closest topics, then "ask staff"."""
    topics = [t for t in (decision.topic, *(a.topic for a in decision.alternatives)) if t]
    _remember(ctx, Answered(q=decision.text[:QUESTION_KEEP], topics=topics))
    ctx.say("faq-did-you-mean", _topic_rows(ctx, topics, with_staff=True))


def not_sure(ctx: Context, decision: Decision) -> None:
    """ "Not sure" with the office contact, "ask staff" and any related topics."""
    topics = [t for t in (decision.topic, *(a.topic for a in decision.alternatives)) if t]
    _remember(ctx, Answered(q=decision.text[:QUESTION_KEEP], topics=topics))
    text = ctx.t("faq-not-sure", **contact(ctx))
    if topics:
        text = f"{text}\n{ctx.t('faq-not-sure-related')}"
    if decision.hazards:
        text = f"{text}\n\n{ctx.t('faq-safety-footer', duty_phone=contact(ctx)['duty_phone'])}"
    ctx.reply(text, _topic_rows(ctx, topics, with_staff=True, staff_first=True))


def _topic_rows(
    ctx: Context, topics: list[str], *, with_staff: bool, staff_first: bool = False
) -> Keyboard:
    knowledge = router_for(ctx).knowledge
    nonce = ctx.conversation.nonce
    rows = [
        [ctx.button(knowledge.title(topic, ctx.locale), SuggestionPress(i, nonce))]
        for i, topic in enumerate(topics)
    ]
    if with_staff:
        staff = [ctx.button(ctx.t("faq-ask-staff"), AskStaffPress(nonce))]
        rows = [staff, *rows] if staff_first else [*rows, staff]
    return keyboard(*rows)


def ask_staff_button(ctx: Context, question: str) -> Button:
    """An "ask staff" button for `question` (remembered until the next message)."""
    _remember(ctx, Answered(q=question[:QUESTION_KEEP]))
    return ctx.button(ctx.t("faq-ask-staff"), AskStaffPress(ctx.conversation.nonce))


def keep_question(
    ctx: Context,
    text: str,
    *,
    locale: str,
    topic: str | None,
    reason: str,
    score: float = 0.0,
) -> None:
    """Keeps a question the bot could not answer well, for managers to act on."""
    ctx.session.add(
        UnansweredQuestion(
            compound_id=ctx.compound.id if ctx.compound else None,
            text=text[:QUESTION_KEEP],
            locale=locale,
            best_topic=topic,
            score=score,
            reason=reason,
            at=ctx.services.clock(),
        )
    )


def keep_unanswered(ctx: Context, decision: Decision) -> None:
    """Keeps a question the router had no confident answer for."""
    keep_question(
        ctx,
        decision.text,
        locale=decision.locale,
        topic=decision.topic,
        reason="low_confidence",
        score=round(decision.score, 3),
    )


async def on_suggestion(ctx: Context, press: SuggestionPress) -> None:
    """Answers the topic the resident picked from "did you mean"."""
    answered = _answered(ctx)
    topics = answered.topics
    knowledge = router_for(ctx).knowledge
    if not 0 <= press.choice < len(topics) or topics[press.choice] not in knowledge.entries:
        ctx.toast(ctx.t("common-button-invalid"), alert=True)
        return
    topic = topics[press.choice]
    ctx.edit(ctx.t("faq-you-chose", title=knowledge.title(topic, ctx.locale)))
    question = answered.q
    text = knowledge.answer(topic, ctx.locale, kb_values(ctx))
    answer(ctx, topic, text, None, question=question)


async def on_not_helpful(ctx: Context, press: NotHelpfulPress) -> None:
    """Counts against the entry, keeps the question, and offers a person."""
    answered = _answered(ctx)
    topic, question = answered.topic, answered.q
    if not topic:
        ctx.toast(ctx.t("common-button-invalid"), alert=True)
        return
    if ctx.compound is not None:
        await upsert_increment(
            ctx.session,
            AnswerFeedback.not_helpful,
            key={"compound_id": ctx.compound.id, "topic": topic},
        )
    keep_question(ctx, question, locale=ctx.locale, topic=topic, reason="not_helpful")
    ctx.toast(ctx.t("faq-feedback-noted"))
    # A new nonce: the same "did not help" cannot be counted twice.
    _remember(ctx, Answered(q=question))
    ctx.say("faq-sorry", keyboard([ask_staff_button(ctx, question)]), **contact(ctx))


async def on_ask_staff(ctx: Context, press: AskStaffPress) -> None:
    """Hands the kept question to the staff flow (as if typed), or gives the office contact."""
    question = _answered(ctx).q
    ctx.conversation.finish()
    handler = ctx.services.flows.intents.get(Intent.HANDOFF)
    if handler is None:
        ctx.reply(ctx.t("faq-fallback-human-handoff", **contact(ctx)))
        return
    # The handoff flow reads the question from the message, so it gets one with that text.
    ctx.event = dataclasses.replace(ctx.event, text=question)
    await handler(ctx)
