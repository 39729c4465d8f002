"""Onboarding through the engine: invite codes, requests staff approve, languages."""

from __future__ import annotations

from sqlalchemy import select

from storage import demo
from storage.models import AuditEntry, Person, Residency, ResidencyStatus
from tests.harness import Harness

NEWCOMER = demo.NEWCOMER_ID
MANAGER = 3001
STAFF = 2001


async def test_start_greets_in_telegram_language(harness: Harness) -> None:
    await harness.say(NEWCOMER, "/start", lang="en-GB", name="Anna")
    greeting = harness.transport.last(NEWCOMER)
    assert greeting.text.startswith("Hello Anna")
    assert greeting.data("invite code")

    await harness.say(NEWCOMER + 1, "/start", lang="zh-hans", name="小李")
    assert "小李，您好" in harness.transport.last(NEWCOMER + 1).text


async def test_other_telegram_language_falls_back_to_compound_default(harness: Harness) -> None:
    await harness.say(NEWCOMER, "/start", lang="de")
    assert "您好" in harness.transport.last(NEWCOMER).text


async def test_deep_link_invite_binds_the_unit(harness: Harness) -> None:
    assert harness.demo is not None
    await harness.say(NEWCOMER, f"/start inv-{harness.demo.invite_code}", lang="zh")
    assert "绑定成功" in harness.transport.last(NEWCOMER).text
    async with harness.services.db.read() as session:
        residency = await session.scalar(select(Residency).where(Residency.source == "invite"))
        assert residency is not None and residency.status is ResidencyStatus.APPROVED
        actions = (await session.scalars(select(AuditEntry.action))).all()
    assert "residency.invite_redeemed" in actions

    # The same code a second time, by someone else: refused politely.
    await harness.say(NEWCOMER + 1, f"/start {harness.demo.invite_code}", lang="en")
    assert "already been used" in harness.transport.last(NEWCOMER + 1).text


async def test_wrong_code_can_be_retyped(harness: Harness) -> None:
    assert harness.demo is not None
    await harness.say(NEWCOMER, "/start", lang="en")
    await harness.press(NEWCOMER, harness.transport.last(NEWCOMER).data("invite code"))
    await harness.say(NEWCOMER, "NOPE1234")
    assert "could not find" in harness.transport.last(NEWCOMER).text
    code = harness.demo.invite_code.lower()
    await harness.say(NEWCOMER, f"{code[:4]} {code[4:]}")
    assert "Linked!" in harness.transport.last(NEWCOMER).text


async def test_request_approved_by_staff_survives_restart(harness: Harness) -> None:
    await harness.say(NEWCOMER, "/start", lang="en")
    await harness.press(NEWCOMER, harness.transport.last(NEWCOMER).data("Request"))
    await harness.say(NEWCOMER, "3-2-9999")
    assert "could not find unit" in harness.transport.last(NEWCOMER).text
    await harness.say(NEWCOMER, "3－2－0901")  # full-width dashes, as phones type them
    await harness.press(NEWCOMER, harness.transport.last(NEWCOMER).data("tenant"))

    # The process restarts while the resident is typing their name.
    harness = harness.restarted()
    await harness.say(NEWCOMER, "John Smith", lang="en")  # asked first: the request goes on
    assert "unfinished request to link your home" in harness.transport.to(NEWCOMER)[-2].text
    await harness.say(NEWCOMER, "John Smith", lang="en")
    assert "has been sent" in harness.transport.last(NEWCOMER).text
    card = harness.transport.last(demo.STAFF_CHAT_ID)
    assert "3-2-0901" in card.text and "John Smith" in card.text

    # A resident cannot approve their own request, even with the card's button data.
    approve = card.data("通过")
    await harness.press(NEWCOMER, approve, chat=demo.STAFF_CHAT_ID)
    assert harness.transport.toasts[-1].alert

    await harness.press(STAFF, approve, chat=demo.STAFF_CHAT_ID)
    assert "已通过" in harness.transport.last(demo.STAFF_CHAT_ID).text  # card edited in place
    assert "approved" in harness.transport.last(NEWCOMER).text

    # A second press on the same card is stale.
    await harness.press(MANAGER, approve, chat=demo.STAFF_CHAT_ID)
    assert "已处理" in harness.transport.toasts[-1].text


async def test_rejected_request_tells_the_resident(harness: Harness) -> None:
    await harness.say(NEWCOMER, "/start", lang="zh")
    await harness.press(NEWCOMER, harness.transport.last(NEWCOMER).data("申请"))
    await harness.say(NEWCOMER, "1-1-0101")
    await harness.press(NEWCOMER, harness.transport.last(NEWCOMER).data("业主"))
    await harness.say(NEWCOMER, "李雷")
    reject = harness.transport.last(demo.STAFF_CHAT_ID).data("拒绝")
    await harness.press(STAFF, reject, chat=demo.STAFF_CHAT_ID)
    assert "未通过" in harness.transport.last(NEWCOMER).text


async def test_language_switch_sticks(harness: Harness) -> None:
    await harness.say(1001, "/lang en", lang="zh")
    assert "English" in harness.transport.last(1001).text
    await harness.say(1001, "/help", lang="zh")  # Telegram still says zh: the choice wins
    assert "I am the property assistant" in harness.transport.last(1001).text


async def test_the_open_private_chat_link_greets_instead_of_taking_a_code(harness: Harness) -> None:
    await harness.say(NEWCOMER, "/start start", lang="en", name="Ann")
    assert harness.transport.last(NEWCOMER).text.startswith("Hello Ann")


async def test_deep_link_to_a_command_runs_it_in_private(harness: Harness) -> None:
    await harness.say(1001, "/start help", lang="en")
    assert "property assistant" in harness.transport.last(1001).text


async def test_too_many_wrong_codes_lock_the_person_out_even_for_the_right_one(
    harness: Harness,
) -> None:
    assert harness.demo is not None
    await harness.say(NEWCOMER, "/start", lang="en")
    await harness.press(NEWCOMER, harness.transport.last(NEWCOMER).data("invite code"))
    for attempt in range(5):
        await harness.say(NEWCOMER, f"WRONG00{attempt}")
    assert "Too many wrong invite codes" in harness.transport.last(NEWCOMER).text

    # The right code is not even looked at while locked out, and the lock says until when.
    await harness.say(NEWCOMER, f"/start inv-{harness.demo.invite_code}", lang="en")
    assert "Too many wrong invite codes" in harness.transport.last(NEWCOMER).text
    async with harness.services.db.read() as session:
        linked = await session.scalar(
            select(Residency)
            .join(Person, Person.id == Residency.person_id)
            .where(Person.telegram_id == NEWCOMER)
        )
    assert linked is None

    # "I have a code" says so at once instead of asking for a code that cannot be accepted.
    await harness.say(NEWCOMER, "/start", lang="en")
    await harness.press(NEWCOMER, harness.transport.last(NEWCOMER).data("invite code"))
    assert "Too many wrong invite codes" in harness.transport.last(NEWCOMER).text
