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

The replies and their buttons are in `handlers.faq.replies`, the group rules in
`handlers.faq.group`, the compound's knowledge base and contact in `handlers.faq.knowledge`.
"""

from __future__ import annotations

from bot.engine.context import Context
from bot.engine.registry import Flows
from bot.engine.replies import Keyboard, keyboard
from handlers.emergencies.advice import safety_advice
from handlers.faq.group import (
    GroupBudget,
    may_speak,
    moves_to_private,
    offer_private_chat,
)
from handlers.faq.knowledge import contact, kb_values, router_for
from handlers.faq.replies import (
    ANSWERED,
    FLOW,
    ActionPress,
    AskStaffPress,
    NotHelpfulPress,
    SuggestionPress,
    answer,
    ask_staff_button,
    keep_unanswered,
    not_sure,
    on_ask_staff,
    on_not_helpful,
    on_suggestion,
    suggest,
)
from handlers.menu import menu_keyboard, show_help
from handlers.offers import REQUEST_COMMANDS
from knowledge.intent_ids import Intent
from knowledge.router import Decision

# GroupBudget is re-exported: tests build a budget of their own from here.
__all__ = ["GroupBudget", "emergency_interrupt", "register", "reply", "report_emergency"]

# The command that starts each request's flow, for buttons and deep links.
COMMANDS = REQUEST_COMMANDS


async def on_text(ctx: Context) -> None:
    """Routes a message nobody else claimed and replies as the decision says."""
    text = (ctx.event.text or "").strip()
    if not text:
        return
    decision = await router_for(ctx).route_async(
        text, compound=kb_values(ctx), locale_hint=ctx.locale
    )
    if not may_speak(ctx, decision):
        return
    # Answer in the language the message was written in; a message in no language the router
    # knows (keyboard mash, "asdkjh") is answered in the person's own.
    if decision.intent is not Intent.UNKNOWN:
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


async def reply(ctx: Context, decision: Decision) -> None:
    """Says what the decision calls for: an answer, a choice, a flow, or the office contact."""
    intent = decision.intent
    if intent is Intent.EMERGENCY:
        await report_emergency(ctx, decision)
    elif intent is Intent.SMALLTALK:
        await _smalltalk(ctx, decision.smalltalk or "greeting")
    elif intent in COMMANDS:
        await _request(ctx, intent)
    elif decision.outcome == "answer" and decision.topic:
        answer(ctx, decision.topic, decision.answer or "", decision, question=decision.text)
    elif decision.outcome == "suggest":
        keep_unanswered(ctx, decision)
        suggest(ctx, decision)
    else:
        keep_unanswered(ctx, decision)
        not_sure(ctx, decision)


async def report_emergency(ctx: Context, decision: Decision) -> None:
    """The emergency flow when there is one, given the hazards and the place the router found;
    otherwise the safety advice for those hazards, the numbers to call and the duty phone, in
    one message, at once."""
    handler = ctx.services.flows.routed.get(Intent.EMERGENCY)
    if ctx.conversation.flow == FLOW:
        ctx.conversation.finish()
    if handler is not None:
        await handler(ctx, decision)
        return
    parts = safety_advice(ctx.t, decision.hazards)
    parts.append(ctx.t("faq-emergency-call", duty_phone=contact(ctx)["duty_phone"]))
    ctx.reply("\n\n".join(p.strip() for p in parts))


async def emergency_interrupt(ctx: Context) -> bool:
    """An emergency typed in the middle of any form is answered before the form sees it."""
    text = ctx.event.text or ""
    if not text or not router_for(ctx).is_emergency(text):
        return False
    decision = await router_for(ctx).route_async(
        text, compound=kb_values(ctx), locale_hint=ctx.locale
    )
    ctx.locale = decision.locale
    await report_emergency(ctx, decision)
    return True


async def _smalltalk(ctx: Context, kind: str) -> None:
    """Thanks, "who are you", help, a kind word for an emoji, or a greeting with the menu."""
    if ctx.conversation.flow == FLOW:
        ctx.conversation.finish()
    if kind == "help":
        await show_help(ctx)
    elif kind in ("thanks", "who"):
        ctx.say(f"faq-smalltalk-{kind}")
    elif kind == "reaction":
        ctx.say("faq-smalltalk-reaction", menu_keyboard(ctx) if ctx.event.is_private else ())
    else:
        ctx.say("faq-smalltalk-greeting", menu_keyboard(ctx) if ctx.event.is_private else ())


async def _request(ctx: Context, intent: Intent) -> None:
    """A request goes to its flow; in a group, a personal one moves to a private chat."""
    if ctx.conversation.flow == FLOW:
        ctx.conversation.finish()
    if moves_to_private(ctx, intent):
        offer_private_chat(ctx, COMMANDS[intent])
        return
    handler = ctx.services.flows.intents.get(intent)
    if handler is not None:
        await handler(ctx)
        return
    _fallback(ctx, intent)


def _fallback(ctx: Context, intent: Intent) -> None:
    """No flow for this request yet: say plainly what to do now; never pretend it is done."""
    buttons: Keyboard = ()
    if intent is not Intent.HANDOFF and Intent.HANDOFF in ctx.services.flows.intents:
        buttons = keyboard([ask_staff_button(ctx, ctx.event.text or "")])
    ctx.say(f"faq-fallback-{intent.replace('.', '-')}", buttons, **contact(ctx))


async def on_action(ctx: Context, press: ActionPress) -> None:
    """A button under an answer: the request's command, its flow, or the honest fallback."""
    intent = next((i for i in COMMANDS if i == press.intent), None)
    if intent is None:
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
    """Free text, the `answered` step, the emergency interrupt and the FAQ's buttons."""
    flows.text = on_text
    flows.step(FLOW, ANSWERED, answered)
    flows.interrupt(emergency_interrupt)
    flows.press(ActionPress, on_action)
    flows.press(SuggestionPress, on_suggestion)
    flows.press(NotHelpfulPress, on_not_helpful)
    flows.press(AskStaffPress, on_ask_staff)
