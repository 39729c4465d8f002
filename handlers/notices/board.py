"""/notices and /settings.

- A resident's /notices lists the current notices of their compound that are for them; someone
  with no home linked sees the public ones (for the whole compound, posted in the group or on
  the board). With none, it says so.
- A manager's /notices (private chat, or anyone in the staff chat) lists the compound's latest
  notices with how many were sent, delivered, blocked and failed, and a cancel button on each
  still scheduled or going out. Whoever presses it is checked again: only a manager of that
  notice's compound cancels.
- /settings lets a resident mute community and maintenance notices; outages, safety notices and
  emergencies always reach them.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.engine.buttons import ButtonData
from bot.engine.context import Context
from bot.engine.replies import Keyboard, keyboard
from handlers.notices.sending import cancel_notice, cancellable, figures
from handlers.notices.texts import clock_time, render, title
from storage.models import ChatPurpose, Compound
from storage.repos.audience import MUTABLE_TOPICS, Topic
from storage.repos.compounds import chat_binding
from storage.repos.notices import (
    Home,
    current_notices,
    homes_of,
    is_public,
    load_notice,
    reaches,
    recent_notices,
)

# Residents' /notices shows at most this many, newest first.
SHOWN_MAX = 8
# Mutable topics in the order /settings offers them.
MUTE_ORDER = (Topic.COMMUNITY, Topic.MAINTENANCE)


@dataclass(frozen=True, slots=True)
class NoticeCancelPress(ButtonData):
    prefix = "ncx"
    notice_id: int


@dataclass(frozen=True, slots=True)
class MutePress(ButtonData):
    """Turns one notice topic on or off for the person pressing."""

    prefix = "nmu"
    topic: str


async def homes(ctx: Context, compound_id: int) -> list[Home]:
    mine = [r for r in ctx.actor.residencies if r.compound_id == compound_id]
    return await homes_of(ctx.session, mine)


async def _in_staff_chat(ctx: Context) -> bool:
    if ctx.event.is_private:
        return False
    binding = await chat_binding(ctx.session, ctx.chat_id)
    return binding is not None and binding.purpose is ChatPurpose.STAFF


async def list_notices(ctx: Context) -> None:
    """Managers (and the staff chat) get the managers' list; everyone else the board."""
    compound = ctx.compound
    if compound is None:
        ctx.say("notice-none")
        return
    if await _in_staff_chat(ctx) or (ctx.event.is_private and ctx.actor.is_manager(compound.id)):
        await _managers_list(ctx, compound)
        return
    await _residents_board(ctx, compound)


async def _residents_board(ctx: Context, compound: Compound) -> None:
    now = ctx.services.clock()
    mine = await homes(ctx, compound.id)
    shown = [
        n
        for n in await current_notices(ctx.session, compound.id, now)
        if is_public(n) or (mine and reaches(n, mine))
    ][:SHOWN_MAX]
    if not shown:
        ctx.say("notice-none")
        return
    entries = [render(ctx.locale, n, compound) for n in shown]
    ctx.say("notice-board", notices="\n\n——————\n\n".join(entries))


async def _managers_list(ctx: Context, compound: Compound) -> None:
    notices = await recent_notices(ctx.session, compound.id)
    if not notices:
        ctx.say("notice-none-yet")
        return
    lines, buttons = [], []
    for notice in notices:
        numbers = await figures(ctx.session, notice.id)
        upcoming = clock_time(notice.next_run_at, compound) if notice.next_run_at else "—"
        lines.append(
            ctx.t(
                "notice-manager-line",
                id=notice.id,
                title=title(ctx.locale, notice),
                text=_excerpt(notice.text),
                status=ctx.t(f"notice-status-{notice.status.value}"),
                next=upcoming,
                sent=numbers.sent,
                delivered=numbers.delivered,
                blocked=numbers.blocked,
                failed=numbers.failed,
            )
        )
        if cancellable(notice, numbers):
            label = ctx.t("notice-cancel-button", id=notice.id)
            buttons.append([ctx.button(label, NoticeCancelPress(notice.id))])
    ctx.say("notice-manager-list", keyboard(*buttons), notices="\n\n".join(lines))


def _excerpt(text: str, limit: int = 40) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


async def on_cancel(ctx: Context, press: NoticeCancelPress) -> None:
    """Cancels a notice: only a manager of its compound; a forged press learns nothing."""
    notice = await load_notice(ctx.session, press.notice_id, lock=True)
    if notice is None or not ctx.actor.is_manager(notice.compound_id):
        ctx.toast(ctx.t("notice-not-allowed"), alert=True)
        return
    numbers = await figures(ctx.session, notice.id)
    if not cancellable(notice, numbers):
        ctx.toast(ctx.t("notice-not-cancellable", id=notice.id), alert=True)
        return
    stopped = await cancel_notice(ctx.session, notice, ctx.services.clock())
    ctx.reply(ctx.t("notice-cancelled", id=notice.id, count=stopped))


# ── Mutes ──


async def show_settings(ctx: Context) -> None:
    """The topics a person may mute, each a toggle button."""
    ctx.say("notice-settings", _mute_buttons(ctx))


def _mute_buttons(ctx: Context) -> Keyboard:
    muted = set(ctx.person.muted or [])
    rows = []
    for topic in MUTE_ORDER:
        state = ctx.t("notice-muted" if topic.value in muted else "notice-unmuted")
        label = ctx.t("notice-mute-button", topic=ctx.t(f"notice-topic-{topic.value}"), state=state)
        rows.append([ctx.button(label, MutePress(topic.value))])
    return keyboard(*rows)


async def on_mute(ctx: Context, press: MutePress) -> None:
    if press.topic not in {t.value for t in MUTABLE_TOPICS}:
        # Outages, safety and emergencies are never muted, whatever a button says.
        ctx.toast(ctx.t("notice-never-muted"), alert=True)
        return
    muted = list(ctx.person.muted or [])
    if press.topic in muted:
        muted.remove(press.topic)
        ctx.toast(ctx.t("notice-unmuted-toast", topic=ctx.t(f"notice-topic-{press.topic}")))
    else:
        muted.append(press.topic)
        ctx.toast(ctx.t("notice-muted-toast", topic=ctx.t(f"notice-topic-{press.topic}")))
    ctx.person.muted = sorted(muted)
    ctx.edit(ctx.t("notice-settings"), _mute_buttons(ctx))
