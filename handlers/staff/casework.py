"""The staff side of cases: the buttons on each card, replies to residents, /cases.

```mermaid
stateDiagram-v2
    [*] --> card: a case is filed (card in the staff chat)
    card --> choosing_assignee: Assign
    choosing_assignee --> card: a colleague is picked
    card --> writing_resolution: Resolve
    card --> asking_resident: Ask resident
    card --> writing_answer: Answer (questions for staff)
    writing_answer --> card: the answer is typed (the resident reads it, the question is resolved)
    card --> writing_note: Internal note
    writing_resolution --> card: the note is typed (the resident is asked to rate)
    asking_resident --> card: the question is typed (it reaches the resident)
    writing_note --> card: the note is typed (staff only)
```
Take and Start act at once. A message typed as a reply to a card, or inside a case's forum
topic, reaches the resident as a reply from the property office. Every press is checked:
only staff of the case's compound may act, only the assignee or a manager may resolve.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

from pydantic import BaseModel

from bot.engine.context import Context
from bot.engine.registry import Audience, Flows
from bot.engine.replies import keyboard
from bot.i18n import locale_for, translate
from handlers.case_replies import publish
from handlers.cases import rules
from handlers.cases.buttons import AssignPress, StaffAction, StaffPress
from handlers.cases.cards import (
    ANSWERABLE,
    ICONS,
    category_label,
    staff_card_buttons,
    staff_card_text,
)
from handlers.cases.categories import SKILL_FOR
from storage.models import Case, CaseKind, CaseStatus, ChatPurpose, Compound
from storage.repos.cases import card_ref, case_for_staff_message, load_case, open_cases
from storage.repos.compounds import chat_binding
from storage.repos.people import staff_of

FLOW = "casework"
WRITING_RESOLUTION, ASKING_RESIDENT, WRITING_NOTE, WRITING_ANSWER = (
    "writing_resolution",
    "asking_resident",
    "writing_note",
    "writing_answer",
)
PROMPTS = {
    StaffAction.RESOLVE: (WRITING_RESOLUTION, "casework-prompt-resolution"),
    StaffAction.ASK: (ASKING_RESIDENT, "casework-prompt-question"),
    StaffAction.NOTE: (WRITING_NOTE, "casework-prompt-note"),
    StaffAction.ANSWER: (WRITING_ANSWER, "casework-prompt-answer"),
}
TEXT_MAX = 1000


class CaseAtHand(BaseModel):
    """What a writing step remembers: the case the staff member is writing about."""

    case_id: int


async def in_staff_place(ctx: Context) -> bool:
    """Staff views carry residents' names and homes: they are shown only in a staff chat or
    a private chat, never in a residents' group, whatever the button or command says."""
    if ctx.event.is_private:
        return True
    binding = await chat_binding(ctx.session, ctx.chat_id)
    return binding is not None and binding.purpose is ChatPurpose.STAFF


async def on_staff_press(ctx: Context, press: StaffPress) -> None:
    """A button on a case card."""
    if not await in_staff_place(ctx):
        ctx.toast(ctx.t("casework-staff-chat-only"), alert=True)
        return
    case = await load_case(ctx.session, press.case_id, lock=True)
    if case is None:
        ctx.toast(ctx.t("case-unknown"), alert=True)
        return
    if not ctx.actor.is_staff(case.compound_id):
        ctx.toast(ctx.t("case-refused-not-staff"), alert=True)
        return
    now = ctx.services.clock()
    try:
        match press.action:
            case StaffAction.TAKE:
                await publish(ctx, await rules.take(ctx.session, case, ctx.actor, now))
                ctx.toast(ctx.t("casework-taken", number=case.number))
            case StaffAction.START:
                await publish(ctx, await rules.start(ctx.session, case, ctx.actor, now))
                ctx.toast(ctx.t("casework-started", number=case.number))
            case StaffAction.ASSIGN:
                await _offer_assignees(ctx, case)
            case StaffAction.RESOLVE | StaffAction.ASK | StaffAction.NOTE | StaffAction.ANSWER:
                _check_may_write(ctx, case, press.action)
                step, prompt = PROMPTS[press.action]
                ctx.conversation.begin(FLOW, step)
                ctx.conversation.keep(CaseAtHand(case_id=case.id))
                ctx.reply(ctx.t(prompt, number=case.number, name=ctx.person.name))
                ctx.toast("")
            case StaffAction.IDENTITY:
                await _reveal(ctx, case)
            case StaffAction.SHOW:
                await _show_card(ctx, case)
    except rules.CaseRefused as refused:
        ctx.toast(ctx.t(refused.reason, **_labels(ctx, refused.values)), alert=True)


def _labels(ctx: Context, values: dict[str, object]) -> dict[str, object]:
    if "status" in values:
        return {**values, "status": ctx.t(f"case-status-{values['status']}")}
    return values


def _check_may_write(ctx: Context, case: Case, action: StaffAction) -> None:
    """Refuses before the staff member types, not after."""
    if not case.status.is_open:
        raise rules.CaseRefused("case-refused-closed", status=case.status.value)
    if action is StaffAction.RESOLVE:
        if case.assignee_id != ctx.person.id and not ctx.actor.is_manager(case.compound_id):
            raise rules.CaseRefused("case-refused-not-assignee")
        if case.status is CaseStatus.SUBMITTED:
            raise rules.CaseRefused("case-refused-wrong-state", status=case.status.value)
    if action is StaffAction.ANSWER:
        if case.kind is not CaseKind.INQUIRY or case.status not in ANSWERABLE:
            raise rules.CaseRefused("case-refused-wrong-state", status=case.status.value)
        taken_by_other = case.assignee_id not in (None, ctx.person.id)
        if taken_by_other and not ctx.actor.is_manager(case.compound_id):
            raise rules.CaseRefused("case-refused-not-assignee")


async def _offer_assignees(ctx: Context, case: Case) -> None:
    """Colleagues with the skill the category calls for first, then everyone else."""
    if case.status is CaseStatus.IN_PROGRESS and not ctx.actor.is_manager(case.compound_id):
        raise rules.CaseRefused("case-refused-in-progress")
    if not case.status.is_open or case.status is CaseStatus.RESOLVED:
        raise rules.CaseRefused("case-refused-wrong-state", status=case.status.value)
    skill = SKILL_FOR.get(case.category)
    members = await staff_of(ctx.session, case.compound_id)
    members.sort(key=lambda m: (skill not in (m.skills or []), m.person.name))
    rows = [
        [
            ctx.button(
                f"{m.person.name or m.person_id}" + (" ⭐" if skill in (m.skills or []) else ""),
                AssignPress(case.id, m.person_id),
            )
        ]
        for m in members
        if m.person_id != case.assignee_id
    ]
    if not rows:
        ctx.toast(ctx.t("casework-nobody-to-assign"), alert=True)
        return
    ctx.reply(ctx.t("casework-choose-assignee", number=case.number), keyboard(*rows))
    ctx.toast("")


async def on_assign(ctx: Context, press: AssignPress) -> None:
    if not await in_staff_place(ctx):
        ctx.toast(ctx.t("casework-staff-chat-only"), alert=True)
        return
    case = await load_case(ctx.session, press.case_id, lock=True)
    if case is None:
        ctx.toast(ctx.t("case-unknown"), alert=True)
        return
    member = await rules.staff_member(ctx.session, case.compound_id, press.person_id)
    try:
        if member is None:
            raise rules.CaseRefused("case-refused-bad-assignee")
        change = await rules.assign(ctx.session, case, ctx.actor, member, ctx.services.clock())
    except rules.CaseRefused as refused:
        ctx.toast(ctx.t(refused.reason, **_labels(ctx, refused.values)), alert=True)
        return
    await publish(ctx, change)
    ctx.edit(ctx.t("casework-assigned", number=case.number, name=member.person.name))
    if (
        member.person.telegram_id is not None
        and member.person.telegram_id != ctx.person.telegram_id
    ):
        compound = await ctx.session.get(Compound, case.compound_id)
        assert compound is not None
        locale = locale_for(member.person, compound, ctx.services.settings.default_locale)
        ctx.send(
            member.person.telegram_id,
            translate(locale, "casework-assigned-to-you", number=case.number, by=ctx.person.name)
            + "\n\n"
            + staff_card_text(case, compound),
        )


async def _reveal(ctx: Context, case: Case) -> None:
    """Managers get an anonymous complaint's author in private; nobody else does."""
    if not rules.may_see_identity(ctx.actor, case):
        ctx.toast(ctx.t("casework-identity-managers-only"), alert=True)
        return
    compound = await ctx.session.get(Compound, case.compound_id)
    assert compound is not None
    ctx.send(ctx.person.telegram_id or ctx.chat_id, staff_card_text(case, compound, reveal=True))
    ctx.toast(ctx.t("casework-identity-sent"))


async def _show_card(ctx: Context, case: Case) -> None:
    compound = await ctx.session.get(Compound, case.compound_id)
    assert compound is not None
    # Remembered under the card's ref, so this copy is edited along with the original.
    ctx.reply(
        staff_card_text(case, compound), staff_card_buttons(case, compound), ref=card_ref(case.id)
    )
    ctx.toast("")


async def _typed(ctx: Context) -> str | None:
    text = " ".join((ctx.event.text or "").split())
    if not text:
        ctx.say("casework-need-text")
        return None
    if len(text) > TEXT_MAX:
        ctx.say("casework-too-long", limit=TEXT_MAX)
        return None
    return text


async def _case_of_step(ctx: Context) -> Case | None:
    step = ctx.conversation.draft(CaseAtHand)
    case = await load_case(ctx.session, step.case_id, lock=True) if step else None
    if case is None:
        ctx.conversation.finish()
        ctx.say("case-unknown")
    return case


async def _typed_for_case(ctx: Context) -> tuple[str, Case] | None:
    """What the staff member typed and the case the step is about; None after saying why
    (nothing typed, too long, the case gone)."""
    text = await _typed(ctx)
    case = await _case_of_step(ctx) if text else None
    if case is None or text is None:
        return None
    return text, case


async def writing_resolution(ctx: Context) -> None:
    """The resolution note: the resident reads it and is asked to confirm and rate."""
    found = await _typed_for_case(ctx)
    if found is None:
        return
    text, case = found
    compound = await ctx.session.get(Compound, case.compound_id)
    assert compound is not None
    await _apply(
        ctx,
        case,
        lambda now: rules.resolve(ctx.session, case, ctx.actor, text, compound, now),
        "casework-resolved",
    )


async def asking_resident(ctx: Context) -> None:
    """A question for the resident; their answer comes back to the staff chat."""
    found = await _typed_for_case(ctx)
    if found is None:
        return
    text, case = found
    await _apply(
        ctx,
        case,
        lambda now: rules.message_resident(ctx.session, case, ctx.actor, text, now, question=True),
        "casework-asked",
    )


async def writing_answer(ctx: Context) -> None:
    """The answer to a resident's question: they read it as the office's answer, and the
    question is resolved (they may rate it, reply to it or say it is not answered)."""
    found = await _typed_for_case(ctx)
    if found is None:
        return
    text, case = found
    compound = await ctx.session.get(Compound, case.compound_id)
    assert compound is not None
    await _apply(
        ctx,
        case,
        lambda now: rules.answer(ctx.session, case, ctx.actor, text, compound, now),
        "casework-answered",
    )


async def writing_note(ctx: Context) -> None:
    """An internal note: recorded on the case, never shown to the resident."""
    found = await _typed_for_case(ctx)
    if found is None:
        return
    text, case = found

    async def note(now: datetime) -> rules.Change:
        return rules.internal_note(ctx.session, case, ctx.actor, text, now)

    await _apply(ctx, case, note, "casework-noted")


async def _apply(
    ctx: Context,
    case: Case,
    action: Callable[[datetime], Awaitable[rules.Change]],
    done_key: str,
) -> None:
    ctx.conversation.finish()
    try:
        change = await action(ctx.services.clock())
    except rules.CaseRefused as refused:
        ctx.reply(ctx.t(refused.reason, **_labels(ctx, refused.values)))
        return
    await publish(ctx, change)
    ctx.say(done_key, number=case.number)


async def reply_on_card(ctx: Context) -> bool:
    """Claims a staff message that replies to a case card or sits in a case's topic: it goes
    to the resident as a reply from the property office."""
    event = ctx.event
    if event.is_private or not (event.reply_to_message_id or event.thread_id):
        return False
    case = await case_for_staff_message(
        ctx.session,
        chat_id=event.chat.id,
        reply_to=event.reply_to_message_id,
        thread_id=event.thread_id,
    )
    if case is None or not ctx.actor.is_staff(case.compound_id):
        return False
    text = " ".join((event.text or "").split())
    if not text:
        ctx.say("casework-need-text")
        return True
    try:
        change = await rules.message_resident(
            ctx.session, case, ctx.actor, text[:TEXT_MAX], ctx.services.clock(), question=False
        )
    except rules.CaseRefused as refused:
        ctx.reply(ctx.t(refused.reason, **_labels(ctx, refused.values)))
        return True
    await publish(ctx, change)
    ctx.say("casework-reply-sent", number=case.number)
    return True


async def list_cases(ctx: Context) -> None:
    """`/cases`: open cases by urgency and age; `/cases mine`: the caller's own."""
    if not await in_staff_place(ctx):
        ctx.say("casework-staff-chat-only")
        return
    compound_ids = [c for c in ctx.actor.compound_ids() if ctx.actor.is_staff(c)]
    if ctx.actor.global_manager and ctx.compound is not None:
        compound_ids = list(dict.fromkeys([ctx.compound.id, *compound_ids]))
    if ctx.compound is not None and ctx.compound.id in compound_ids:
        compound_ids = [ctx.compound.id]
    if not compound_ids:
        ctx.say("case-refused-not-staff")
        return
    compound = await ctx.session.get(Compound, compound_ids[0])
    assert compound is not None
    mine = ctx.event.args.strip().lower() in ("mine", "me", "我的")
    cases = await open_cases(ctx.session, compound.id, assignee_id=ctx.person.id if mine else None)
    if not cases:
        ctx.say("casework-none-open-mine" if mine else "casework-none-open")
        return
    now = ctx.services.clock()
    lines = [ctx.t("casework-list-title-mine" if mine else "casework-list-title", count=len(cases))]
    rows = []
    for case in cases:
        lines.append(
            ctx.t(
                "casework-list-line",
                icon=ICONS[case.kind],
                number=case.number,
                urgency=ctx.t(f"urgency-{case.urgency.value}"),
                status=ctx.t(f"case-status-{case.status.value}"),
                category=category_label(ctx.locale, case),
                age=_age(ctx, now - case.created_at),
                assignee=case.assignee.name if case.assignee else "—",
            )
        )
        rows.append([ctx.button(case.number, StaffPress(case.id, StaffAction.SHOW))])
    ctx.reply("\n".join(lines), keyboard(*rows[:10]))


def _age(ctx: Context, delta: timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    if minutes < 60:
        return ctx.t("casework-age-minutes", count=max(minutes, 0))
    if minutes < 48 * 60:
        return ctx.t("casework-age-hours", count=minutes // 60)
    return ctx.t("casework-age-days", count=minutes // (24 * 60))


def register(flows: Flows) -> None:
    flows.command("cases", list_cases, audience=Audience.STAFF)
    flows.press(StaffPress, on_staff_press)
    flows.press(AssignPress, on_assign)
    flows.step(FLOW, WRITING_RESOLUTION, writing_resolution)
    flows.step(FLOW, ASKING_RESIDENT, asking_resident)
    flows.step(FLOW, WRITING_NOTE, writing_note)
    flows.step(FLOW, WRITING_ANSWER, writing_answer)
    flows.claim(reply_on_card)
