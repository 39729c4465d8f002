"""Managers' fees: the collection rate of a period by building and by item, arrears by age,
and the monthly financial disclosure (财务公开).

`/fees [PERIOD]` in the staff chat or a manager's private chat (PERIOD a month `2026-11` or a
quarter `2026-Q4`; the current quarter when left out) shows the figures, with a button to
preview last month's disclosure. The preview is exactly what residents will read (both
languages) with its two charts; "publish" posts it to the residents' group and records it.
Staff who are not managers, and residents, are refused politely; every press is checked
again here, whoever sent it. The arrears list itself is `courtyard export arrears` (CSV):
a chat is no place for every household's debts.
"""

from __future__ import annotations

import asyncio
import dataclasses
import enum
from dataclasses import dataclass
from typing import Any

from bot.engine.bulk import open_broadcast, queue
from bot.engine.buttons import ButtonData
from bot.engine.context import Context
from bot.engine.registry import Flows
from bot.engine.replies import Button, Send, Upload, keyboard
from handlers.faq.knowledge import kb_values, router_for
from handlers.fees import charts
from handlers.fees.rules import (
    BadPeriod,
    arrears,
    collection,
    disclosure,
    month_of,
    previous_month,
    today,
    window,
)
from handlers.fees.view import arrears_text, bilingual_disclosure, collection_text
from storage import fee_settings
from storage.models import BroadcastKind, ChatPurpose, Compound, FeeDisclosure
from storage.repos import audit
from storage.repos import compounds as compound_repo
from storage.repos import fees as fee_repo


class Action(enum.StrEnum):
    FIGURES = "f"
    PREVIEW = "p"
    PUBLISH = "u"


@dataclass(frozen=True, slots=True)
class ManagePress(ButtonData):
    """A manager's fee button: figures for a period, preview or publish a month."""

    prefix = "fm"
    action: Action
    period: str


def kb_value(ctx: Context, compound: Compound, name: str) -> str:
    """A knowledge-base value of the compound in ctx.locale (payment channels...)."""
    placeholders = router_for(ctx).knowledge.placeholders
    return placeholders.value(name, ctx.locale, kb_values(ctx)) or ""


async def in_staff_chat(ctx: Context, compound: Compound) -> bool:
    binding = await compound_repo.chat_binding(ctx.session, ctx.chat_id)
    return (
        binding is not None
        and binding.compound_id == compound.id
        and binding.purpose is ChatPurpose.STAFF
    )


def figures_button(ctx: Context) -> Button:
    return ctx.button(ctx.t("fees-manager-figures"), ManagePress(Action.FIGURES, ""))


async def _allowed(ctx: Context, compound: Compound) -> bool:
    """Managers of the compound, in the staff chat or in private; says why not otherwise."""
    if not ctx.actor.is_manager(compound.id):
        if ctx.event.press is not None:
            ctx.toast(ctx.t("fees-managers-only"), alert=True)
        else:
            ctx.say("fees-managers-only")
        return False
    if not ctx.event.is_private and not await in_staff_chat(ctx, compound):
        ctx.toast(ctx.t("fees-managers-only"), alert=True)
        return False
    return True


def _current_quarter(compound: Compound, ctx: Context) -> str:
    day = today(compound, ctx.services.clock())
    return f"{day.year}-Q{(day.month - 1) // 3 + 1}"


async def show(ctx: Context, compound: Compound, period: str | None = None) -> None:
    """The collection rate of `period` (the argument, else the current quarter) by building
    and item, and the arrears by age now."""
    if not await _allowed(ctx, compound):
        return
    period = (period or ctx.event.args.strip() or _current_quarter(compound, ctx)).upper()
    try:
        window(period)
    except BadPeriod:
        ctx.say("fees-bad-period", period=period[:20])
        return
    settings = fee_settings.of(compound)
    figures = await collection(ctx.session, compound, period)
    owed = await arrears(ctx.session, compound, ctx.services.clock())
    text = "\n\n".join(
        [
            collection_text(ctx.t, settings, compound.name, period, figures),
            arrears_text(ctx.t, settings, owed),
            ctx.t("fees-manager-export"),
        ]
    )
    month = previous_month(today(compound, ctx.services.clock()))
    ctx.reply(
        text,
        keyboard(
            [
                ctx.button(
                    ctx.t("fees-disclosure-preview", month=month),
                    ManagePress(Action.PREVIEW, month),
                )
            ]
        ),
    )


async def _disclosure_message(
    ctx: Context, compound: Compound, month: str
) -> tuple[str, tuple[Upload, ...]] | None:
    found = await disclosure(ctx.session, compound, month)
    if found.empty:
        ctx.say("fees-disclosure-empty", month=month)
        return None
    settings = fee_settings.of(compound)
    text = bilingual_disclosure(settings, found, compound.locale)
    # Drawn in worker threads: a chart takes a good part of a second of CPU (the first one
    # also loads matplotlib), and the event loop keeps serving everyone else meanwhile.
    bars, trend = await asyncio.gather(
        asyncio.to_thread(charts.income_and_expenses, found, settings),
        asyncio.to_thread(charts.collection_trend, found),
    )
    uploads = (
        Upload(f"income-expenses-{month}.png", bars),
        Upload(f"collection-rate-{month}.png", trend),
    )
    return text, uploads


async def preview(ctx: Context, compound: Compound, month: str) -> None:
    """Exactly what residents will read, with the charts, and a button to publish it."""
    made = await _disclosure_message(ctx, compound, month)
    if made is None:
        return
    text, uploads = made
    published = await fee_repo.disclosure(ctx.session, compound.id, month)
    note = ctx.t("fees-disclosure-published-already") if published else ""
    ctx.out.append(
        Send(
            chat_id=ctx.chat_id,
            text=f"{ctx.t('fees-disclosure-preview-note')}\n\n{text}"
            + (f"\n\n{note}" if note else ""),
            buttons=keyboard(
                [ctx.button(ctx.t("fees-disclosure-publish"), ManagePress(Action.PUBLISH, month))]
            ),
            thread_id=ctx.event.thread_id,
            uploads=uploads,
        )
    )


async def publish(ctx: Context, compound: Compound, month: str) -> None:
    """Posts the month's disclosure to the residents' group and records it (once)."""
    if await fee_repo.disclosure(ctx.session, compound.id, month) is not None:
        ctx.toast(ctx.t("fees-disclosure-published-already"), alert=True)
        return
    groups = await fee_repo.residents_groups(ctx.session, compound.id)
    if not groups:
        ctx.toast(ctx.t("fees-disclosure-no-group"), alert=True)
        return
    made = await _disclosure_message(ctx, compound, month)
    if made is None:
        return
    text, uploads = made
    found = await disclosure(ctx.session, compound, month)
    now = ctx.services.clock()
    ctx.session.add(
        FeeDisclosure(
            compound_id=compound.id,
            month=month,
            summary=_record(found.as_record()),
            published_by=ctx.person.id,
            published_at=now,
        )
    )
    audit.record(
        ctx.session,
        action="fees.disclosure",
        actor_id=ctx.person.id,
        compound_id=compound.id,
        target=f"month:{month}",
    )
    await post_disclosure(
        ctx, compound, month, [Send(chat_id=g, text=text, uploads=uploads) for g in groups]
    )
    ctx.edit(ctx.t("fees-disclosure-done", month=month, groups=len(groups)))


def _record(summary: dict[str, Any]) -> dict[str, Any]:
    """JSON-ready: tuples become lists."""
    return {
        k: [list(v) for v in value] if isinstance(value, list) else value
        for k, value in summary.items()
    }


async def post_disclosure(
    ctx: Context, compound: Compound, month: str, messages: list[Send]
) -> None:
    """Through mass delivery (a DISCLOSURE broadcast, once per month: a second press finds it
    opened and posts nothing), pinned in the residents' group."""
    broadcast = await open_broadcast(
        ctx.session,
        compound=compound,
        kind=BroadcastKind.DISCLOSURE,
        subject=f"disclosure:{compound.id}:{month}",
        title=ctx.t("fees-disclosure-title", month=month),
        now=ctx.services.clock(),
        created_by=ctx.person.id,
    )
    if broadcast is None:
        return
    pinned = [dataclasses.replace(message, pin=True) for message in messages]
    await queue(ctx.session, broadcast, pinned, ctx.services.clock(), compound=compound)


async def on_manage(ctx: Context, press: ManagePress) -> None:
    compound = ctx.compound
    if compound is None or not await _allowed(ctx, compound):
        if compound is None:
            ctx.toast(ctx.t("fees-managers-only"), alert=True)
        return
    match press.action:
        case Action.FIGURES:
            await show(ctx, compound, press.period or None)
        case Action.PREVIEW | Action.PUBLISH:
            try:
                start, _ = window(press.period)
            except BadPeriod:
                ctx.toast(ctx.t("common-button-invalid"), alert=True)
                return
            if month_of(start) != press.period:
                ctx.toast(ctx.t("common-button-invalid"), alert=True)
                return
            if press.action is Action.PREVIEW:
                await preview(ctx, compound, press.period)
            else:
                await publish(ctx, compound, press.period)


def register(flows: Flows) -> None:
    flows.press(ManagePress, on_manage)
