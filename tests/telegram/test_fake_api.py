"""The fake Bot API's own records, which bench/crash.py counts losses with: when an update
was acknowledged, when each request arrived and was answered, and its answer's latency; and
the flood limits, blocked chats and accepted messages bench/broadcast.py measures with."""

from __future__ import annotations

import asyncio

import aiohttp

from tests.telegram.conftest import TOKEN, Live
from tests.telegram.fake_api import FakeBotAPI, Limits
from tests.telegram.updates import Person

WANG = Person(1001, "芳", "zh")
BLOCKED = "Forbidden: bot was blocked by the user"


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


async def post(api: FakeBotAPI, method: str, **params: object) -> tuple[int, dict]:
    async with aiohttp.ClientSession() as http:
        data = {key: str(value) for key, value in params.items()}
        async with http.post(f"{api.url}/bot{TOKEN}/{method}", data=data) as response:
            return response.status, await response.json()


async def test_the_global_limit_answers_429_with_the_wait_and_counts_it() -> None:
    api = FakeBotAPI(token=TOKEN, limits=Limits(global_rate=5))
    await api.start()
    try:
        answers = [await post(api, "sendMessage", chat_id=1000 + n, text=f"m{n}") for n in range(8)]
    finally:
        await api.close()
    assert [status for status, _ in answers] == [200] * 5 + [429] * 3
    assert answers[-1][1]["parameters"] == {"retry_after": 1}
    assert api.too_many == {"global": 3}
    assert [(a.chat_id, a.text) for a in api.accepted] == [(1000 + n, f"m{n}") for n in range(5)]


async def test_a_private_chat_takes_a_small_burst_then_one_a_second() -> None:
    api = FakeBotAPI(token=TOKEN, limits=Limits(private_rate=4, private_burst=2))
    await api.start()
    try:
        burst = [await post(api, "sendMessage", chat_id=7, text="x") for _ in range(3)]
        elsewhere = await post(api, "sendMessage", chat_id=8, text="y")
        await asyncio.sleep(0.3)  # refilled at 4 a second: one more fits
        later = await post(api, "sendMessage", chat_id=7, text="z")
    finally:
        await api.close()
    assert [status for status, _ in burst] == [200, 200, 429]
    assert burst[2][1]["parameters"] == {"retry_after": 1}
    assert elsewhere[0] == later[0] == 200
    assert api.too_many == {"private": 1}


async def test_a_group_takes_twenty_a_minute_by_default() -> None:
    api = FakeBotAPI(token=TOKEN, limits=Limits(global_rate=100))
    await api.start()
    try:
        answers = [await post(api, "sendMessage", chat_id=-100, text="n") for _ in range(21)]
    finally:
        await api.close()
    assert [status for status, _ in answers].count(200) == 20
    status, body = answers[-1]
    assert status == 429 and 59 <= body["parameters"]["retry_after"] <= 60
    assert api.too_many == {"group": 1}


async def test_blocked_chats_and_periodic_floods() -> None:
    api = FakeBotAPI(token=TOKEN, blocked={5})
    api.flood_periodically(3, retry_after=2)
    await api.start()
    try:
        refused = await post(api, "sendMessage", chat_id=5, text="a")
        answers = [await post(api, "sendMessage", chat_id=6, text=str(n)) for n in range(5)]
    finally:
        await api.close()
    assert refused == (403, {"ok": False, "error_code": 403, "description": BLOCKED})
    # The third and sixth counted messages (the refused one counts) are flooded.
    assert [status for status, _ in answers] == [200, 429, 200, 200, 429]
    assert answers[1][1]["parameters"] == {"retry_after": 2}
    assert api.too_many == {"injected": 2}
    assert [a.text for a in api.accepted] == ["0", "2", "3"]
