"""The roll-call of an emergency broadcast: residents' answers, the staff chat's board, the
manager's re-send and all-clear.

- Every resident's message carries "✅ I am safe", "🆘 I need help" and "🏠 Not at home"
  (`AnswerPress`). Only someone the roll-call was sent to may answer, only while it is open;
  anyone else's press (forged, stale, another compound's) is refused with a note. A later
  answer replaces the earlier one; every answer is in the audit log. "I need help" opens an
  emergency case for staff (once per person and roll-call while that case is open).
- The board in the staff chat is one message, edited in place: answers by building and who
  needs help, with unit and phone. Under a burst of answers it is edited at most once every
  `BOARD_EVERY`; an answer that may not edit it leaves the board marked, and a follow-up job
  edits it once the interval is over, so the board always ends current.
- The manager's message carries "re-send to those who have not answered" (refused before the
  chosen interval is over) and "all clear", which previews the all-clear (the standard text,
  or one the manager types) and sends it to the same residents and the residents' group.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from bot.engine.bulk import open_broadcast, queue
from bot.engine.buttons import ButtonData
from bot.engine.context import Context
from bot.engine.jobs import JobContext
from bot.engine.registry import Flows
from bot.engine.replies import Button, Edit, Keyboard, Send, keyboard
from bot.i18n import translate
from handlers.case_replies import publish
from handlers.cases import rules
from handlers.cases.cards import local_time
from handlers.emergencies.flow import CATEGORY, duty_phone
from handlers.emergencies.templates import drill_mark, text_for, title
from storage.models import (
    BroadcastKind,
    CaseKind,
    Compound,
    RollCall,
    RollCallAnswer,
    RollCallAnswerKind,
    Urgency,
)
from storage.repos import audit, rollcalls
from storage.repos.audience import AudienceSpec, Recipient, Topic, recipients
from storage.repos.cases import load_case
from storage.repos.compounds import compound_by_id, resident_group, staff_chat

FLOW = "rollcall"
WRITING_ALL_CLEAR = "writing_all_clear"
# The board is edited at most this often while answers pour in.
BOARD_EVERY = timedelta(seconds=5)
BOARD_JOB = "rollcall-board"
# The board lists at most this many people who need help (a message holds 4096 characters);
# the export has everyone.
NEEDS_SHOWN = 40
ALL_CLEAR_MAX = 1500


@dataclass(frozen=True, slots=True)
class AnswerPress(ButtonData):
    """A resident's answer to roll-call `roll_call_id`."""

    prefix = "rk"
    roll_call_id: int
    answer: RollCallAnswerKind


class ManageAction(enum.StrEnum):
    RESEND = "r"
    ALL_CLEAR = "c"  # preview the all-clear
    SEND_ALL_CLEAR = "s"
    KEEP_OPEN = "k"  # do not send the all-clear after all


@dataclass(frozen=True, slots=True)
class ManagePress(ButtonData):
    """A manager's button on their roll-call message or the all-clear preview."""

    prefix = "rm"
    roll_call_id: int
    action: ManageAction


# ── What residents read ──


def answer_buttons(locale: str, roll_call_id: int) -> Keyboard:
    def one(kind: RollCallAnswerKind) -> Button:
        data = AnswerPress(roll_call_id, kind).pack()
        return Button(translate(locale, f"rollcall-btn-{kind.value}"), data)

    return keyboard(
        [one(RollCallAnswerKind.SAFE)],
        [one(RollCallAnswerKind.HELP)],
        [one(RollCallAnswerKind.AWAY)],
    )


def resident_message(
    roll: RollCall, compound: Compound, person: Recipient, *, reminder: bool = False
) -> Send:
    """The emergency as one resident reads it, in their language, with the three answers."""
    locale = person.locale
    key = "rollcall-reminder" if reminder else "rollcall-message"
    text = translate(
        locale,
        key,
        mark=drill_mark(locale, roll.drill),
        compound=compound.name,
        text=text_for(roll.texts, locale),
    )
    return Send(chat_id=person.telegram_id, text=text, buttons=answer_buttons(locale, roll.id))


def group_post(roll: RollCall, compound: Compound, chat_id: int) -> Send:
    """The same emergency in the residents' group, pinned, in the compound's language."""
    locale = compound.locale
    text = translate(
        locale,
        "rollcall-group-post",
        mark=drill_mark(locale, roll.drill),
        text=text_for(roll.texts, locale),
    )
    return Send(chat_id=chat_id, text=text, pin=True)


def audience_text(locale: str, buildings: Sequence[str]) -> str:
    if not buildings:
        return translate(locale, "rollcall-audience-whole")
    return translate(locale, "rollcall-audience-buildings", buildings=", ".join(buildings))


# ── The board ──


async def board_text(session: AsyncSession, roll: RollCall, compound: Compound) -> str:
    """The board as staff read it, in the compound's language: answers by building, the
    totals, who needs help (unit, name, phone), re-send and all-clear when they happened."""
    tally = await rollcalls.tally(session, roll.id)
    locale = compound.locale
    lines = [
        translate(
            locale,
            "rollcall-board-line",
            building=one.building or "—",
            safe=one.safe,
            help=one.help,
            away=one.away,
            silent=one.silent,
        )
        for one in tally.buildings
    ]
    total = tally.total
    parts = [
        translate(
            locale,
            "rollcall-board",
            mark=drill_mark(locale, roll.drill),
            id=roll.id,
            title=title(locale, roll.template),
            time=local_time(roll.created_at, compound),
            audience=audience_text(locale, roll.buildings),
            lines="\n".join(lines),
            safe=total.safe,
            help=total.help,
            away=total.away,
            silent=total.silent,
            asked=total.asked,
        )
    ]
    if tally.need_help:
        needs = [
            translate(locale, "rollcall-board-need", unit=unit, name=name, phone=phone).rstrip()
            for name, unit, phone in tally.need_help[:NEEDS_SHOWN]
        ]
        if len(tally.need_help) > NEEDS_SHOWN:
            needs.append(f"… +{len(tally.need_help) - NEEDS_SHOWN}")
        parts.append("\n".join([translate(locale, "rollcall-board-needs"), *needs]))
    if roll.resent_at is not None:
        parts.append(
            translate(
                locale,
                "rollcall-board-resent",
                time=local_time(roll.resent_at, compound),
                count=roll.resent_to,
            )
        )
    if roll.closed_at is not None:
        parts.append(
            translate(
                locale,
                "rollcall-board-closed",
                time=local_time(roll.closed_at, compound),
                id=roll.id,
            )
        )
    return "\n\n".join(parts)


async def board_send(session: AsyncSession, roll: RollCall, compound: Compound) -> Send | None:
    """The board's first version, for the staff chat (None when the compound has none)."""
    chat = await staff_chat(session, compound.id)
    if chat is None:
        return None
    text = await board_text(session, roll, compound)
    return Send(chat_id=chat.chat_id, text=text, ref=rollcalls.board_ref(roll.id))


async def board_edit(session: AsyncSession, roll: RollCall, compound: Compound) -> Edit:
    return Edit(text=await board_text(session, roll, compound), ref=rollcalls.board_ref(roll.id))


async def refresh_board(ctx: Context, roll: RollCall, compound: Compound, now: datetime) -> None:
    """After an answer: edits the board now if it was not edited within `BOARD_EVERY`;
    otherwise leaves it marked and makes sure a follow-up edits it when the interval is over
    (one job per interval however many answers come in: the job's key is its time)."""
    await ctx.session.flush()
    if await rollcalls.claim_board_edit(ctx.session, roll.id, now, BOARD_EVERY):
        await ctx.session.refresh(roll)
        ctx.out.append(await board_edit(ctx.session, roll, compound))
        return
    await ctx.session.refresh(roll, ["board_edited_at"])
    last = roll.board_edited_at or now
    await ctx.schedule(BOARD_JOB, str(roll.id), last + BOARD_EVERY)


async def board_follow_up(job: JobContext) -> None:
    """The follow-up edit: the board shows the answers that came in while it was held."""
    try:
        roll_call_id = int(job.job.subject)
    except ValueError:
        return
    roll = await rollcalls.get(job.session, roll_call_id)
    if roll is None or not await rollcalls.claim_dirty_board(job.session, roll.id, job.now):
        return
    compound = await compound_by_id(job.session, roll.compound_id)
    if compound is not None:
        await job.session.refresh(roll)
        job.out.append(await board_edit(job.session, roll, compound))


# ── Residents' answers ──


async def on_answer(ctx: Context, press: AnswerPress) -> None:
    """Records the answer of someone the roll-call went to, and confirms it briefly; "I need
    help" opens an emergency case for staff (unless this one already has an open one)."""
    roll = await rollcalls.get(ctx.session, press.roll_call_id)
    row = None if roll is None else await rollcalls.answer_of(ctx.session, roll.id, ctx.person.id)
    if roll is None or row is None:
        ctx.toast(ctx.t("rollcall-refused-not-asked"), alert=True)
        return
    if roll.closed_at is not None:
        ctx.toast(ctx.t("rollcall-refused-closed"), alert=True)
        return
    compound = await compound_by_id(ctx.session, roll.compound_id)
    assert compound is not None  # the roll-call's row cascades with its compound
    now = ctx.services.clock()
    previous = row.answer
    if previous is press.answer and previous is not RollCallAnswerKind.HELP:
        # A second tap on the same answer: nothing changes, nothing to record or redraw.
        ctx.toast(ctx.t(f"rollcall-answered-{press.answer.value}"))
        return
    row.answer, row.answered_at = press.answer, now
    audit.record(
        ctx.session,
        action="rollcall.answer",
        actor_id=ctx.person.id,
        compound_id=compound.id,
        target=f"rollcall:{roll.id}",
        answer=press.answer.value,
        previous=previous.value if previous else None,
    )
    if press.answer is RollCallAnswerKind.HELP:
        number = await _help_case(ctx, roll, compound, row)
        ctx.toast(ctx.t("rollcall-answered-help-toast"))
        text = ctx.t("rollcall-answered-help", number=number)
        phone = duty_phone(compound, ctx.locale)
        if phone:
            text += "\n" + ctx.t("emergency-duty-phone", phone=phone)
        ctx.reply(text)
    else:
        ctx.toast(ctx.t(f"rollcall-answered-{press.answer.value}"))
    await refresh_board(ctx, roll, compound, now)


async def _help_case(ctx: Context, roll: RollCall, compound: Compound, row: RollCallAnswer) -> str:
    """The emergency case for someone who needs help: the one this roll-call opened for them
    while it is open, else a new one at their home (its card alerts staff and managers)."""
    if row.case_id is not None:
        case = await load_case(ctx.session, row.case_id)
        if case is not None and case.status.is_open:
            return case.number
    description = translate(
        compound.locale,
        "rollcall-help-case",
        id=roll.id,
        title=drill_mark(compound.locale, roll.drill) + title(compound.locale, roll.template),
        name=ctx.person.name or str(ctx.person.telegram_id),
    )
    draft = rules.Draft(
        kind=CaseKind.EMERGENCY,
        category=CATEGORY,
        description=description,
        urgency=Urgency.EMERGENCY,
        unit_id=row.unit_id,
        building=row.building or None,
    )
    change = await rules.open_case(
        ctx.session, compound=compound, resident=ctx.person, draft=draft, now=ctx.services.clock()
    )
    await publish(ctx, change)
    row.case_id = change.case.id
    return change.case.number


# ── The manager's buttons ──


def control_buttons(locale: str, roll_call_id: int) -> Keyboard:
    def one(key: str, action: ManageAction) -> Button:
        return Button(translate(locale, key), ManagePress(roll_call_id, action).pack())

    return keyboard(
        [one("rollcall-btn-resend", ManageAction.RESEND)],
        [one("rollcall-btn-all-clear", ManageAction.ALL_CLEAR)],
    )


async def on_manage(ctx: Context, press: ManagePress) -> None:
    """Re-send, all-clear preview, all-clear, keep open: a manager of the roll-call's
    compound only, and only while it is open."""
    roll = await rollcalls.get(ctx.session, press.roll_call_id)
    if roll is None or not ctx.actor.is_manager(roll.compound_id):
        ctx.toast(ctx.t("common-not-allowed"), alert=True)
        return
    if roll.closed_at is not None:
        ctx.toast(ctx.t("rollcall-already-closed", id=roll.id), alert=True)
        return
    compound = await compound_by_id(ctx.session, roll.compound_id)
    assert compound is not None
    if press.action is ManageAction.RESEND:
        await resend(ctx, roll, compound)
    elif press.action is ManageAction.ALL_CLEAR:
        ctx.conversation.begin(FLOW, WRITING_ALL_CLEAR, roll_call_id=roll.id)
        preview_all_clear(ctx, roll, None)
    elif press.action is ManageAction.KEEP_OPEN:
        if ctx.conversation.flow == FLOW:
            ctx.conversation.finish()
        ctx.edit(ctx.t("rollcall-all-clear-kept"))
    else:
        text = None
        if ctx.conversation.flow == FLOW and ctx.conversation.data.get("roll_call_id") == roll.id:
            text = ctx.conversation.data.get("text")
            ctx.conversation.finish()
        await close(ctx, roll, compound, text)


async def audience_now(
    ctx: Context, roll: RollCall, compound: Compound, person_ids: set[int]
) -> list[Recipient]:
    """Those of `person_ids` the roll-call's audience still reaches, each in their language
    (ignoring quiet hours and mutes: emergencies are never muted)."""
    found = await recipients(
        ctx.session,
        compound,
        AudienceSpec(buildings=tuple(roll.buildings)),
        topic=Topic.EMERGENCY,
        default_locale=ctx.services.settings.default_locale,
    )
    return [one for one in found if one.person_id in person_ids]


async def resend(ctx: Context, roll: RollCall, compound: Compound) -> None:
    """The emergency again, urgent, to those asked who have not answered; not before the
    interval the manager chose is over."""
    now = ctx.services.clock()
    if now < roll.resend_after:
        when = local_time(roll.resend_after, compound)
        ctx.toast(ctx.t("rollcall-resend-too-early", time=when), alert=True)
        return
    silent = await rollcalls.silent_person_ids(ctx.session, roll.id)
    people = await audience_now(ctx, roll, compound, silent)
    if not people:
        ctx.toast(ctx.t("rollcall-resend-none"), alert=True)
        return
    broadcast = await open_broadcast(
        ctx.session,
        compound=compound,
        kind=BroadcastKind.EMERGENCY,
        subject=f"emergency:{roll.id}:resend:{now.isoformat()}",
        title=title(compound.locale, roll.template),
        now=now,
        urgent=True,
        created_by=ctx.person.id,
    )
    if broadcast is not None:
        messages = [resident_message(roll, compound, one, reminder=True) for one in people]
        await queue(ctx.session, broadcast, messages, now, compound=compound)
    roll.resent_at, roll.resent_to = now, len(people)
    roll.resend_after = now + timedelta(minutes=roll.resend_minutes)
    ctx.toast(ctx.t("rollcall-resent", count=len(people)))
    ctx.reply(ctx.t("rollcall-resent", count=len(people)))
    await refresh_board(ctx, roll, compound, now)


def preview_all_clear(ctx: Context, roll: RollCall, text: str | None) -> None:
    """What the all-clear will say, with send / not yet; typed text replaces the standard."""
    shown = text or ctx.t(
        "rollcall-all-clear-drill" if roll.drill else "rollcall-all-clear-default"
    )
    send = ctx.button(
        ctx.t("rollcall-btn-all-clear-send"), ManagePress(roll.id, ManageAction.SEND_ALL_CLEAR)
    )
    back = ctx.button(ctx.t("rollcall-btn-back"), ManagePress(roll.id, ManageAction.KEEP_OPEN))
    ctx.reply(
        ctx.t(
            "rollcall-all-clear-preview",
            audience=audience_text(ctx.locale, roll.buildings),
            text=shown,
        ),
        keyboard([send], [back]),
    )


async def writing_all_clear(ctx: Context) -> None:
    """The manager typed their own all-clear text: it replaces the standard one."""
    text = (ctx.event.text or "").strip()
    roll_call_id = ctx.conversation.data.get("roll_call_id")
    roll = await rollcalls.get(ctx.session, roll_call_id) if isinstance(roll_call_id, int) else None
    if roll is None or roll.closed_at is not None:
        ctx.conversation.finish()
        ctx.say("common-button-invalid")
        return
    if not text or len(text) > ALL_CLEAR_MAX:
        ctx.say("rollcall-write-text", limit=ALL_CLEAR_MAX)
        return
    ctx.conversation.update(text=text)
    preview_all_clear(ctx, roll, text)


async def close(ctx: Context, roll: RollCall, compound: Compound, text: str | None) -> None:
    """Sends the all-clear (urgent) to everyone asked that the audience still reaches and to
    the residents' group, closes the roll-call (kept for the record) and updates the board
    and the manager's message."""
    now = ctx.services.clock()
    asked = await rollcalls.asked_person_ids(ctx.session, roll.id)
    people = await audience_now(ctx, roll, compound, asked)
    broadcast = await open_broadcast(
        ctx.session,
        compound=compound,
        kind=BroadcastKind.ALL_CLEAR,
        subject=f"all-clear:{roll.id}",
        title=title(compound.locale, roll.template),
        now=now,
        urgent=True,
        created_by=ctx.person.id,
    )
    if broadcast is not None:
        messages = [
            all_clear_message(roll, compound, one.locale, one.telegram_id, text) for one in people
        ]
        group = await resident_group(ctx.session, compound.id)
        if group is not None:
            messages.append(
                all_clear_message(roll, compound, compound.locale, group.chat_id, text, pin=True)
            )
        await queue(ctx.session, broadcast, messages, now, compound=compound)
    roll.closed_at, roll.closed_by = now, ctx.person.id
    roll.all_clear_text = text
    roll.board_edited_at, roll.board_dirty = now, False
    ctx.out.append(await board_edit(ctx.session, roll, compound))
    ctx.out.append(
        Edit(
            text=ctx.t(
                "rollcall-control-closed",
                mark=drill_mark(ctx.locale, roll.drill),
                id=roll.id,
                time=local_time(now, compound),
            ),
            ref=rollcalls.control_ref(roll.id),
        )
    )
    ctx.say("rollcall-closed-done", count=len(people), id=roll.id)


def standard_all_clear(roll: RollCall) -> str:
    return "rollcall-all-clear-drill" if roll.drill else "rollcall-all-clear-default"


def all_clear_message(
    roll: RollCall,
    compound: Compound,
    locale: str,
    chat_id: int,
    text: str | None,
    *,
    pin: bool = False,
) -> Send:
    """The all-clear as one reader reads it: the manager's text, or the standard one in
    their language."""
    return Send(
        chat_id=chat_id,
        text=translate(
            locale,
            "rollcall-all-clear-message",
            mark=drill_mark(locale, roll.drill),
            compound=compound.name,
            text=text or translate(locale, standard_all_clear(roll)),
        ),
        pin=pin,
    )


def register(flows: Flows) -> None:
    flows.press(AnswerPress, on_answer)
    flows.press(ManagePress, on_manage)
    flows.step(FLOW, WRITING_ALL_CLEAR, writing_all_clear)
    flows.job(BOARD_JOB, board_follow_up)
