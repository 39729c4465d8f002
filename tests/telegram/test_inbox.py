"""The inbox through the fake Bot API: an update stored by a process killed before handling it
is handled at the next start, once; an update Telegram sends twice is handled once."""

from __future__ import annotations

import asyncio

from bot.i18n import translate
from bot.services import Services
from storage.models import InboxUpdate
from tests.telegram.conftest import Seed, polling
from tests.telegram.fake_api import FakeBotAPI
from tests.telegram.updates import Person, Updates

DAVID = Person(1002, "David", "en")


async def test_an_update_stored_but_never_handled_is_handled_at_the_next_start(
    api: FakeBotAPI, library: str, seeded: tuple[Services, Seed]
) -> None:
    services, _ = seeded
    update = Updates().text(DAVID, "/menu")
    async with services.db.write() as session:
        # What a process killed between storing the batch and handling it leaves behind.
        session.add(InboxUpdate(update_id=update["update_id"], payload=update))
    async with polling(services, library):
        assert await api.wait_sent(DAVID.id) == [translate("en", "common-menu-title")]
    async with services.db.read() as session:
        stored = await session.get(InboxUpdate, update["update_id"])
        assert stored is not None and stored.handled_at is not None

    # The next start does not handle it again.
    async with polling(services, library):
        await api.wait_for("getUpdates")
        await asyncio.sleep(0.3)
    assert len(api.of("sendMessage", chat_id=DAVID.id)) == 1


async def test_an_update_telegram_sends_again_after_a_crash_is_handled_once(
    api: FakeBotAPI, library: str, seeded: tuple[Services, Seed]
) -> None:
    """Killed after handling an update but before the next getUpdates confirmed it: Telegram
    sends it again to the next process, which must not answer it twice."""
    services, _ = seeded
    update = Updates().text(DAVID, "/menu")
    async with polling(services, library):
        await api.push(update)
        await api.wait_sent(DAVID.id)
    await api.push(update)  # never confirmed: a new process (no offset yet) gets it again
    async with polling(services, library):
        await api.until(lambda: api.served[update["update_id"]] >= 2, what="served again")
        await asyncio.sleep(0.3)
    assert len(api.of("sendMessage", chat_id=DAVID.id)) == 1
