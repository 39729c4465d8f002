"""/mycases: a resident's cases with their state and what happens next, and what they can do
with one: add a photo or detail, urge it, cancel it, rate it, reopen it, answer the office.

```mermaid
stateDiagram-v2
    [*] --> listing: /mycases or the menu
    listing --> viewing: a case's button
    viewing --> adding_detail: add a photo or detail (open cases)
    viewing --> [*]: urge (once a day; staff see it)
    viewing --> confirming_cancel: cancel (before work starts)
    confirming_cancel --> [*]: yes, cancelled / no, kept
    [*] --> adding_detail: Reply on a message from the office
    note right of adding_detail: a Telegram reply to a message about a case is added to it directly
    adding_detail --> adding_detail: photos, until Done
    adding_detail --> [*]: text sent to the case
    [*] --> commenting_rating: stars on a resolved case (the case closes)
    commenting_rating --> [*]: comment or skip
    [*] --> explaining_reopen: Not fixed on a resolved case
    explaining_reopen --> [*]: what is still wrong, case reopened
```
Only adding_detail, commenting_rating and explaining_reopen are conversation steps; the rest
are messages with buttons. Every press is checked against the store: a resident can touch
only their own cases (followers may look, not act).
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.engine.buttons import ButtonData
from bot.engine.context import Context
from bot.engine.registry import Flows
from bot.engine.replies import Button, Keyboard, keyboard
from handlers.case_replies import publish, refuse
from handlers.cases.buttons import RatePress, ResidentAction, ResidentPress
from handlers.cases.cards import ICONS, location_text, resident_summary
from handlers.cases.rules import CaseRefused, cancel, urge
from handlers.my_cases import followup, thread
from handlers.my_cases.access import own_case, visible_case
from handlers.onboarding.flow import offer_binding
from handlers.widgets import in_rows
from storage.models import Case, CaseStatus, Compound
from storage.repos.cases import cases_of_resident, resident_visible_events

CANCELLABLE = (CaseStatus.SUBMITTED, CaseStatus.ASSIGNED)


@dataclass(frozen=True, slots=True)
class CancelPress(ButtonData):
    """The answer to "cancel this case?": yes (`confirm`) or keep it."""

    prefix = "mcx"
    case_id: int
    confirm: bool


async def list_cases(ctx: Context) -> None:
    """Shows the resident's latest cases, and those they follow, with a button to open each."""
    cases = await cases_of_resident(ctx.session, ctx.person.id)
    if not cases:
        if ctx.actor.is_resident():
            ctx.say("mycases-none")
        else:
            ctx.say("intake-residents-only")
            await offer_binding(ctx)
        return
    entries, buttons = [], []
    for case in cases:
        compound = await ctx.session.get(Compound, case.compound_id)
        assert compound is not None
        entry = resident_summary(ctx.locale, case, compound)
        if case.resident_id != ctx.person.id:
            entry += "\n" + ctx.t("mycases-following")
        entries.append(entry)
        label = f"{ICONS[case.kind]} {case.number}"
        buttons.append(ctx.button(label, ResidentPress(case.id, ResidentAction.VIEW)))
    ctx.say("mycases-list", keyboard(*in_rows(buttons)), cases="\n\n".join(entries))


async def on_resident_press(ctx: Context, press: ResidentPress) -> None:
    """A resident's button on a case: each action checks who pressed before acting."""
    if not ctx.event.is_private:
        ctx.toast(ctx.t("common-private-only"), alert=True)
        return
    match press.action:
        case ResidentAction.VIEW:
            await view(ctx, press.case_id)
        case ResidentAction.URGE:
            await _urge(ctx, press.case_id)
        case ResidentAction.CANCEL:
            await _ask_cancel(ctx, press.case_id)
        case ResidentAction.DETAIL | ResidentAction.REPLY:
            await followup.start_detail(
                ctx, press.case_id, reply=press.action is ResidentAction.REPLY
            )
        case ResidentAction.REOPEN:
            await followup.start_reopen(ctx, press.case_id)


async def view(ctx: Context, case_id: int) -> None:
    """One case in full: its state, place and description, then what the office and the
    resident said on it (newest last), with what the resident can do with it now."""
    case = await visible_case(ctx, case_id)
    if case is None:
        return
    compound = await ctx.session.get(Compound, case.compound_id)
    assert compound is not None
    lines = [
        resident_summary(ctx.locale, case, compound),
        ctx.t("mycases-where", location=location_text(ctx.locale, case)),
        ctx.t("mycases-what", description=case.description or "—"),
    ]
    if case.photos:
        lines.append(ctx.t("mycases-photos", count=len(case.photos)))
    if case.rating is not None:
        lines.append(ctx.t("mycases-rating", stars="★" * case.rating))
    if case.outcome:
        lines.append(ctx.t("mycases-outcome", outcome=case.outcome))
    events = await resident_visible_events(ctx.session, case.id, thread.KINDS)
    said = thread.thread_text(ctx.locale, case, compound, events)
    if said:
        lines.append("\n" + said)
    owner = case.resident_id == ctx.person.id
    ctx.reply("\n".join(lines), _actions(ctx, case) if owner else ())


def _actions(ctx: Context, case: Case) -> Keyboard:
    def b(key: str, action: ResidentAction) -> Button:
        return ctx.button(ctx.t(key), ResidentPress(case.id, action))

    if case.status is CaseStatus.RESOLVED:
        stars = [ctx.button("★" * n, RatePress(case.id, n)) for n in range(1, 6)]
        return keyboard(stars[:3], stars[3:], [b("case-btn-reopen", ResidentAction.REOPEN)])
    if not case.status.is_open:
        return ()
    rows = [
        [b("mycases-btn-detail", ResidentAction.DETAIL), b("mycases-btn-urge", ResidentAction.URGE)]
    ]
    if case.status in CANCELLABLE:
        rows.append([b("mycases-btn-cancel", ResidentAction.CANCEL)])
    return keyboard(*rows)


async def _urge(ctx: Context, case_id: int) -> None:
    """Asks staff to hurry; the staff chat sees it. At most once a day."""
    case = await own_case(ctx, case_id, lock=True)
    if case is None:
        return
    try:
        change = urge(ctx.session, case, ctx.actor, ctx.services.clock())
    except CaseRefused as refused:
        refuse(ctx, refused)
        return
    await publish(ctx, change)
    ctx.say("mycases-urged", number=case.number)


async def _ask_cancel(ctx: Context, case_id: int) -> None:
    """Asks to confirm; a case whose work has started cannot be cancelled."""
    case = await own_case(ctx, case_id)
    if case is None:
        return
    if case.status not in CANCELLABLE:
        refuse(ctx, CaseRefused("case-refused-cannot-cancel"))
        return
    ctx.say(
        "mycases-cancel-confirm",
        keyboard(
            [ctx.button(ctx.t("mycases-cancel-yes"), CancelPress(case.id, True))],
            [ctx.button(ctx.t("mycases-cancel-no"), CancelPress(case.id, False))],
        ),
        number=case.number,
    )


async def on_cancel(ctx: Context, press: CancelPress) -> None:
    """Cancels the case after the resident confirmed; the staff chat is told."""
    case = await own_case(ctx, press.case_id, lock=True)
    if case is None:
        return
    if not press.confirm:
        ctx.edit(ctx.t("mycases-cancel-kept", number=case.number))
        return
    try:
        change = await cancel(ctx.session, case, ctx.actor, ctx.services.clock())
    except CaseRefused as refused:
        refuse(ctx, refused)
        return
    await publish(ctx, change)
    ctx.edit(ctx.t("mycases-cancelled", number=case.number))


def register(flows: Flows) -> None:
    flows.command("mycases", list_cases, private_only=True)
    flows.press(ResidentPress, on_resident_press)
    flows.press(CancelPress, on_cancel)
    followup.register(flows)
