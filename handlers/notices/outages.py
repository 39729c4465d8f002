"""Current outage notices answer residents before anything else does.

- A question about water or power ("明天会停水吗", "is there a water outage", "停电了吗") is
  answered from the outage notices for the asker's building that went out and have not ended;
  with none, the knowledge base answers as before.
- A report of no water or no power in a building under such a notice is told about the notice
  first (handlers/repairs/), and may still be filed.
"""

from __future__ import annotations

import re

from bot.engine.context import Context
from bot.engine.replies import Keyboard
from handlers.notices.texts import render
from storage.models import Compound, Notice, NoticeCategory
from storage.repos.notices import current_outages, homes_of

WATER = re.compile(
    r"停水|断水|没水|没有水|无水|水停|来水|供水|water (?:outage|cut|supply|off|shut)"
    r"|no water|without water|water (?:is|was|be) (?:off|out|cut)",
    re.IGNORECASE,
)
POWER = re.compile(
    r"停电|断电|没电|没有电|来电|供电|power (?:outage|cut|supply|off)|blackout"
    r"|no (?:power|electricity)|without (?:power|electricity)|electricity (?:is )?(?:off|out)",
    re.IGNORECASE,
)
QUESTION = re.compile(
    r"[吗么?？]|会不会|是不是|有没有|什么时候|何时|几点|多久"
    r"|\b(?:is|are|will|when|any|does|do|how long)\b",
    re.IGNORECASE,
)
CJK = re.compile(r"[\u4e00-\u9fff]")


def outage_kind(text: str) -> NoticeCategory | None:
    """Water or power, from the words; None when they name neither (or both)."""
    water, power = bool(WATER.search(text)), bool(POWER.search(text))
    if water == power:
        return None
    return NoticeCategory.WATER_OUTAGE if water else NoticeCategory.POWER_OUTAGE


async def buildings_of(ctx: Context, compound_id: int) -> list[str] | None:
    """The buildings the person lives in; None when they have no home linked there."""
    mine = [r for r in ctx.actor.residencies if r.compound_id == compound_id]
    names = [home.building for home in await homes_of(ctx.session, mine)]
    return list(dict.fromkeys(names)) or None


async def outages_for(
    ctx: Context, compound: Compound, kind: NoticeCategory | None
) -> list[Notice]:
    return await current_outages(
        ctx.session,
        compound.id,
        ctx.services.clock(),
        buildings=await buildings_of(ctx, compound.id),
        category=kind,
    )


async def answer_outage_question(ctx: Context) -> bool:
    """Claims a question about a water or power outage when a current outage notice answers
    it for the asker's building; otherwise leaves it to the knowledge base."""
    text = ctx.event.text or ""
    compound = ctx.compound
    if not text or compound is None or ctx.event.command is not None:
        return False
    if not (ctx.event.is_private or ctx.event.addressed):
        return False
    kind = outage_kind(text)
    if kind is None or not QUESTION.search(text):
        return False
    found = await outages_for(ctx, compound, kind)
    if not found:
        return False
    # Answered in the language the question was written in, as the knowledge base would.
    ctx.locale = "zh" if CJK.search(text) else "en"
    notices = "\n\n".join(render(ctx.locale, n, compound) for n in found)
    ctx.say("notice-outage-answer", notices=notices)
    return True


async def outage_for_report(ctx: Context, compound_id: int, text: str) -> Notice | None:
    """The current outage notice a report of no water or no power is explained by, if any."""
    kind = outage_kind(text)
    compound = await ctx.session.get(Compound, compound_id)
    if kind is None or compound is None:
        return None
    found = await outages_for(ctx, compound, kind)
    return found[0] if found else None


async def tell_outage(ctx: Context, notice_id: int, buttons: Keyboard) -> bool:
    """Shows a current outage notice before a repair report; False when it is gone."""
    notice = await ctx.session.get(Notice, notice_id)
    compound = await ctx.session.get(Compound, notice.compound_id) if notice else None
    if notice is None or compound is None:
        return False
    ctx.say("notice-outage-before-repair", buttons, notice=render(ctx.locale, notice, compound))
    return True
