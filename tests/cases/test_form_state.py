"""Form state through the engine: forged or misplaced form buttons are refused politely, and a
conversation saved by the previous release resumes when it fits and restarts when it does not."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from storage.models import Case, Conversation
from tests.harness import Harness, in_demo_compound

WANG, DAVID = 1001, 1002


def nonce_of(data: str) -> str:
    return data.rsplit(":", 1)[1]


async def refused(h: Harness, user: int, data: str) -> None:
    toasts = len(h.transport.toasts)
    await h.press(user, data)
    assert len(h.transport.toasts) == toasts + 1 and h.transport.toasts[-1].alert
    assert "失效" in h.transport.toasts[-1].text


async def test_forged_and_misplaced_presses_are_refused(harness: Harness) -> None:
    h = harness
    await h.say(WANG, "/repair")
    nonce = nonce_of(h.transport.last(WANG).data("水管"))
    await refused(h, WANG, f"fp:repair:category:bogus:{nonce}")
    await refused(h, WANG, f"fp:repair:urgency:normal:{nonce}")  # not this step's field
    await refused(h, WANG, f"fp:repair:nosuch:x:{nonce}")
    await refused(h, WANG, f"fp:nosuch:category:plumbing:{nonce}")
    await refused(h, WANG, f"fp:complaint:category:noise:{nonce}")  # another form's button

    await h.press(WANG, h.transport.last(WANG).data("水管"))
    await h.press(WANG, h.transport.last(WANG).data("在我家"))
    await h.say(WANG, "厨房下水管漏水")
    await h.press(WANG, h.transport.last(WANG).data("没有照片"))
    nonce = nonce_of(h.transport.last(WANG).data("一般"))
    await refused(h, WANG, f"fp:repair:urgency:critical:{nonce}")
    await refused(h, WANG, f"fp:repair:location:{DAVID}:{nonce}")
    await h.press(WANG, h.transport.last(WANG).data("较急"))  # the real buttons still answer
    assert "上门" in h.transport.last(WANG).text


async def _store(h: Harness, user: int, data: dict[str, Any]) -> None:
    """Replaces the stored form data, as an older release would have written it."""
    async with h.services.db.write() as session:
        row = await session.scalar(select(Conversation).where(Conversation.user_id == user))
        assert row is not None
        row.data = {**data, "_prompt": row.data.get("_prompt")}


async def _half_typed_repair(h: Harness) -> int:
    await h.say(WANG, "/repair")
    await h.press(WANG, h.transport.last(WANG).data("水管"))
    await h.press(WANG, h.transport.last(WANG).data("在我家"))
    async with h.services.db.read() as session:
        row = await session.scalar(select(Conversation).where(Conversation.user_id == WANG))
        assert row is not None and row.step == "describing_problem"
        return int(row.data["unit_id"])


async def test_a_row_of_the_previous_release_resumes(harness: Harness) -> None:
    h = harness
    unit_id = await _half_typed_repair(h)
    assert h.demo is not None
    async with h.services.db.read() as session:
        row = await session.scalar(select(Conversation).where(Conversation.user_id == WANG))
        assert row is not None
        compound_id = row.data["compound_id"]
    # String keys and string values as the hand-written form kept them, plus a key since retired.
    await _store(
        h,
        WANG,
        {
            "compound_id": str(compound_id),
            "photos": [],
            "category": "plumbing",
            "guess": None,
            "unit_id": str(unit_id),
            "compound_ref": "retired",
        },
    )
    h = h.restarted()
    await h.say(WANG, "卫生间地漏堵了")  # the first text after a restart is not an answer
    assert "未完成的报修单" in h.transport.to(WANG)[-2].text
    await h.say(WANG, "卫生间地漏堵了")
    assert "照片" in h.transport.last(WANG).text
    await h.press(WANG, h.transport.last(WANG).data("没有照片"))
    await h.press(WANG, h.transport.last(WANG).data("一般"))
    await h.press(WANG, h.transport.last(WANG).data("任何时间"))
    await h.press(WANG, h.transport.last(WANG).data("提交"))
    async with h.services.db.read() as session:
        case = (await session.scalars(select(Case).where(in_demo_compound()))).one()
    assert case.unit_id == unit_id and case.description == "卫生间地漏堵了"


async def test_a_row_that_no_longer_fits_restarts_the_form_politely(harness: Harness) -> None:
    h = harness
    await _half_typed_repair(h)
    await _store(h, WANG, {"compound_id": 1, "photos": "p1.jpg", "category": "plumbing"})
    h = h.restarted()
    await h.say(WANG, "卫生间地漏堵了")  # the first text after a restart is not an answer
    assert "未完成的报修单" in h.transport.to(WANG)[-2].text
    await h.say(WANG, "卫生间地漏堵了")
    apology, question = h.transport.to(WANG)[-2:]
    assert "未完成的报修单无法继续" in apology.text
    assert "需要维修什么" in question.text  # the form started again

    # A press on a form whose stored draft no longer fits restarts it the same way.
    await _store(h, WANG, {"compound_id": 1, "category": "teleporter"})
    await h.press(WANG, question.data("水管"))
    assert "未完成的报修单无法继续" in h.transport.to(WANG)[-2].text
    async with h.services.db.read() as session:
        row = await session.scalar(select(Conversation).where(Conversation.user_id == WANG))
        assert row is not None and row.step == "choosing_category"
        assert (await session.scalars(select(Case).where(in_demo_compound()))).all() == []


async def test_a_complaint_row_with_a_wrong_flag_restarts_in_english(harness: Harness) -> None:
    h = harness
    await h.say(DAVID, "/complain", lang="en")
    await h.press(DAVID, h.transport.last(DAVID).data("noise"))
    await _store(h, DAVID, {"compound_id": 1, "category": "noise", "anonymous": "perhaps"})
    await h.say(DAVID, "Drilling every Sunday at 7 in the morning")
    assert "your unfinished complaint could not be continued" in h.transport.to(DAVID)[-2].text
