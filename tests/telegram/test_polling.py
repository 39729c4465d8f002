"""End to end, for each Telegram library: updates fetched by long polling from the fake Bot
API, through the adapter and the real engine, and the bot's answers as the fake API received
them."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from sqlalchemy import select

from bot.i18n import translate
from storage.demo import RESIDENT_GROUP_ID, STAFF_CHAT_ID
from storage.models import Person, Residency, ResidencyStatus, SentMessage
from tests.telegram.conftest import BOT_USERNAME, Live
from tests.telegram.updates import Person as Sender
from tests.telegram.updates import button_data, buttons, group

WANG = Sender(1001, "芳", "zh-hans")  # resident, Chinese
DAVID = Sender(1002, "David", "en")  # resident, English
STAFF = Sender(2001, "师傅", "zh")
NEWCOMER = Sender(5001, "Emily", "en")


async def eventually(check: Callable[[], Awaitable[bool]], *, tries: int = 100) -> None:
    """For effects that follow the last request (a database write after a refusal)."""
    for _ in range(tries):
        if await check():
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"{check.__name__} still false after {tries} tries")


async def test_start_answers_in_the_users_language(live: Live) -> None:
    chinese = Sender(5002, "小明", "zh-hans")
    await live.api.push(
        live.updates.text(NEWCOMER, "/start"),
        live.updates.text(chinese, "/start"),
    )
    english_texts = await live.api.wait_sent(NEWCOMER.id)
    chinese_texts = await live.api.wait_sent(chinese.id)
    assert len(english_texts) == len(chinese_texts) == 1
    assert english_texts[0].startswith("Hello Emily!")
    assert chinese_texts[0].startswith("小明，您好！")
    labels = [label for label, _ in buttons(live.api.last_message(NEWCOMER.id))]
    assert translate("en", "onboarding-have-code") in labels


async def test_deep_link_invite_binds_a_newcomer(live: Live) -> None:
    code = live.demo.invite_code
    await live.api.push(live.updates.text(NEWCOMER, f"/start inv-{code}"))
    assert await live.api.wait_sent(NEWCOMER.id) == [
        translate(
            "en",
            "onboarding-bound",
            unit="2-1-0601",
            compound=live.demo.compound_name,
            role=translate("en", "role-owner"),
        )
    ]
    async with live.services.db.read() as session:
        person = await session.scalar(select(Person).where(Person.telegram_id == NEWCOMER.id))
        assert person is not None
        statuses = list(
            await session.scalars(select(Residency.status).where(Residency.person_id == person.id))
        )
    assert statuses == [ResidencyStatus.APPROVED]


async def test_invite_code_typed_after_pressing_the_button(live: Live) -> None:
    await live.api.push(live.updates.text(NEWCOMER, "/start"))
    await live.api.wait_sent(NEWCOMER.id)
    welcome = live.api.last_message(NEWCOMER.id)
    data = button_data(welcome, translate("en", "onboarding-have-code"))
    await live.api.push(live.updates.press(NEWCOMER, data, on=welcome))
    texts = await live.api.wait_sent(NEWCOMER.id, count=2)
    assert texts[-1] == translate("en", "onboarding-enter-code")
    (answer,) = await live.api.wait_for("answerCallbackQuery")
    assert answer.params["callback_query_id"].startswith("press-")
    await live.api.push(live.updates.text(NEWCOMER, live.demo.invite_code.lower()))
    texts = await live.api.wait_sent(NEWCOMER.id, count=3)
    assert "2-1-0601" in texts[-1]


async def test_request_approved_by_staff_with_buttons_in_the_staff_chat(live: Live) -> None:
    """Presses in private and in a group: an edited question, a staff card edited by its
    reference, the presser's toast, and the news sent to the newcomer."""
    push, api, updates = live.api.push, live.api, live.updates
    await push(updates.text(NEWCOMER, "/start"))
    await api.wait_sent(NEWCOMER.id)
    welcome = api.last_message(NEWCOMER.id)
    await push(updates.press(NEWCOMER, button_data(welcome, "📝"), on=welcome))
    await api.wait_sent(NEWCOMER.id, count=2)
    await push(updates.text(NEWCOMER, "1-1-0502"))
    await api.wait_sent(NEWCOMER.id, count=3)
    question = api.last_message(NEWCOMER.id)
    await push(updates.press(NEWCOMER, button_data(question, "owner"), on=question))
    await api.wait_for("editMessageText")
    question = api.messages[(NEWCOMER.id, question["message_id"])]
    assert question["text"] == translate(
        "en", "onboarding-role-chosen", unit="1-1-0502", role=translate("en", "role-owner")
    )
    assert "reply_markup" not in question  # the role buttons are gone
    await api.wait_sent(NEWCOMER.id, count=4)
    await push(updates.text(NEWCOMER, "Emily Zhang"))
    (card_text,) = await api.wait_sent(STAFF_CHAT_ID)
    assert "1-1-0502" in card_text and "Emily Zhang" in card_text
    card = api.last_message(STAFF_CHAT_ID)
    await api.wait_sent(NEWCOMER.id, count=5)

    async def card_remembered() -> bool:
        # The engine records the card for later edits once the whole reply is delivered.
        async with live.services.db.read() as session:
            return (
                await session.scalar(
                    select(SentMessage.id).where(SentMessage.chat_id == STAFF_CHAT_ID)
                )
                is not None
            )

    await eventually(card_remembered)
    approve = button_data(card, translate("zh", "onboarding-approve"))
    await push(updates.press(STAFF, approve, on=card))
    texts = await api.wait_sent(NEWCOMER.id, count=6)
    assert texts[-1] == translate("en", "onboarding-approved", unit="1-1-0502")
    await api.wait_for(lambda c: c.is_("editMessageText") and c.chat_id == STAFF_CHAT_ID)
    card = api.messages[(STAFF_CHAT_ID, card["message_id"])]
    assert "reply_markup" not in card and "Emily Zhang" in card["text"]
    approved = translate("zh", "residency-approved")  # the presser's toast, in their language
    await api.wait_for(lambda c: c.is_("answerCallbackQuery") and c.params.get("text") == approved)


async def test_photo_without_a_flow_gets_the_polite_reply(live: Live) -> None:
    await live.api.push(live.updates.photo(WANG, "leak-photo"))
    assert await live.api.wait_sent(WANG.id) == [translate("zh", "common-photo-without-flow")]


async def test_sticker_gets_the_unsupported_reply(live: Live) -> None:
    await live.api.push(live.updates.sticker(DAVID))
    expected = translate("en", "common-unsupported", kind=translate("en", "kind-sticker"))
    assert await live.api.wait_sent(DAVID.id) == [expected]


async def test_group_answers_only_when_addressed(live: Live) -> None:
    residents = group(RESIDENT_GROUP_ID)
    # Chit-chat first, then a command for this bot: both from one person, so the engine
    # handles them in this order and the help reply shows the first one is done.
    await live.api.push(
        live.updates.text(WANG, "好的，谢谢大家", chat=residents),
        live.updates.text(WANG, "/help@someone_else_bot", chat=residents),
        live.updates.text(WANG, f"/help@{BOT_USERNAME}", chat=residents),
    )
    texts = await live.api.wait_sent(RESIDENT_GROUP_ID)
    assert len(texts) == 1
    assert texts[0].startswith(
        translate("zh", "common-help", compound=live.demo.compound_name).strip()
    )
    assert live.api.of("sendMessage", chat_id=WANG.id) == []


async def test_forum_topic_answers_stay_in_the_topic(live: Live) -> None:
    forum = group(-100777, "Sunny Garden forum", forum=True)
    await live.api.push(
        live.updates.text(
            DAVID,
            f"/menu@{BOT_USERNAME}",
            chat=forum,
            message_thread_id=42,
            is_topic_message=True,
        )
    )
    await live.api.wait_sent(forum["id"])
    (call,) = live.api.of("sendMessage", chat_id=forum["id"])
    assert call.params["message_thread_id"] == "42"


async def test_one_users_messages_are_handled_in_order(live: Live) -> None:
    await live.api.push(
        live.updates.text(WANG, "/lang en"),
        live.updates.text(WANG, "/cancel"),
    )
    texts = await live.api.wait_sent(WANG.id, count=2)
    assert texts == [translate("en", "lang-set"), translate("en", "common-nothing-to-cancel")]


async def test_blocked_user_is_marked_and_others_are_still_served(live: Live) -> None:
    live.api.block(WANG.id)
    await live.api.push(
        live.updates.text(WANG, "/help"),
        live.updates.text(DAVID, "/help"),
    )
    await live.api.wait_for(lambda c: c.is_("sendMessage") and c.chat_id == WANG.id)
    assert await live.api.wait_sent(DAVID.id)

    async def marked() -> bool:
        async with live.services.db.read() as session:
            person = await session.scalar(select(Person).where(Person.telegram_id == WANG.id))
            return person is not None and person.blocked_at is not None

    await eventually(marked)
    assert live.api.texts(WANG.id) == []


async def test_flood_wait_is_waited_out_and_retried(live: Live) -> None:
    live.api.flood("sendMessage", retry_after=1)
    await live.api.push(live.updates.text(DAVID, "/help"))
    texts = await live.api.wait_sent(DAVID.id, within=5)
    assert len(texts) == 1
    assert texts[0].startswith(
        translate("en", "common-help", compound=live.demo.compound_name).strip()
    )
    refused, sent = live.api.of("sendMessage", chat_id=DAVID.id)
    # The outbox waited as long as Telegram asked before the second try.
    assert sent.received_at - refused.received_at >= 1


async def test_stopping_lets_updates_in_progress_finish(live: Live) -> None:
    gate = live.api.hold("sendMessage")
    await live.api.push(live.updates.text(DAVID, "/help"))
    await live.api.wait_for("sendMessage")  # the reply is on its way; the server holds it
    stopping = asyncio.create_task(live.telegram.stop_polling())
    await asyncio.sleep(0.1)
    assert not stopping.done()
    gate.set()
    await asyncio.wait_for(stopping, 3)
    (text,) = live.api.texts(DAVID.id)
    assert text.startswith(translate("en", "common-help", compound=live.demo.compound_name).strip())


async def test_server_errors_lose_no_reply(live: Live) -> None:
    """A Bot API answering 502 now and then: every reply still arrives, once, in order."""
    people = [Sender(700_000 + n, f"Guest {n}", "en") for n in range(8)]
    live.api.fail("sendMessage", 502, "Bad Gateway", times=6)
    for person in people:
        await live.api.push(live.updates.text(person, "/help"))
    for person in people:
        texts = await live.api.wait_sent(person.id, within=10)
        assert len(texts) == 1 and "/lang" in texts[0]
    refused = [c for c in live.api.of("sendMessage") if c.status == 502]
    assert len(refused) == 6
