"""What a flow does after it changed a case, and when the case rules refused.

The case domain (`handlers.cases`) knows nothing of the engine: it returns the messages a
change calls for. Here they join the event's replies, delivered after the commit, and the
deadlines the change created are armed once they are stored.
"""

from __future__ import annotations

from bot.engine.context import Context
from handlers.cases.announce import announce
from handlers.cases.rules import CaseRefused, Change


async def publish(ctx: Context, change: Change) -> None:
    """Tells the staff chat, the resident, followers and managers about `change`."""
    ctx.out.extend(await announce(ctx.session, ctx.services.settings, change))
    if change.deadlines:
        await ctx.session.flush()
        ctx.timers.extend((d.id, d.due_at) for d in change.deadlines)


def refuse(ctx: Context, refused: CaseRefused) -> None:
    """Shows why a case action was refused: as an alert on a press, as a message otherwise."""
    text = ctx.t(refused.reason, **refused.values)
    if ctx.event.press is not None:
        ctx.toast(text, alert=True)
    else:
        ctx.reply(text)
