"""A half-typed form is never dropped silently by starting another one."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from storage.models import Case
from tests.harness import Harness

WANG = 1001


async def half_typed_repair(h: Harness) -> None:
    await h.say(WANG, "/repair")
    await h.press(WANG, h.transport.last(WANG).data("水管"))
    await h.press(WANG, h.transport.last(WANG).data("1-1-0301"))
    assert "描述" in h.transport.last(WANG).text


async def test_another_form_asks_before_replacing_the_unfinished_one(harness: Harness) -> None:
    h = harness
    await half_typed_repair(h)
    question = h.transport.last(WANG).text
    await h.say(WANG, "/complain")
    asked = h.transport.last(WANG)
    assert "未完成的报修单" in asked.text

    await h.press(WANG, asked.data("继续"))
    again = h.transport.last(WANG)
    assert again.text == question  # the form's last question, asked again
    await h.say(WANG, "卫生间地漏堵了，水排不下去")
    assert "照片" in h.transport.last(WANG).text  # the repair went on where it was


async def test_starting_afresh_discards_and_runs_the_new_command(harness: Harness) -> None:
    h = harness
    await half_typed_repair(h)
    await h.say(WANG, "/complain")
    await h.press(WANG, h.transport.last(WANG).data("重新开始"))
    assert "投诉" in h.transport.last(WANG).text
    async with h.services.db.read() as session:
        assert (await session.scalars(select(Case))).all() == []


async def test_the_menu_asks_too_and_an_old_choice_is_stale(harness: Harness) -> None:
    h = harness
    await half_typed_repair(h)
    await h.say(WANG, "/menu")
    await h.press(WANG, h.transport.last(WANG).data("投诉"))
    asked = h.transport.last(WANG)
    assert "未完成的报修单" in asked.text
    restart = asked.data("重新开始")
    await h.press(WANG, asked.data("继续"))
    await h.say(WANG, "卫生间地漏堵了，水排不下去")  # the form moves on: the old choice is stale
    await h.press(WANG, restart)
    assert h.transport.toasts[-1].alert


async def test_help_and_questions_do_not_ask(harness: Harness) -> None:
    h = harness
    await half_typed_repair(h)
    await h.say(WANG, "/help")
    assert "未完成" not in h.transport.last(WANG).text
    await h.say(WANG, "/repair")  # the same form again also asks rather than wiping it
    assert "未完成的报修单" in h.transport.last(WANG).text


async def test_a_form_left_before_a_restart_is_not_silently_continued(harness: Harness) -> None:
    h = harness
    await half_typed_repair(h)
    question = h.transport.last(WANG)
    h = h.restarted()
    await h.say(WANG, "卫生间地漏堵了")
    notice, again = h.transport.to(WANG)[-2:]
    assert "未完成的报修单" in notice.text and "/cancel" in notice.text
    assert again.text == question.text and again.buttons == question.buttons
    await h.say(WANG, "卫生间地漏堵了，水排不下去")  # only now is the text an answer
    assert "照片" in h.transport.last(WANG).text


async def test_a_form_left_for_hours_is_not_silently_continued(harness: Harness) -> None:
    h = harness
    await half_typed_repair(h)
    question = h.transport.last(WANG)
    clock = h.services.clock
    h.services.clock = lambda: clock() + timedelta(hours=7)
    await h.say(WANG, "Where do I pay the fee?", lang="en")
    notice, again = h.transport.to(WANG)[-2:]
    assert "repair report" in notice.text and "/cancel" in notice.text
    assert again.buttons == question.buttons  # the question again (now in English)
    await h.say(WANG, "卫生间地漏堵了，水排不下去")
    assert "photo" in h.transport.last(WANG).text


async def test_after_a_restart_an_emergency_still_comes_first(harness: Harness) -> None:
    h = harness
    await half_typed_repair(h)
    h = h.restarted()
    await h.say(WANG, "家里着火了，好多烟！")
    assert all("未完成" not in s.text for s in h.transport.to(WANG))
    await h.say(WANG, "卫生间地漏堵了")
    assert "未完成的报修单" in h.transport.to(WANG)[-2].text
