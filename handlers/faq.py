"""Free text: the router decides, this flow answers.

```mermaid
stateDiagram-v2
    [*] --> answered: a question answered, "did you mean", or "not sure"
    answered --> answered: the next message (routed afresh), a suggestion chosen
    answered --> [*]: "ask staff" (the inquiry flow takes over), a request's own flow
```
What the resident sees:
- a knowledge-base answer, with buttons for what it leads to ("report a repair") and
  "this did not help" (counted against the entry, the question kept, staff offered);
- "did you mean" with the three closest topics, or "not sure" with the office contact and
  "ask staff"; both keep the question for managers (`courtyard kb unanswered`);
- a request (repair, own bill, complaint, events, a person) goes to its flow; where that flow
  does not exist yet, an honest reply says what to do now (call the office, the duty phone);
- an emergency gets the safety instructions at once, even in the middle of another form.

`answered` only remembers the last question so that its buttons work (and work once); any
new message is routed from scratch. In a group the bot speaks when addressed, or, where the
compound allows it, answers confident knowledge-base questions unasked; personal matters go
to a private chat, and it stays within Telegram's 20 messages a minute per group.
"""

from __future__ import annotations

import dataclasses
import logging
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select

from bot.engine.buttons import ButtonData
from bot.engine.context import Context
from bot.engine.registry import Flows
from bot.engine.replies import Button, Keyboard, keyboard
from handlers.common import menu_keyboard, show_help
from knowledge.router import Decision, Router, Routers
from storage.models import AnswerFeedback, UnansweredQuestion

log = logging.getLogger(__name__)

FLOW, ANSWERED = "faq", "answered"
EMERGENCY = "emergency.report"
# Requests that concern one household: in a group they move to a private chat.
PERSONAL = frozenset({"repair.report", "fee.query", "complaint.file", "human.handoff"})
# The command that starts each request's flow, for buttons and deep links.
COMMANDS = {
    "repair.report": "repair",
    "fee.query": "fees",
    "complaint.file": "complain",
    "event.signup": "events",
    "human.handoff": "askstaff",
}
# Unasked answers in a group need more confidence than answers to the asker.
GROUP_AUTO_ANSWER_AT = 0.40
GROUP_LIMIT, GROUP_WINDOW = 20, timedelta(minutes=1)
QUESTION_KEEP = 1000
CONTACT = ("office_phone", "office_hours", "office_location", "duty_phone", "repair_hours")


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
    prefix = "fn"
    nonce: str


@dataclass(frozen=True, slots=True)
class AskStaffPress(ButtonData):
    prefix = "fk"
    nonce: str


class GroupBudget:
    """At most `limit` bot messages per group chat in any `window` (Telegram's group limit)."""

    def __init__(self, limit: int = GROUP_LIMIT, window: timedelta = GROUP_WINDOW) -> None:
        self.limit, self.window = limit, window
        self._sent: dict[int, deque[datetime]] = {}

    def allow(self, chat_id: int, now: datetime) -> bool:
        sent = self._sent.setdefault(chat_id, deque())
        while sent and now - sent[0] >= self.window:
            sent.popleft()
        if len(sent) >= self.limit:
            return False
        sent.append(now)
        return True


def routers(ctx: Context) -> Routers:
    """The application's routers; services built by hand get the process-wide shared ones."""
    if ctx.services.router is None:
        ctx.services.router = Routers.shared(ctx.services.settings.kb_local_dir)
    return ctx.services.router


def router_for(ctx: Context) -> Router:
    """The router for the compound of this chat (its own entries, if it has any)."""
    return routers(ctx).get(ctx.compound.code if ctx.compound else None)


def kb_values(ctx: Context) -> Mapping[str, Any]:
    """The compound's values for knowledge-base placeholders (office phone, hours, ...)."""
    return ((ctx.compound.settings or {}) if ctx.compound else {}).get("kb") or {}


def contact(ctx: Context) -> dict[str, str]:
    """The office phone, hours and place, the duty phone and repair hours, in ctx.locale."""
    placeholders = router_for(ctx).knowledge.placeholders
    values = kb_values(ctx)
    return {name: placeholders.value(name, ctx.locale, values) or "" for name in CONTACT}


def _budget(ctx: Context) -> GroupBudget:
    return ctx.services.extras.setdefault("faq.group_budget", GroupBudget())


async def on_text(ctx: Context) -> None:
    """Routes a message nobody else claimed and replies as the decision says."""
    text = (ctx.event.text or "").strip()
    if not text:
        return
    decision = router_for(ctx).route(text, compound=kb_values(ctx), locale_hint=ctx.locale)
    if not _may_speak(ctx, decision):
        return
    # Answer in the language the message was written in.
    ctx.locale = decision.locale
    await reply(ctx, decision)


async def answered(ctx: Context) -> None:
    """A new message after an answer is handled as if there were no conversation: the
    `answered` state only keeps the question for the buttons, so the messages other flows
    claim outside a conversation (a reply to a case card) still reach them."""
    for claim in ctx.services.flows.claims:
        if await claim(ctx):
            return
    if ctx.event.text:
        await on_text(ctx)
    else:
        ctx.conversation.finish()
        if ctx.event.is_private or ctx.event.addressed:
            ctx.say("common-photo-without-flow")


def _may_speak(ctx: Context, decision: Decision) -> bool:
    """Private chats always; groups when addressed, or for a confident answer where the
    compound turned unasked answers on; an emergency always. Never over the group budget."""
    if ctx.event.is_private:
        return True
    emergency = decision.intent == EMERGENCY
    if not (ctx.event.addressed or emergency):
        settings = (ctx.compound.settings or {}) if ctx.compound else {}
        confident = decision.outcome == "answer" and decision.score >= GROUP_AUTO_ANSWER_AT
        if not (settings.get("group_auto_answer") and confident):
            return False
    allowed = _budget(ctx).allow(ctx.chat_id, ctx.services.clock())
    if not allowed:
        log.info("group %s is over its message budget; not answering", ctx.chat_id)
    # An emergency is answered even over the budget: the messenger may delay it, not drop it.
    return allowed or emergency


async def reply(ctx: Context, decision: Decision) -> None:
    """Says what the decision calls for: an answer, a choice, a flow, or the office contact."""
    intent = decision.intent
    if intent == EMERGENCY:
        await report_emergency(ctx, decision.emergency)
    elif intent == "smalltalk":
        await _smalltalk(ctx, decision.smalltalk or "greeting")
    elif intent in COMMANDS:
        await _request(ctx, intent)
    elif decision.outcome == "answer" and decision.topic:
        _answer(ctx, decision.topic, decision.answer or "", decision, question=decision.text)
    elif decision.outcome == "suggest":
        _keep(ctx, decision, reason="low_confidence")
        _suggest(ctx, decision)
    else:
        _keep(ctx, decision, reason="low_confidence")
        _not_sure(ctx, decision)


async def report_emergency(ctx: Context, kind: str | None) -> None:
    """The emergency flow when there is one; otherwise the safety instructions, the numbers
    to call and the duty phone, in one message, at once."""
    handler = ctx.services.flows.intents.get(EMERGENCY)
    if ctx.conversation.flow == FLOW:
        ctx.conversation.finish()
    if handler is not None:
        await handler(ctx)
        return
    parts = [ctx.t("faq-emergency-title")]
    if kind:
        parts.append(ctx.t(f"faq-emergency-{kind}"))
    parts.append(ctx.t("faq-emergency-call", duty_phone=contact(ctx)["duty_phone"]))
    ctx.reply("\n\n".join(p.strip() for p in parts))


async def emergency_interrupt(ctx: Context) -> bool:
    """An emergency typed in the middle of any form is answered before the form sees it."""
    text = ctx.event.text or ""
    if not text or not router_for(ctx).is_emergency(text):
        return False
    decision = router_for(ctx).route(text, compound=kb_values(ctx), locale_hint=ctx.locale)
    ctx.locale = decision.locale
    await report_emergency(ctx, decision.emergency)
    return True


async def _smalltalk(ctx: Context, kind: str) -> None:
    """Thanks, "who are you", help, or a greeting with the menu."""
    if ctx.conversation.flow == FLOW:
        ctx.conversation.finish()
    if kind == "help":
        await show_help(ctx)
    elif kind in ("thanks", "who"):
        ctx.say(f"faq-smalltalk-{kind}")
    else:
        ctx.say("faq-smalltalk-greeting", menu_keyboard(ctx) if ctx.event.is_private else ())


async def _request(ctx: Context, intent: str) -> None:
    """A request goes to its flow; in a group, a personal one moves to a private chat."""
    if ctx.conversation.flow == FLOW:
        ctx.conversation.finish()
    if not ctx.event.is_private and intent in PERSONAL:
        command = COMMANDS[intent]
        payload = command if command in ctx.services.flows.commands else "help"
        link = ctx.services.deep_link(payload)
        ctx.say("faq-group-private", keyboard([Button(ctx.t("common-open-private"), url=link)]))
        return
    handler = ctx.services.flows.intents.get(intent)
    if handler is not None:
        await handler(ctx)
        return
    _fallback(ctx, intent)


def _fallback(ctx: Context, intent: str) -> None:
    """No flow for this request yet: say plainly what to do now; never pretend it is done."""
    buttons: Keyboard = ()
    if intent != "human.handoff" and "human.handoff" in ctx.services.flows.intents:
        buttons = keyboard([_ask_staff_button(ctx, ctx.event.text or "")])
    ctx.say(f"faq-fallback-{intent.replace('.', '-')}", buttons, **contact(ctx))


def _answer(ctx: Context, topic: str, text: str, decision: Decision | None, question: str) -> None:
    ctx.conversation.begin(FLOW, ANSWERED, q=question[:QUESTION_KEEP], topic=topic)
    nonce = ctx.conversation.nonce
    entry = router_for(ctx).knowledge.entries[topic]
    rows = [
        [ctx.button(ctx.t(f"faq-action-{action.replace('.', '-')}"), ActionPress(action))]
        for action in entry.actions
    ]
    rows.append([ctx.button(ctx.t("faq-not-helpful"), NotHelpfulPress(nonce))])
    if decision is not None and decision.emergency:
        # A safety question ("电梯困人怎么办") might be a real one worded calmly.
        text = f"{text}\n\n{ctx.t('faq-safety-footer', duty_phone=contact(ctx)['duty_phone'])}"
    ctx.reply(text, keyboard(*rows))


def _suggest(ctx: Context, decision: Decision) -> None:
    topics = [t for t in (decision.topic, *(a.topic for a in decision.alternatives)) if t]
    ctx.conversation.begin(FLOW, ANSWERED, q=decision.text[:QUESTION_KEEP], topics=topics)
    ctx.say("faq-did-you-mean", _topic_rows(ctx, topics, with_staff=True))


def _not_sure(ctx: Context, decision: Decision) -> None:
    topics = [t for t in (decision.topic, *(a.topic for a in decision.alternatives)) if t]
    ctx.conversation.begin(FLOW, ANSWERED, q=decision.text[:QUESTION_KEEP], topics=topics)
    text = ctx.t("faq-not-sure", **contact(ctx))
    if topics:
        text = f"{text}\n{ctx.t('faq-not-sure-related')}"
    if decision.emergency:
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


def _ask_staff_button(ctx: Context, question: str) -> Button:
    ctx.conversation.begin(FLOW, ANSWERED, q=question[:QUESTION_KEEP])
    return ctx.button(ctx.t("faq-ask-staff"), AskStaffPress(ctx.conversation.nonce))


def _keep(ctx: Context, decision: Decision, *, reason: str) -> None:
    """Keeps a question the bot could not answer confidently, for managers to act on."""
    ctx.session.add(
        UnansweredQuestion(
            compound_id=ctx.compound.id if ctx.compound else None,
            text=decision.text[:QUESTION_KEEP],
            locale=decision.locale,
            best_topic=decision.topic,
            score=round(decision.score, 3),
            reason=reason,
            at=ctx.services.clock(),
        )
    )


async def on_suggestion(ctx: Context, press: SuggestionPress) -> None:
    """Answers the topic the resident picked from "did you mean"."""
    topics = ctx.conversation.data.get("topics") or []
    knowledge = router_for(ctx).knowledge
    if not 0 <= press.choice < len(topics) or topics[press.choice] not in knowledge.entries:
        ctx.toast(ctx.t("common-button-invalid"), alert=True)
        return
    topic = topics[press.choice]
    ctx.edit(ctx.t("faq-you-chose", title=knowledge.title(topic, ctx.locale)))
    question = ctx.conversation.data.get("q") or ""
    text = knowledge.answer(topic, ctx.locale, kb_values(ctx))
    _answer(ctx, topic, text, None, question=question)


async def on_not_helpful(ctx: Context, press: NotHelpfulPress) -> None:
    """Counts against the entry, keeps the question, and offers a person."""
    topic = ctx.conversation.data.get("topic")
    question = ctx.conversation.data.get("q") or ""
    if not topic:
        ctx.toast(ctx.t("common-button-invalid"), alert=True)
        return
    if ctx.compound is not None:
        feedback = await ctx.session.scalar(
            select(AnswerFeedback).where(
                AnswerFeedback.compound_id == ctx.compound.id, AnswerFeedback.topic == topic
            )
        )
        if feedback is None:
            feedback = AnswerFeedback(compound_id=ctx.compound.id, topic=topic, not_helpful=0)
            ctx.session.add(feedback)
        feedback.not_helpful = (feedback.not_helpful or 0) + 1
    ctx.session.add(
        UnansweredQuestion(
            compound_id=ctx.compound.id if ctx.compound else None,
            text=question,
            locale=ctx.locale,
            best_topic=topic,
            reason="not_helpful",
            at=ctx.services.clock(),
        )
    )
    ctx.toast(ctx.t("faq-feedback-noted"))
    # A new nonce: the same "did not help" cannot be counted twice.
    ctx.conversation.begin(FLOW, ANSWERED, q=question)
    ctx.say("faq-sorry", keyboard([_ask_staff_button(ctx, question)]), **contact(ctx))


async def on_ask_staff(ctx: Context, press: AskStaffPress) -> None:
    """Hands the kept question to the staff flow (as if typed), or gives the office contact."""
    question = ctx.conversation.data.get("q") or ""
    ctx.conversation.finish()
    handler = ctx.services.flows.intents.get("human.handoff")
    if handler is None:
        ctx.say("faq-fallback-human-handoff", **contact(ctx))
        return
    # The handoff flow reads the question from the message, so it gets one with that text.
    ctx.event = dataclasses.replace(ctx.event, text=question)
    await handler(ctx)


async def on_action(ctx: Context, press: ActionPress) -> None:
    """A button under an answer: the request's command, its flow, or the honest fallback."""
    intent = press.intent
    if intent not in COMMANDS:
        ctx.toast(ctx.t("common-button-invalid"), alert=True)
        return
    if ctx.conversation.flow == FLOW:
        ctx.conversation.finish()
    command = ctx.services.flows.commands.get(COMMANDS[intent])
    if command is not None and (ctx.event.is_private or not command.private_only):
        await command.handler(ctx)
        return
    await _request(ctx, intent)


def register(flows: Flows) -> None:
    flows.text = on_text
    flows.step(FLOW, ANSWERED, answered)
    flows.interrupt(emergency_interrupt)
    flows.press(ActionPress, on_action)
    flows.press(SuggestionPress, on_suggestion)
    flows.press(NotHelpfulPress, on_not_helpful)
    flows.press(AskStaffPress, on_ask_staff)
