"""What repair and complaint intake share: who may file, checking what was typed or sent,
collecting photos, and turning the finished form into a case.

Every check answers the resident politely in their language and says what would work instead;
a refused message never moves the form on. The steps both forms share are in
`handlers.intake.form`.
"""

from __future__ import annotations

from bot.engine.context import Context
from bot.engine.replies import Button, keyboard
from handlers.case_replies import publish
from handlers.cases.cards import promised_time
from handlers.cases.rules import Draft, open_case
from handlers.onboarding.flow import offer_binding
from storage.models import Case, Compound

DESCRIPTION_MIN = 2
DESCRIPTION_MAX = 1000
PLACE_MAX = 100
MAX_PHOTOS = 4


async def admit(ctx: Context, command: str) -> bool:
    """Whether this user may file here. Otherwise explains why: in a group, with a link to a
    private chat (a report names a home); without a linked home, with the ways to link one."""
    if not ctx.event.is_private:
        ctx.say("common-private-only", ctx.private_chat_keyboard(command))
        return False
    if not ctx.actor.is_resident() or ctx.compound is None:
        ctx.say("intake-residents-only")
        await offer_binding(ctx)
        return False
    return True


def opening_words(ctx: Context) -> str | None:
    """The words of the message that started a form, when they could be its description."""
    text = (ctx.event.text or "").strip()
    return text if DESCRIPTION_MIN <= len(text) <= DESCRIPTION_MAX else None


def take_photos(
    ctx: Context, photos: list[str], *, limit: int = MAX_PHOTOS
) -> tuple[list[str], int]:
    """`photos` with the event's photos added up to `limit`, and how many did not fit."""
    incoming = [p.file_id for p in ctx.event.photos]
    room = max(limit - len(photos), 0)
    return [*photos, *incoming[:room]], max(len(incoming) - room, 0)


def keep_photos(ctx: Context, photos: list[str]) -> list[str]:
    """Photos sent before a form asks for them are kept, within the limit; says so, or that
    the rest did not fit. The form's photos afterwards."""
    photos, refused = take_photos(ctx, photos)
    if refused:
        ctx.say("intake-photo-limit", limit=MAX_PHOTOS)
    elif not (ctx.event.text or "").strip():
        ctx.say("intake-photo-kept", count=len(photos), limit=MAX_PHOTOS)
    return photos


def photo_receipt(
    ctx: Context, photos: list[str], refused: int, done: Button, *, limit: int = MAX_PHOTOS
) -> None:
    """Tells the resident how many photos the form holds now, and that the rest did not fit."""
    if refused:
        ctx.say("intake-photo-limit", keyboard([done]), limit=limit)
        return
    key = "intake-photo-full" if len(photos) >= limit else "intake-photo-added"
    ctx.say(key, keyboard([done]), count=len(photos), limit=limit)


def done_label(ctx: Context, photos: list[str]) -> str:
    """ "Skip" while no photo was sent, "Done" once some were."""
    return ctx.t("intake-photos-done" if photos else "intake-photos-skip")


async def filing_compound(ctx: Context, compound_id: int, draft: Draft | None) -> Compound | None:
    """The compound a finished form files its case in. None when what the form held no longer
    holds, or the resident no longer lives there: the form ends and they are told it was lost."""
    compound = await ctx.session.get(Compound, compound_id)
    if draft is None or compound is None or not ctx.actor.is_resident(compound.id):
        ctx.conversation.finish()
        ctx.say("common-conversation-lost")
        return None
    return compound


async def submit(ctx: Context, compound: Compound, draft: Draft) -> Case:
    """Opens the case, announces it (staff card, managers, deadlines) and returns it."""
    change = await open_case(
        ctx.session, compound=compound, resident=ctx.person, draft=draft, now=ctx.services.clock()
    )
    await publish(ctx, change)
    return change.case


def response_time(case: Case, compound: Compound, locale: str) -> str:
    """When staff will respond, in the compound's own time zone (and, for normal requests,
    that it counts working hours)."""
    return promised_time(locale, case, compound, case.response_due)
