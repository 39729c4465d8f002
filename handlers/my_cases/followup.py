"""What a resident says about a case after filing it: a detail or photo (or an answer to the
office, by the Reply button or by replying to the bot's message), a rating with an optional
comment, or what is still wrong when it is not fixed.

Each is one conversation step holding only the case id; the case is loaded and its owner
checked again when the answer arrives, because the case may have moved on in between.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from pydantic import BaseModel

from bot.engine.buttons import ButtonData
from bot.engine.context import Context
from bot.engine.registry import Flows
from bot.engine.replies import keyboard
from handlers.case_replies import publish, refuse
from handlers.cases.buttons import RatePress
from handlers.cases.cards import promised_time
from handlers.cases.rules import CaseRefused, add_detail, comment_rating, rate, reopen
from handlers.intake.checks import DESCRIPTION_MAX, DESCRIPTION_MIN, take_photos
from handlers.my_cases.access import own_case
from handlers.widgets import at_step, typed_text
from storage.models import Case, CaseStatus, Compound
from storage.repos.cases import case_for_resident_reply

FLOW = "mycases"
ADDING_DETAIL = "adding_detail"
COMMENTING_RATING = "commenting_rating"
EXPLAINING_REOPEN = "explaining_reopen"
COMMENT_MAX = 500
# Intake takes four photos; details and answers to staff may bring a case up to this many.
CASE_PHOTO_LIMIT = 10


@dataclass(frozen=True, slots=True)
class DetailDonePress(ButtonData):
    """Ends the detail step after photos."""

    prefix = "mcd"
    nonce: str


@dataclass(frozen=True, slots=True)
class SkipCommentPress(ButtonData):
    prefix = "mcs"
    nonce: str


class CaseAtHand(BaseModel):
    """The one thing each of these steps remembers: which case the answer is for."""

    case_id: int


def _begin(ctx: Context, step: str, case: Case) -> None:
    ctx.conversation.begin(FLOW, step)
    ctx.conversation.keep(CaseAtHand(case_id=case.id))


async def _step_case(ctx: Context) -> Case | None:
    """The case the current step is about, still the resident's; otherwise the step ends."""
    step = ctx.conversation.draft(CaseAtHand)
    case = await own_case(ctx, step.case_id, lock=True) if step else None
    if case is None:
        ctx.conversation.finish()
    return case


async def start_detail(ctx: Context, case_id: int, *, reply: bool) -> None:
    """Asks for the detail, photo or answer to the office that goes to an open case."""
    case = await own_case(ctx, case_id)
    if case is None:
        return
    if not case.status.is_open:
        refuse(ctx, CaseRefused("case-refused-closed"))
        return
    _begin(ctx, ADDING_DETAIL, case)
    ctx.say("mycases-ask-reply" if reply else "mycases-ask-detail", number=case.number)


class Added(enum.Enum):
    """What became of a message meant for a case."""

    INVALID = "invalid"  # nothing usable; the resident was told why and may try again
    REFUSED = "refused"  # the case takes no more details (closed, not theirs)
    TEXT = "text"
    PHOTOS = "photos"


async def _add_to_case(ctx: Context, case: Case) -> Added:
    """Adds the message's words and photos to the case; staff see them at once."""
    text = (ctx.event.text or "").strip()
    if not ctx.event.photos:
        checked = typed_text(ctx, minimum=1, limit=DESCRIPTION_MAX)
        if checked is None:
            return Added.INVALID
        text = checked
    elif len(text) > DESCRIPTION_MAX:
        ctx.say("intake-text-long", limit=DESCRIPTION_MAX, length=len(text))
        return Added.INVALID
    photos, refused = take_photos(ctx, list(case.photos), limit=CASE_PHOTO_LIMIT)
    added = tuple(photos[len(case.photos) :])
    if refused:
        ctx.say("mycases-photo-limit", limit=CASE_PHOTO_LIMIT)
        if not added and not text:
            return Added.INVALID
    try:
        change = add_detail(
            ctx.session, case, ctx.actor, ctx.services.clock(), text=text, photos=added
        )
    except CaseRefused as refusal:
        refuse(ctx, refusal)
        return Added.REFUSED
    await publish(ctx, change)
    return Added.TEXT if text else Added.PHOTOS


async def adding_detail(ctx: Context) -> None:
    """Sends the text or photos to the case. Text ends the step; photos keep it open (an
    album arrives as several messages) until Done."""
    case = await _step_case(ctx)
    if case is None:
        return
    match await _add_to_case(ctx, case):
        case Added.REFUSED:
            ctx.conversation.finish()
        case Added.TEXT:
            ctx.conversation.finish()
            ctx.say("mycases-detail-sent", number=case.number)
        case Added.PHOTOS:
            done = ctx.button(ctx.t("intake-photos-done"), DetailDonePress(ctx.conversation.nonce))
            ctx.say("mycases-photo-sent", keyboard([done]), number=case.number)
        case Added.INVALID:
            pass


async def reply_to_case_message(ctx: Context) -> bool:
    """Claims a resident's message that replies to one of the bot's messages about their case
    (a question from the office, say): it goes to that case, as if they had pressed Reply."""
    event = ctx.event
    if not event.is_private or event.reply_to_message_id is None:
        return False
    case = await case_for_resident_reply(
        ctx.session, chat_id=event.chat.id, reply_to=event.reply_to_message_id
    )
    # Only the case's own resident receives messages that can be replied to; anything else
    # is an ordinary message for the knowledge base.
    if case is None or case.resident_id != ctx.person.id:
        return False
    if await _add_to_case(ctx, case) in (Added.TEXT, Added.PHOTOS):
        ctx.say("mycases-detail-sent", number=case.number)
    return True


async def on_detail_done(ctx: Context, press: DetailDonePress) -> None:
    if at_step(ctx, FLOW, ADDING_DETAIL):
        ctx.conversation.finish()
        ctx.edit(ctx.t("mycases-detail-done"))


async def on_rate(ctx: Context, press: RatePress) -> None:
    """Stars on a resolved case: the case closes, staff hear it, a comment is offered."""
    if not ctx.event.is_private:
        ctx.toast(ctx.t("common-private-only"), alert=True)
        return
    case = await own_case(ctx, press.case_id, lock=True)
    if case is None:
        return
    try:
        change = await rate(ctx.session, case, ctx.actor, press.stars, ctx.services.clock())
    except CaseRefused as refusal:
        refuse(ctx, refusal)
        return
    await publish(ctx, change)
    ctx.edit(ctx.t("mycases-rated", number=case.number, stars="★" * press.stars))
    _begin(ctx, COMMENTING_RATING, case)
    skip = ctx.button(ctx.t("mycases-comment-skip"), SkipCommentPress(ctx.conversation.nonce))
    ctx.say("mycases-ask-comment", keyboard([skip]))


async def commenting_rating(ctx: Context) -> None:
    """Keeps the resident's comment with their rating."""
    text = typed_text(ctx, minimum=1, limit=COMMENT_MAX)
    if text is None:
        return
    case = await _step_case(ctx)
    if case is None:
        return
    try:
        change = comment_rating(ctx.session, case, ctx.actor, text, ctx.services.clock())
    except CaseRefused as refusal:
        refuse(ctx, refusal)
    else:
        await publish(ctx, change)
        ctx.say("mycases-comment-thanks")
    ctx.conversation.finish()


async def on_skip_comment(ctx: Context, press: SkipCommentPress) -> None:
    if at_step(ctx, FLOW, COMMENTING_RATING):
        ctx.conversation.finish()
        ctx.edit(ctx.t("mycases-comment-thanks"))


async def start_reopen(ctx: Context, case_id: int) -> None:
    """ "Not fixed" on a resolved case: asks what is still wrong before reopening it."""
    case = await own_case(ctx, case_id)
    if case is None:
        return
    if case.status is not CaseStatus.RESOLVED:
        refuse(ctx, CaseRefused("case-refused-wrong-state"))
        return
    _begin(ctx, EXPLAINING_REOPEN, case)
    ctx.say("mycases-ask-reopen", number=case.number)


async def explaining_reopen(ctx: Context) -> None:
    """Reopens the case with the resident's words; the assignee and staff chat hear them."""
    reason = typed_text(ctx, minimum=DESCRIPTION_MIN, limit=COMMENT_MAX)
    if reason is None:
        return
    case = await _step_case(ctx)
    if case is None:
        return
    compound = await ctx.session.get(Compound, case.compound_id)
    assert compound is not None
    ctx.conversation.finish()
    try:
        change = await reopen(ctx.session, case, ctx.actor, reason, compound, ctx.services.clock())
    except CaseRefused as refusal:
        refuse(ctx, refusal)
        return
    await publish(ctx, change)
    due = promised_time(ctx.locale, case, compound, case.resolve_due)
    ctx.say("mycases-reopened", number=case.number, due=due)


def register(flows: Flows) -> None:
    flows.draft(FLOW)
    flows.press(RatePress, on_rate)
    flows.press(DetailDonePress, on_detail_done)
    flows.press(SkipCommentPress, on_skip_comment)
    flows.step(FLOW, ADDING_DETAIL, adding_detail)
    flows.step(FLOW, COMMENTING_RATING, commenting_rating)
    flows.step(FLOW, EXPLAINING_REOPEN, explaining_reopen)
    flows.claim(reply_to_case_message)
