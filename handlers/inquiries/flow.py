"""Asking staff: a question the knowledge base could not answer becomes an inquiry case.

```mermaid
stateDiagram-v2
    [*] --> describing_question: "talk to a person" / "this did not help" / /askstaff
    describing_question --> [*]: the question is typed, or "send as it is"
```
The inquiry carries what the resident already asked. Staff answer through the case card
(a reply to the card or in its topic); the resident reads the answer as coming from the
property office, and can reply back.
"""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import BaseModel

from bot.engine.buttons import ButtonData
from bot.engine.context import Context
from bot.engine.registry import Flows
from bot.engine.replies import keyboard
from handlers.case_replies import publish, refuse
from handlers.cases import rules
from handlers.cases.cards import promised_time
from knowledge.intent_ids import Intent
from storage.models import CaseKind

FLOW = "inquiry"
DESCRIBING = "describing_question"
QUESTION_MAX = 1000


class InquiryDraft(BaseModel):
    """What the resident said before asking for a person, kept with the inquiry."""

    earlier: str = ""


@dataclass(frozen=True, slots=True)
class SendAsIsPress(ButtonData):
    """Send the inquiry with what the resident already said, without typing more."""

    prefix = "qs"
    nonce: str


async def ask_staff(ctx: Context, *, earlier: str | None = None) -> None:
    """Starts an inquiry. `earlier` is the question the resident already asked, if any."""
    if not ctx.event.is_private:
        ctx.say("common-private-only", ctx.private_chat_keyboard("askstaff"))
        return
    if ctx.compound is None:
        ctx.say("inquiry-no-compound")
        return
    if not await _allowed(ctx):
        return
    if not (ctx.actor.is_resident() or ctx.actor.staff):
        # An unbound person may still ask: the office can answer anyone from the compound,
        # but they should know that linking a home gets personal questions answered.
        ctx.say("inquiry-unbound-note")
    earlier = (earlier or ctx.event.text or "").strip()[:QUESTION_MAX]
    ctx.conversation.begin(FLOW, DESCRIBING)
    ctx.conversation.keep(InquiryDraft(earlier=earlier))
    if earlier:
        ctx.say(
            "inquiry-describe-with-earlier",
            keyboard(
                [ctx.button(ctx.t("inquiry-send-as-is"), SendAsIsPress(ctx.conversation.nonce))]
            ),
            earlier=earlier,
        )
    else:
        ctx.say("inquiry-describe")


async def on_handoff_intent(ctx: Context) -> None:
    """The router heard "I want a person": the message itself is kept as the question."""
    await ask_staff(ctx)


async def askstaff_command(ctx: Context) -> None:
    await ask_staff(ctx, earlier=ctx.event.args)


async def describing_question(ctx: Context) -> None:
    """Takes the question and files it with what was asked before."""
    text = " ".join((ctx.event.text or "").split())
    if ctx.event.photos and not text:
        ctx.say("inquiry-text-please")
        return
    if not text:
        ctx.say("inquiry-describe")
        return
    if len(text) > QUESTION_MAX:
        ctx.say("inquiry-too-long", limit=QUESTION_MAX)
        return
    draft = ctx.conversation.draft(InquiryDraft) or InquiryDraft()
    earlier = draft.earlier
    await _file(ctx, "\n".join(part for part in (earlier, text) if part))


async def on_send_as_is(ctx: Context, press: SendAsIsPress) -> None:
    draft = ctx.conversation.draft(InquiryDraft) or InquiryDraft()
    earlier = draft.earlier
    if ctx.conversation.step != DESCRIBING or not earlier:
        ctx.toast(ctx.t("common-button-invalid"), alert=True)
        return
    ctx.edit(ctx.t("inquiry-describe-sent", earlier=earlier))
    await _file(ctx, earlier)


async def _allowed(ctx: Context) -> bool:
    """Whether this person may file another question today; says why not otherwise."""
    try:
        await rules.check_unlinked_allowance(
            ctx.session, ctx.actor, CaseKind.INQUIRY, ctx.services.clock()
        )
    except rules.CaseRefused as refused:
        refuse(ctx, refused)
        return False
    return True


async def _file(ctx: Context, question: str) -> None:
    compound = ctx.compound
    if compound is None:
        ctx.conversation.finish()
        ctx.say("inquiry-no-compound")
        return
    if not await _allowed(ctx):
        ctx.conversation.finish()
        return
    units = ctx.actor.units
    draft = rules.Draft(
        kind=CaseKind.INQUIRY,
        category=CaseKind.INQUIRY.value,
        description=question,
        unit_id=units[0].id if len(units) == 1 else None,
    )
    change = await rules.open_case(
        ctx.session, compound=compound, resident=ctx.person, draft=draft, now=ctx.services.clock()
    )
    ctx.conversation.finish()
    await publish(ctx, change)
    ctx.say(
        "inquiry-filed",
        number=change.case.number,
        due=promised_time(ctx.locale, change.case, compound, change.case.response_due),
    )


def register(flows: Flows) -> None:
    flows.command("askstaff", askstaff_command, hidden=True, begins=True)
    flows.draft(FLOW)
    flows.intent(Intent.HANDOFF, on_handoff_intent)
    flows.press(SendAsIsPress, on_send_as_is)
    flows.step(FLOW, DESCRIBING, describing_question)
