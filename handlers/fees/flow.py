"""A household's own bills, in a private chat only.

```mermaid
stateDiagram-v2
    [*] --> [*]: /fees, the menu, "💳 查我的账单", "我家物业费交了吗": the home's bills
    [*] --> receipt: "I have paid but it still shows unpaid"
    receipt --> [*]: a photo of the receipt (a billing question for staff)
```
What the resident sees: what is owed now by item and period, what is overdue and since when,
the late fee where the compound's contract charges one, the last twelve months, and how to
pay (the compound's channels; a bill's payment link as a button). Someone with several homes
picks one first; tenants see their home's bills only where the compound allows it. In a
group the bot only offers a private chat and says nothing about money there.

"I have paid but it still shows unpaid" asks for a photo of the receipt and files a billing
question: the staff card, and a private note to the staff who handle billing.

Every press names a unit and is checked against the presser's own homes: a forged press for
another unit is refused. Managers reach their compound's figures with the same `/fees`
(handlers/fees/manage.py).
"""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import BaseModel

from bot.engine.buttons import ButtonData
from bot.engine.context import Context
from bot.engine.registry import Flows
from bot.engine.replies import Button, Keyboard, keyboard
from bot.i18n import Translator, locale_for, translate
from handlers.case_replies import publish
from handlers.cases import rules as case_rules
from handlers.fees import manage, reminders
from handlers.fees.rules import Statement, may_see, statement, visible_units
from handlers.fees.view import item_name, statement_text
from knowledge.intent_ids import Intent
from storage.models import CaseKind, Compound, Unit
from storage.repos.people import staff_of

FLOW, RECEIPT = "fees", "receipt"
BILLING_CATEGORY = "billing"
NOTE_MAX = 500
LINK_BUTTONS = 3


@dataclass(frozen=True, slots=True)
class HomePress(ButtonData):
    """Show this home's bills (one of the presser's homes)."""

    prefix = "fh"
    unit_id: int


@dataclass(frozen=True, slots=True)
class PaidPress(ButtonData):
    """ "I have paid but it still shows unpaid", for this home."""

    prefix = "fy"
    unit_id: int


class ReceiptDraft(BaseModel):
    unit_id: int


async def open_fees(ctx: Context) -> None:
    """`/fees`: a resident's bills in private; a manager's figures in the staff chat or in
    private; in any other group, a button to a private chat and nothing else."""
    compound = ctx.compound
    if not ctx.event.is_private:
        if compound is not None and await manage.in_staff_chat(ctx, compound):
            await manage.show(ctx, compound)
            return
        ctx.say("fees-group-private", ctx.private_chat_keyboard("fees"))
        return
    if compound is None or not (
        ctx.actor.is_resident(compound.id) or ctx.actor.is_manager(compound.id)
    ):
        ctx.say("fees-no-home")
        return
    units = visible_units(ctx.actor, compound)
    if ctx.actor.is_manager(compound.id) and (not units or ctx.event.args.strip()):
        await manage.show(ctx, compound)
        return
    if not units:
        ctx.say("fees-tenant-not-allowed")
        return
    if len(units) > 1:
        ctx.say(
            "fees-pick-home",
            keyboard(*[[ctx.button(unit.label, HomePress(unit.id))] for unit in units]),
        )
        return
    await _show(ctx, compound, units[0])


async def on_fee_intent(ctx: Context) -> None:
    """Free text about one's own bill ("我家物业费交了吗", "how much do I owe")."""
    await open_fees(ctx)


async def on_home(ctx: Context, press: HomePress) -> None:
    compound = ctx.compound
    if (
        compound is None
        or not ctx.event.is_private
        or not may_see(ctx.actor, compound, press.unit_id)
    ):
        ctx.toast(ctx.t("fees-not-yours"), alert=True)
        return
    unit = next(u for u in visible_units(ctx.actor, compound) if u.id == press.unit_id)
    await _show(ctx, compound, unit)


async def _show(ctx: Context, compound: Compound, unit: Unit) -> None:
    found = await statement(ctx.session, compound, unit, ctx.services.clock())
    channels = manage.kb_value(ctx, compound, "payment_channels")
    ctx.reply(statement_text(ctx.t, ctx.locale, found, channels), _buttons(ctx, compound, found))


def _buttons(ctx: Context, compound: Compound, found: Statement) -> Keyboard:
    rows: list[list[Button]] = []
    for line, link in found.links[:LINK_BUTTONS]:
        label = ctx.t("fees-pay-link", period=line.period, item=item_name(ctx.t, line.item))
        rows.append([Button(text=label, url=link)])
    if found.owed:
        rows.append([ctx.button(ctx.t("fees-paid-but-unpaid"), PaidPress(found.unit.id))])
    others = [u for u in visible_units(ctx.actor, compound) if u.id != found.unit.id]
    rows.extend(
        [ctx.button(ctx.t("fees-other-home", unit=u.label), HomePress(u.id))] for u in others
    )
    if ctx.actor.is_manager(compound.id):
        rows.append([manage.figures_button(ctx)])
    return keyboard(*rows)


async def on_paid(ctx: Context, press: PaidPress) -> None:
    """Asks for the receipt; the photo files a billing question for staff."""
    compound = ctx.compound
    if (
        compound is None
        or not ctx.event.is_private
        or not may_see(ctx.actor, compound, press.unit_id)
    ):
        ctx.toast(ctx.t("fees-not-yours"), alert=True)
        return
    ctx.conversation.begin(FLOW, RECEIPT)
    ctx.conversation.keep(ReceiptDraft(unit_id=press.unit_id))
    ctx.say("fees-receipt-ask")


async def receipt(ctx: Context) -> None:
    """The receipt photo (a caption is kept as the resident's note)."""
    draft = ctx.conversation.draft(ReceiptDraft)
    compound = ctx.compound
    if draft is None or compound is None or not may_see(ctx.actor, compound, draft.unit_id):
        ctx.conversation.finish()
        ctx.say("fees-not-yours")
        return
    if not ctx.event.photos:
        ctx.say("fees-receipt-photo-please")
        return
    unit = next(u for u in visible_units(ctx.actor, compound) if u.id == draft.unit_id)
    found = await statement(ctx.session, compound, unit, ctx.services.clock())
    note = " ".join((ctx.event.text or "").split())[:NOTE_MAX]
    # The card is read by staff, in the compound's language.
    staff_t = Translator(compound.locale)
    owed = "; ".join(
        f"{o.line.period} {item_name(staff_t, o.line.item)} {found.settings.money(o.line.owed)}"
        for o in found.owed
    )
    description = translate(
        compound.locale, "fees-billing-case", unit=unit.label, owed=owed or "—", note=note or "—"
    )
    change = await case_rules.open_case(
        ctx.session,
        compound=compound,
        resident=ctx.person,
        draft=case_rules.Draft(
            kind=CaseKind.INQUIRY,
            category=BILLING_CATEGORY,
            description=description,
            unit_id=unit.id,
            photos=tuple(photo.file_id for photo in ctx.event.photos),
        ),
        now=ctx.services.clock(),
    )
    ctx.conversation.finish()
    await publish(ctx, change)
    await _tell_billing_staff(ctx, compound, change.case.number, unit.label)
    ctx.say("fees-receipt-filed", number=change.case.number)


async def _tell_billing_staff(ctx: Context, compound: Compound, number: str, unit: str) -> None:
    """The staff who handle billing hear of it in private too, each in their language."""
    settings = ctx.services.settings
    for member in await staff_of(ctx.session, compound.id, skill=BILLING_CATEGORY):
        person = member.person
        if person.telegram_id is None or person.telegram_id == ctx.person.telegram_id:
            continue
        locale = locale_for(person, compound, settings.default_locale)
        ctx.send(
            person.telegram_id, translate(locale, "fees-billing-staff", number=number, unit=unit)
        )


def register(flows: Flows) -> None:
    flows.command("fees", open_fees)
    flows.intent(Intent.FEES, on_fee_intent)
    flows.press(HomePress, on_home)
    flows.press(PaidPress, on_paid)
    flows.step(FLOW, RECEIPT, receipt)
    manage.register(flows)
    reminders.register(flows)
