"""The fake Bot API's own records, which bench/crash.py counts losses with: when an update
was acknowledged, when each request arrived and was answered, and its answer's latency."""

from __future__ import annotations

import aiohttp

from tests.telegram.conftest import TOKEN, Live
from tests.telegram.fake_api import FakeBotAPI
from tests.telegram.updates import Person

WANG = Person(1001, "芳", "zh")


async def test_an_update_is_acknowledged_when_the_bot_asks_for_the_next(live: Live) -> None:
    update = live.updates.text(WANG, "物业费怎么交")
    await live.api.push(update)
    await live.api.wait_sent(WANG.id)
    await live.api.until(
        lambda: update["update_id"] in live.api.acknowledged, what="the acknowledgement"
    )
    assert live.api.served[update["update_id"]] == 1
    send = live.api.of("sendMessage", chat_id=WANG.id)[0]
    assert send.status == 200
    assert send.answered_at is not None and send.answered_at >= send.received_at
    assert send.result["message_id"] == live.api.last_message(WANG.id)["message_id"]


async def test_latency_delays_every_answer_but_the_long_poll() -> None:
    api = FakeBotAPI(token=TOKEN, latency=0.2)
    await api.start()
    try:
        async with aiohttp.ClientSession() as http:
            for method in ("getMe", "getUpdates"):
                async with http.post(f"{api.url}/bot{TOKEN}/{method}", data={}) as response:
                    assert (await response.json())["ok"]
    finally:
        await api.close()
    get_me, get_updates = api.calls
    assert get_me.answered_at is not None and get_updates.answered_at is not None
    assert get_me.answered_at - get_me.received_at >= 0.2
    assert get_updates.answered_at - get_updates.received_at < 0.2
