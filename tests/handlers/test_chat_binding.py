"""Binding groups: a manager cannot take another compound's chat, and redirecting where staff
cards go is confirmed first."""

from __future__ import annotations

from sqlalchemy import select

from storage import demo
from storage.models import ChatBinding, ChatPurpose, StaffMember, StaffRole
from tests.harness import Harness
from tests.storage.factories import make_people, make_place

MANAGER = 3001
OTHER_MANAGER = 3901
NEW_GROUP = -100_777_001


async def _binding(harness: Harness, chat_id: int) -> tuple[int, ChatPurpose] | None:
    async with harness.services.db.read() as session:
        row = await session.scalar(select(ChatBinding).where(ChatBinding.chat_id == chat_id))
        return (row.compound_id, row.purpose) if row else None


async def test_a_manager_of_another_compound_cannot_take_the_staff_chat(harness: Harness) -> None:
    db = harness.services.db
    place = await make_place(db, code="maple")
    (person_id,) = await make_people(db, OTHER_MANAGER)
    async with db.write() as session:
        session.add(
            StaffMember(compound_id=place.compound_id, person_id=person_id, role=StaffRole.MANAGER)
        )
    before = await _binding(harness, demo.STAFF_CHAT_ID)

    await harness.say(OTHER_MANAGER, "/staffchat maple", chat=demo.STAFF_CHAT_ID, lang="en")

    assert "belongs to another compound" in harness.transport.last(demo.STAFF_CHAT_ID).text
    assert await _binding(harness, demo.STAFF_CHAT_ID) == before


async def test_replacing_the_staff_chat_is_confirmed_by_a_manager(harness: Harness) -> None:
    old = await _binding(harness, demo.STAFF_CHAT_ID)
    assert old is not None

    await harness.say(MANAGER, "/staffchat", chat=NEW_GROUP, lang="en")
    question = harness.transport.last(NEW_GROUP)
    assert "already has a staff chat" in question.text
    assert await _binding(harness, NEW_GROUP) is None

    # A resident in the group presses Yes: refused, nothing moves.
    await harness.press(1001, question.data("Yes"), chat=NEW_GROUP)
    assert harness.transport.toasts[-1].alert
    assert await _binding(harness, NEW_GROUP) is None

    await harness.press(MANAGER, question.data("Yes"), chat=NEW_GROUP)
    assert await _binding(harness, NEW_GROUP) == (old[0], ChatPurpose.STAFF)
    assert await _binding(harness, demo.STAFF_CHAT_ID) is None


async def test_turning_the_staff_chat_into_a_residents_group_can_be_declined(
    harness: Harness,
) -> None:
    await harness.say(MANAGER, "/residentgroup", chat=demo.STAFF_CHAT_ID, lang="en")
    question = harness.transport.last(demo.STAFF_CHAT_ID)
    assert "staff cards" in question.text

    await harness.press(MANAGER, question.data("No"), chat=demo.STAFF_CHAT_ID)

    assert "Nothing was changed" in harness.transport.last(demo.STAFF_CHAT_ID).text
    binding = await _binding(harness, demo.STAFF_CHAT_ID)
    assert binding is not None and binding[1] is ChatPurpose.STAFF


async def test_binding_a_new_residents_group_needs_no_question(harness: Harness) -> None:
    await harness.say(MANAGER, "/residentgroup", chat=NEW_GROUP, lang="en")
    assert "residents' group" in harness.transport.last(NEW_GROUP).text
    binding = await _binding(harness, NEW_GROUP)
    assert binding is not None and binding[1] is ChatPurpose.RESIDENTS
