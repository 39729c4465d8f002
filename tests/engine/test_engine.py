"""The engine's promises: ordering, commands that always answer, stale and forged presses,
unsupported messages, errors with a reference, blocked users."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

import pytest
from sqlalchemy import select

from bot.engine.buttons import ButtonData
from bot.engine.context import Context
from bot.engine.events import ChatKind, ChatRef, Incoming, Unsupported, UserRef
from bot.engine.ordering import KeyedLocks
from bot.logs import RedactTokens
from storage import demo
from storage.models import Person
from tests.harness import Harness

RESIDENT, NEWCOMER = 1001, demo.NEWCOMER_ID


async def test_unknown_command_explains_what_works(harness: Harness) -> None:
    await harness.say(RESIDENT, "/frobnicate", lang="en")
    assert "/frobnicate" in harness.transport.last(RESIDENT).text
    assert "/help" in harness.transport.last(RESIDENT).text


async def test_help_and_menu_answer_in_the_middle_of_a_conversation(harness: Harness) -> None:
    await harness.say(NEWCOMER, "/start", lang="en")
    await harness.press(NEWCOMER, harness.transport.last(NEWCOMER).data("invite code"))
    await harness.say(NEWCOMER, "/help")
    assert "/cancel" in harness.transport.last(NEWCOMER).text
    await harness.say(NEWCOMER, "/menu")
    assert harness.transport.last(NEWCOMER).data("Ask")
    # The conversation is still there: a code typed now is taken as a code.
    await harness.say(NEWCOMER, "WRONG123")
    assert "could not find" in harness.transport.last(NEWCOMER).text
    await harness.say(NEWCOMER, "/cancel")
    assert "left that" in harness.transport.last(NEWCOMER).text
    await harness.say(NEWCOMER, "/cancel")
    assert "nothing in progress" in harness.transport.last(NEWCOMER).text


@pytest.mark.parametrize("kind", list(Unsupported))
async def test_unsupported_messages_get_a_short_explanation(
    harness: Harness, kind: Unsupported
) -> None:
    await harness.send_event(
        Incoming(user=UserRef(RESIDENT, "", "en"), chat=ChatRef(RESIDENT), unsupported=kind)
    )
    assert "Sorry, I cannot read" in harness.transport.last(RESIDENT).text


async def test_unsupported_message_in_a_group_is_ignored_unless_addressed(harness: Harness) -> None:
    group = ChatRef(demo.RESIDENT_GROUP_ID, ChatKind.GROUP)
    event = Incoming(
        user=UserRef(RESIDENT), chat=group, unsupported=Unsupported.STICKER, addressed=False
    )
    await harness.send_event(event)
    assert harness.transport.to(demo.RESIDENT_GROUP_ID) == []


async def test_photo_outside_a_flow_is_explained(harness: Harness) -> None:
    await harness.photo(RESIDENT, "file-1")
    assert "照片" in harness.transport.last(RESIDENT).text


@pytest.mark.parametrize(
    "data",
    ["", "zz:1", "od:abc:1", "od:1", "od:1:1:1", "od:1:7", "or:owner", "m:nothing", "x" * 64],
)
async def test_forged_presses_are_refused_politely(harness: Harness, data: str) -> None:
    await harness.press(RESIDENT, data)
    assert harness.transport.toasts[-1].alert
    assert "no longer valid" in harness.transport.toasts[-1].text or "失效" in (
        harness.transport.toasts[-1].text
    )


async def test_press_on_a_finished_step_is_stale(harness: Harness) -> None:
    await harness.say(NEWCOMER, "/start", lang="en")
    await harness.press(NEWCOMER, harness.transport.last(NEWCOMER).data("Request"))
    await harness.say(NEWCOMER, "1-1-0101")
    tenant = harness.transport.last(NEWCOMER).data("tenant")
    await harness.say(NEWCOMER, "/cancel")
    sent_before = len(harness.transport.sent)
    await harness.press(NEWCOMER, tenant)
    assert harness.transport.toasts[-1].alert
    assert len(harness.transport.sent) == sent_before  # nothing happened


async def test_every_press_is_answered(harness: Harness) -> None:
    await harness.say(RESIDENT, "/menu", lang="en")
    await harness.press(RESIDENT, harness.transport.last(RESIDENT).data("Ask"))
    assert len(harness.transport.toasts) == 1  # the spinner on the button stops


async def test_private_only_command_in_a_group_points_to_a_private_chat(harness: Harness) -> None:
    await harness.say(3001, "/addstaff", chat=demo.STAFF_CHAT_ID, lang="en")
    reply = harness.transport.last(demo.STAFF_CHAT_ID)
    assert "private chat" in reply.text
    assert reply.buttons == [[("Open a private chat", None)]]


async def test_unexpected_error_apologises_with_reference_and_tells_staff(
    harness: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    async def explode(ctx: Context) -> None:
        ctx.reply("half-way")  # never delivered: the event failed
        raise RuntimeError("database on fire")

    harness.services.flows.command("explode", explode)
    with caplog.at_level(logging.ERROR):
        await harness.say(RESIDENT, "/explode", lang="en")
    apology = harness.transport.last(RESIDENT)
    assert apology.text.startswith("Sorry, something went wrong")
    assert "half-way" not in [s.text for s in harness.transport.sent]
    reference = apology.text.split("reference ")[1].split(")")[0]
    staff_alert = harness.transport.last(demo.STAFF_CHAT_ID)
    assert reference in staff_alert.text and "Traceback" not in staff_alert.text
    assert "database on fire" not in apology.text + staff_alert.text
    assert any(reference in record.getMessage() for record in caplog.records)


async def test_blocked_user_is_marked_and_others_still_served(harness: Harness) -> None:
    harness.transport.blocked.add(RESIDENT)
    await harness.say(RESIDENT, "/help")
    async with harness.services.db.read() as session:
        person = await session.scalar(select(Person).where(Person.telegram_id == RESIDENT))
    assert person is not None and person.blocked_at is not None
    await harness.say(1002, "/help", lang="en")
    assert harness.transport.last(1002).text


async def test_events_of_one_user_run_in_order(harness: Harness) -> None:
    order: list[str] = []

    async def slow(ctx: Context) -> None:
        order.append(f"start {ctx.event.args}")
        if ctx.event.args == "first":
            await asyncio.sleep(0.05)  # the second message arrives meanwhile
        order.append(f"end {ctx.event.args}")

    harness.services.flows.command("slow", slow)
    first = asyncio.create_task(harness.say(RESIDENT, "/slow first"))
    await asyncio.sleep(0.01)
    second = asyncio.create_task(harness.say(RESIDENT, "/slow second"))
    await asyncio.gather(first, second)
    assert order == ["start first", "end first", "start second", "end second"]
    assert len(harness.engine.locks) == 0  # no lock is left behind per user


async def test_keyed_locks_hold_one_key_and_free_the_others() -> None:
    locks = KeyedLocks()
    order: list[str] = []
    release = asyncio.Event()

    async def work(key: int, name: str, wait: bool) -> None:
        async with locks.hold(key):
            order.append(f"start {name}")
            if wait:
                await release.wait()
            order.append(f"end {name}")

    first = asyncio.create_task(work(1, "a1", True))
    await asyncio.sleep(0)
    second = asyncio.create_task(work(1, "a2", False))
    await asyncio.wait_for(work(2, "b", False), timeout=1)  # another user is not held up
    assert order == ["start a1", "start b", "end b"]
    release.set()
    await asyncio.gather(first, second)
    assert order[3:] == ["end a1", "start a2", "end a2"]
    assert len(locks) == 0


def test_log_records_never_carry_the_token() -> None:
    token = "123456789:AAH-secretsecretsecretsecret_abcdEF"
    record = logging.LogRecord(
        "aiogram",
        logging.ERROR,
        __file__,
        1,
        "POST https://api.telegram.org/bot%s/sendMessage failed",
        (token,),
        None,
    )
    RedactTokens([token]).filter(record)
    assert token not in record.getMessage()
    other = logging.LogRecord(
        "x",
        logging.INFO,
        __file__,
        1,
        "url /bot987654321:ZZZZZZZZZZZZZZZZZZZZZZZZZZ/getMe",
        (),
        None,
    )
    RedactTokens([]).filter(other)
    assert "ZZZZZZZZZZ" not in other.getMessage()


@dataclass(frozen=True, slots=True)
class Sample(ButtonData):
    prefix = "smp"
    case_id: int
    flag: bool
    note: str | None


def test_button_data_round_trips_and_stays_within_64_bytes() -> None:
    data = Sample(12, True, None)
    assert Sample.unpack(data.pack()) == data
    assert Sample.unpack(Sample(7, False, "abc").pack()) == Sample(7, False, "abc")
    with pytest.raises(ValueError):
        Sample(1, True, "x" * 70).pack()
    with pytest.raises(ValueError):
        Sample(1, True, "a:b").pack()
