"""Updates aiogram cannot read, and entity offsets that split an emoji: logged and skipped,
or answered, but never a stalled poll or a message dropped with a traceback."""

from __future__ import annotations

import logging

import pytest

from bot.i18n import translate
from tests.telegram.conftest import BOT_USERNAME, Live
from tests.telegram.updates import Person as Sender
from tests.telegram.updates import group

DAVID = Sender(1002, "David", "en")
SECRET = "my door code is 4711"


def _unreadable(live: Live) -> dict:
    """An update whose message has a date that is not one: aiogram's model refuses it."""
    update = live.updates.text(DAVID, SECRET)
    update["message"]["date"] = "yesterday, around noon"
    return update


async def test_an_unreadable_update_is_skipped_and_the_poll_goes_on(
    live: Live, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    bad = _unreadable(live)
    good = live.updates.text(DAVID, "/help")
    await live.api.push(bad, good)
    texts = await live.api.wait_sent(DAVID.id)
    assert len(texts) == 1
    assert texts[0].startswith(
        translate("en", "common-help", compound=live.demo.compound_name).strip()
    )
    # The offset moved past both: Telegram forgets them and sends neither again.
    await live.api.wait_for(
        lambda c: c.is_("getUpdates") and int(c.params.get("offset", 0)) > good["update_id"]
    )
    assert live.api.updates == []
    skipped = [r.getMessage() for r in caplog.records if "skipped update" in r.getMessage()]
    assert len(skipped) == 1 and f"skipped update {bad['update_id']}:" in skipped[0]
    assert SECRET not in caplog.text and "yesterday" not in caplog.text


async def test_an_unreadable_update_alone_does_not_stall_the_poll(
    live: Live, caplog: pytest.LogCaptureFixture
) -> None:
    bad = _unreadable(live)
    await live.api.push(bad)
    await live.api.wait_for(
        lambda c: c.is_("getUpdates") and int(c.params.get("offset", 0)) > bad["update_id"]
    )
    await live.api.push(live.updates.text(DAVID, "/help"))
    assert await live.api.wait_sent(DAVID.id)
    assert SECRET not in caplog.text


def _mention_splitting_an_emoji(live: Live, chat: dict | None = None) -> dict:
    # "👍" is two UTF-16 units; an entity starting at 1 begins inside its surrogate pair.
    text = f"👍@{BOT_USERNAME} /help please"
    return live.updates.text(
        DAVID,
        text,
        chat=chat,
        entities=[{"type": "mention", "offset": 1, "length": len(BOT_USERNAME) + 1}],
    )


async def test_a_mention_whose_offsets_split_an_emoji_is_answered(
    live: Live, caplog: pytest.LogCaptureFixture
) -> None:
    await live.api.push(_mention_splitting_an_emoji(live))
    assert await live.api.wait_sent(DAVID.id)
    assert "Traceback" not in caplog.text and "UnicodeDecodeError" not in caplog.text


async def test_in_a_group_the_same_message_is_read_not_dropped(
    live: Live, caplog: pytest.LogCaptureFixture
) -> None:
    """In a group the broken mention does not count as one, but the message still reaches
    the engine (and the next message of the person is handled after it)."""
    caplog.set_level(logging.DEBUG)
    chat = group(-100_999_001, "Some other group")
    await live.api.push(_mention_splitting_an_emoji(live, chat), live.updates.text(DAVID, "/help"))
    assert await live.api.wait_sent(DAVID.id)
    assert "UnicodeDecodeError" not in caplog.text
    assert not any(r.levelno >= logging.ERROR for r in caplog.records)
