"""NUL and other control characters in what people send: PostgreSQL refuses a NUL in text,
so they are taken out where every adapter's events are built, once."""

from __future__ import annotations

from sqlalchemy import select

from bot.engine.events import ChatKind, ChatRef, Incoming, UserRef, clean_text
from storage.models import UnansweredQuestion
from tests.harness import Harness

RESIDENT = 1001


async def test_a_question_with_a_nul_is_kept_without_it(any_harness: Harness) -> None:
    await any_harness.say(RESIDENT, "xyzzy\x00 plugh\x07 quux\x1b[0m frobnicate?", lang="en")
    reply = any_harness.transport.last(RESIDENT).text
    assert "reference" not in reply  # no apology: the event went through
    async with any_harness.services.db.read() as session:
        kept = list(await session.scalars(select(UnansweredQuestion.text)))
    assert kept == ["xyzzy plugh quux[0m frobnicate?"]


def test_line_breaks_and_tabs_stay() -> None:
    assert clean_text("a\tb\nc\r\nd\x00e\x1f\x7f") == "a\tb\nc\nde\x7f"


def test_every_text_of_an_event_is_cleaned() -> None:
    event = Incoming(
        user=UserRef(1, "Wang\x00 Fang"),
        chat=ChatRef(-5, ChatKind.GROUP, title="Group\x00"),
        text="/repair\x00 leak",
        command="repair",
        args="leak\x00",
    )
    assert (event.text, event.args) == ("/repair leak", "leak")
    assert event.user.name == "Wang Fang" and event.chat.title == "Group"
