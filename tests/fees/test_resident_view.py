"""Residents see their own home's bills, in private, exactly; nobody sees anyone else's."""

from __future__ import annotations

import re

from sqlalchemy import select

from bot.engine.replies import Send
from handlers.fees.flow import HomePress, PaidPress
from handlers.fees.rules import statement
from storage import demo, fee_settings
from storage.models import Case, CaseKind, Residency, ResidencyRole, ResidencyStatus, Unit
from storage.repos.fees import unit_bills
from tests.harness import Harness, demo_compound

WANG, DAVID, CHEN, CLERK, MANAGER = 1001, 1002, 1003, 2005, 3001


async def _unit(h: Harness, label: str) -> Unit:
    async with h.services.db.read() as session:
        unit = await session.scalar(select(Unit).where(Unit.label == label))
        assert unit is not None
        return unit


async def test_a_resident_asks_and_sees_exactly_their_unpaid_bills(harness: Harness) -> None:
    await harness.say(WANG, "我家物业费交了吗", lang="zh")
    reply = harness.transport.last(WANG)
    unit = await _unit(harness, "1-1-0301")
    async with harness.services.db.read() as session:
        bills = await unit_bills(session, unit.id)
        compound = await session.scalar(demo_compound())
        assert compound is not None
        found = await statement(session, compound, unit, harness.services.clock())
    unpaid = [b for b in bills if b.owed > 0]
    assert unpaid, "the demo's 王芳 owes something"
    money = fee_settings.of(compound).money
    # Every unpaid bill, with its exact amount, and no other bill listed as owed.
    owed_lines = [line for line in reply.text.splitlines() if line.startswith("• ")]
    assert len(owed_lines) == len(unpaid)
    for bill, line in zip(unpaid, owed_lines, strict=True):
        assert bill.period in line and money(bill.owed) in line
    assert f"当前待缴合计：{money(sum(b.owed for b in unpaid))}" in reply.text
    assert found.total == sum(b.owed for b in unpaid)
    # How to pay: the compound's channels, and the bills' payment links as URL buttons.
    assert demo.KB_VALUES["payment_channels"]["zh"] in reply.text
    urls = [b for row in reply.buttons for b in row if b[1] is None]
    assert urls, "payment links are buttons"
    # Nothing of another household.
    assert "3-2-1102" not in reply.text and "2-1-0502" not in reply.text


async def test_english_free_text_and_the_menu_open_the_same_view(harness: Harness) -> None:
    await harness.say(DAVID, "how much do I owe", lang="en")
    assert "Bills of 2-1-0502" in harness.transport.last(DAVID).text
    await harness.say(CHEN, "why was I charged a late fee", lang="en")
    reply = harness.transport.last(CHEN).text
    assert "Bills of 3-2-1102" in reply and "Late fee" in reply
    await harness.say(WANG, "/menu", lang="zh")
    menu = harness.transport.last(WANG)
    await harness.press(WANG, menu.data("我的账单"))
    assert "1-1-0301 的账单" in harness.transport.last(WANG).text


async def test_the_late_fee_is_the_contracts_and_exact_to_the_cent(harness: Harness) -> None:
    unit = await _unit(harness, "3-2-1102")
    async with harness.services.db.read() as session:
        compound = await session.scalar(demo_compound())
        assert compound is not None
        found = await statement(session, compound, unit, harness.services.clock())
    rule = fee_settings.of(compound).late_fee
    assert rule is not None
    expected = sum(
        min(o.line.owed, o.line.owed * 500 * max(0, o.overdue_days - 30) // 1_000_000)
        for o in found.owed
    )
    assert found.late_fees == expected > 0
    await harness.say(CHEN, "/fees", lang="zh")
    assert fee_settings.of(compound).money(expected) in harness.transport.last(CHEN).text


async def test_no_late_fee_is_shown_where_the_compound_charges_none(harness: Harness) -> None:
    await harness.say(MANAGER, "/setting late_fee none", lang="zh")
    await harness.say(CHEN, "/fees", lang="zh")
    assert "滞纳金" not in harness.transport.last(CHEN).text


async def test_in_a_group_the_bot_points_to_private_and_says_nothing_about_money(
    harness: Harness,
) -> None:
    group = demo.RESIDENT_GROUP_ID
    for text in ("/fees", "@courtyard_bot 我家物业费交了吗", "@courtyard_bot how much do I owe"):
        out = await harness.say(WANG, text, chat=group, lang="zh", addressed=True)
        said = [o for o in out if isinstance(o, Send)]
        assert said and all(o.chat_id == group for o in said), text
        for message in said:
            assert "¥" not in message.text and "1-1-0301" not in message.text
        links = [b.url for o in said for row in o.buttons for b in row if b.url]
        assert links and all(link.endswith("start=fees") for link in links), text


async def test_a_forged_press_for_another_unit_is_refused(harness: Harness) -> None:
    other = await _unit(harness, "3-2-1102")
    for press in (HomePress(other.id), PaidPress(other.id)):
        before = len(harness.transport.to(WANG))
        await harness.press(WANG, press.pack())
        assert len(harness.transport.to(WANG)) == before
        assert harness.transport.toasts[-1].alert
    assert not [s for s in harness.transport.sent if "3-2-1102 的账单" in s.text]


async def test_tenants_see_bills_only_where_the_compound_allows_it(harness: Harness) -> None:
    await harness.say(DAVID, "/fees", lang="en")
    assert "Bills of 2-1-0502" in harness.transport.last(DAVID).text
    await harness.say(MANAGER, "/setting tenants_see_bills no", lang="zh")
    await harness.say(DAVID, "/fees", lang="en")
    assert "owners only" in harness.transport.last(DAVID).text
    assert "¥" not in harness.transport.last(DAVID).text


async def test_a_resident_with_two_homes_picks_one(harness: Harness) -> None:
    second = await _unit(harness, "2-1-0502")
    async with harness.services.db.write() as session:
        wang = await session.scalar(select(Residency).join(Unit).where(Unit.label == "1-1-0301"))
        assert wang is not None
        session.add(
            Residency(
                compound_id=wang.compound_id,
                unit_id=second.id,
                person_id=wang.person_id,
                role=ResidencyRole.OWNER,
                status=ResidencyStatus.APPROVED,
                source="invite",
            )
        )
    await harness.say(WANG, "/fees", lang="zh")
    pick = harness.transport.last(WANG)
    assert "多套房屋" in pick.text
    await harness.press(WANG, pick.data("2-1-0502"))
    assert "2-1-0502 的账单" in harness.transport.last(WANG).text


async def test_paid_but_unpaid_files_a_billing_question_with_the_receipt(harness: Harness) -> None:
    await harness.say(WANG, "/fees", lang="zh")
    view = harness.transport.last(WANG)
    await harness.press(WANG, view.data("我已缴费"))
    assert "凭证" in harness.transport.last(WANG).text
    await harness.say(WANG, "我上周在前台交过了", lang="zh")
    assert "照片" in harness.transport.last(WANG).text
    await harness.photo(WANG, "receipt-file-id", caption="11月20日前台现金")
    filed = harness.transport.last(WANG).text
    number = re.search(r"[A-Z]-\d{8}-\d{3}", filed)
    assert number, filed
    async with harness.services.db.read() as session:
        case = await session.scalar(select(Case).where(Case.number == number[0]))
        assert case is not None
        assert case.kind is CaseKind.INQUIRY and case.category == "billing"
        assert case.photos == ["receipt-file-id"] and "11月20日前台现金" in case.description
    card = harness.transport.last(demo.STAFF_CHAT_ID)
    assert number[0] in card.text and "收费核对" in card.text
    assert card.photos == ("receipt-file-id",)
    # The staff member who handles billing hears of it in private.
    assert number[0] in harness.transport.last(CLERK).text


async def test_the_late_fee_setting_fills_the_knowledge_base_answer(harness: Harness) -> None:
    await harness.say(MANAGER, "/setting late_fee 0.03%/day", lang="zh")
    await harness.say(WANG, "滞纳金怎么算", lang="zh")
    assert "每日 0.03%" in harness.transport.last(WANG).text
    await harness.say(MANAGER, "/setting late_fee 3 percent", lang="en")
    assert "Not saved" in harness.transport.last(MANAGER).text
