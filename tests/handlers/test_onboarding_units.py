"""Naming one's home on first use: the example is a real unit, the ways people write a unit
number all find it, a used invite code leads on to a request, a newcomer is not "业主"."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from storage import demo
from storage.models import Unit
from storage.unit_labels import candidate_labels
from tests.harness import Harness, demo_compound

NEWCOMER = demo.NEWCOMER_ID


async def ask_for_unit(h: Harness, user: int, lang: str = "zh") -> str:
    await h.say(user, "/start", lang=lang)
    await h.press(user, h.transport.last(user).data("申请" if lang == "zh" else "Request"))
    return h.transport.last(user).text


async def test_the_unit_prompt_shows_a_unit_that_exists(harness: Harness) -> None:
    prompt = await ask_for_unit(harness, NEWCOMER)
    async with harness.services.db.read() as session:
        compound = await session.scalar(demo_compound())
        assert compound is not None
        labels = set(
            await session.scalars(select(Unit.label).where(Unit.compound_id == compound.id))
        )
    shown = [label for label in labels if label in prompt]
    assert shown, prompt
    assert "3-2-1502" not in prompt

    # The example works as typed.
    await harness.say(NEWCOMER, shown[0])
    assert shown[0] in harness.transport.last(NEWCOMER).text
    assert harness.transport.last(NEWCOMER).data("租户")


@pytest.mark.parametrize(
    "typed",
    [
        "3栋2单元1202",
        "3号楼2单元1202室",
        "3-2-1202",
        "３－２－１２０２",
        "3幢2单元1202号",
        "building 3 unit 2 room 1202",
        "Bldg 3, Unit 2, Rm 1202",
    ],
)
async def test_every_way_of_writing_a_unit_finds_it(harness: Harness, typed: str) -> None:
    await ask_for_unit(harness, NEWCOMER)
    await harness.say(NEWCOMER, typed)
    confirmed = harness.transport.last(NEWCOMER)
    assert "3-2-1202" in confirmed.text, confirmed.text
    assert confirmed.data("业主")


def test_words_that_are_not_a_unit_find_nothing() -> None:
    assert candidate_labels("我家在三楼", "{building}-{entrance}-{room}") == []
    assert candidate_labels("3 2 1202 please hurry", "{building}-{entrance}-{room}") == []
    assert candidate_labels("3栋1202", "{building}-{entrance}-{room}") == []
    assert candidate_labels("3栋2单元502", "{building}-{entrance}-{room}") == [
        "3-2-502",
        "3-2-0502",
    ]


async def test_a_used_invite_code_offers_a_request_to_staff(harness: Harness) -> None:
    assert harness.demo is not None
    await harness.say(NEWCOMER, f"/start {harness.demo.invite_code}", lang="zh")
    await harness.say(NEWCOMER + 1, f"/start {harness.demo.invite_code}", lang="zh")
    used = harness.transport.last(NEWCOMER + 1)
    assert "已经被使用" in used.text
    await harness.press(NEWCOMER + 1, used.data("申请"))
    assert "房号" in harness.transport.last(NEWCOMER + 1).text


async def test_a_newcomer_without_a_name_is_not_greeted_as_an_owner(harness: Harness) -> None:
    await harness.say(NEWCOMER, "/start", lang="zh", name="")
    greeting = harness.transport.last(NEWCOMER).text
    assert not greeting.startswith("业主") and "您好" in greeting
