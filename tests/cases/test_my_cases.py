"""/mycases through the engine: the listing, opening a case, adding details, urging,
cancelling, rating, reopening, answering the office, and refusing other residents' cases."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.engine.events import ChatRef, Incoming, UserRef
from handlers.cases import rules
from handlers.cases.announce import Announcer
from handlers.cases.buttons import RatePress, ResidentAction, ResidentPress
from storage import demo
from storage.models import Case, CaseEvent, CaseKind, CaseStatus, Compound, Person
from storage.repos.cases import add_follower, load_case
from storage.repos.people import Actor, load_actor
from tests.harness import Harness, Sent, demo_compound

WANG, DAVID, CHEN, PLUMBER, MANAGER = 1001, 1002, 1003, 2001, 3001
STAFF_CHAT = demo.STAFF_CHAT_ID
StaffAct = Callable[[AsyncSession, Case, Actor, Compound], Awaitable[rules.Change]]


def last(h: Harness, user: int) -> Sent:
    return h.transport.last(user)


async def file_case(h: Harness, telegram_id: int, **draft: object) -> Case:
    """A case as the intake flows would have filed it, announced to staff."""
    async with h.services.db.write() as session:
        person = await session.scalar(select(Person).where(Person.telegram_id == telegram_id))
        compound = await session.scalar(demo_compound())
        assert person is not None and compound is not None
        actor = await load_actor(session, person, manager_ids=frozenset())
        fields: dict[str, object] = {
            "kind": CaseKind.REPAIR,
            "category": "plumbing",
            "description": "厨房水管漏水",
            "unit_id": sorted(actor.unit_ids())[0],
            "visit_window": "anytime",
        }
        fields.update(draft)
        change = await rules.open_case(
            session,
            compound=compound,
            resident=person,
            draft=rules.Draft(**fields),  # type: ignore[arg-type]
            now=h.services.clock(),
        )
        announcer = Announcer(session, h.services.settings)
        await announcer.created(change)
    await h.engine.deliver(announcer.out)
    return change.case


async def staff_does(h: Harness, telegram_id: int, case_id: int, act: StaffAct) -> None:
    """A staff member acts on a case through the rules; everyone concerned is told."""
    async with h.services.db.write() as session:
        person = await session.scalar(select(Person).where(Person.telegram_id == telegram_id))
        assert person is not None
        actor = await load_actor(session, person, manager_ids=frozenset())
        case = await load_case(session, case_id)
        assert case is not None
        compound = await session.get(Compound, case.compound_id)
        assert compound is not None
        change = await act(session, case, actor, compound)
        announcer = Announcer(session, h.services.settings)
        await announcer.changed(change)
    await h.engine.deliver(announcer.out)


async def resolve(h: Harness, case_id: int, note: str = "已更换水管接头") -> None:
    async def act(
        session: AsyncSession, case: Case, actor: Actor, compound: Compound
    ) -> rules.Change:
        await rules.start(session, case, actor, h.services.clock())
        return await rules.resolve(session, case, actor, note, compound, h.services.clock())

    await staff_does(h, PLUMBER, case_id, act)


async def start_work(
    session: AsyncSession, case: Case, actor: Actor, compound: Compound
) -> rules.Change:
    return await rules.start(session, case, actor, case.created_at + timedelta(minutes=5))


async def case_now(h: Harness, case_id: int) -> Case:
    async with h.services.db.read() as session:
        case = await load_case(session, case_id)
    assert case is not None
    return case


def staff_chat_texts(h: Harness) -> list[str]:
    return [m.text for m in h.transport.to(STAFF_CHAT)]


async def test_listing_shows_state_and_next_step(harness: Harness) -> None:
    h = harness
    mine = await file_case(h, WANG)
    chens = await file_case(h, CHEN, category="lift", unit_id=None, building="3", place="电梯")
    await file_case(h, DAVID)
    async with h.services.db.write() as session:
        wang = await session.scalar(select(Person).where(Person.telegram_id == WANG))
        assert wang is not None
        await add_follower(session, chens.id, wang.id)

    await h.say(WANG, "/mycases")
    listing = last(h, WANG)
    assert mine.number in listing.text and chens.number in listing.text
    assert "待受理" in listing.text and "等待工作人员受理" in listing.text
    assert "您关注的工单" in listing.text
    assert listing.data(mine.number) and listing.data(chens.number)
    assert len([b for row in listing.buttons for b in row]) == 2  # not David's

    await h.press(WANG, listing.data(mine.number))
    detail = last(h, WANG)
    assert "厨房水管漏水" in detail.text and "1-1-0301" in detail.text
    assert detail.data("催办") and detail.data("撤销")
    # A followed case can be looked at, not acted on.
    await h.press(WANG, listing.data(chens.number))
    assert chens.number in last(h, WANG).text and last(h, WANG).buttons == []


async def test_nothing_to_list(harness: Harness) -> None:
    h = harness
    await h.say(DAVID, "/mycases", lang="en")
    assert "no cases yet" in last(h, DAVID).text
    await h.say(demo.NEWCOMER_ID, "/mycases", lang="en")
    assert last(h, demo.NEWCOMER_ID).data("invite code")


async def test_urging_is_limited_to_once_a_day(harness: Harness) -> None:
    h = harness
    case = await file_case(h, WANG)
    urge = ResidentPress(case.id, ResidentAction.URGE).pack()
    await h.press(WANG, urge)
    assert "已提醒工作人员" in last(h, WANG).text
    assert any("催办" in text and case.number in text for text in staff_chat_texts(h))

    await h.press(WANG, urge)
    assert h.transport.toasts[-1].alert and "今天已经催办过了" in h.transport.toasts[-1].text
    assert sum("催办" in text for text in staff_chat_texts(h)) == 1

    clock = h.services.clock
    h.services.clock = lambda: clock() + timedelta(days=1, minutes=1)
    await h.press(WANG, urge)
    assert sum("催办" in text for text in staff_chat_texts(h)) == 2


async def test_cancel_asks_first_and_tells_staff(harness: Harness) -> None:
    h = harness
    case = await file_case(h, DAVID)
    await h.press(DAVID, ResidentPress(case.id, ResidentAction.CANCEL).pack(), lang="en")
    question = last(h, DAVID)
    assert case.number in question.text
    await h.press(DAVID, question.data("No, keep it"))
    assert (await case_now(h, case.id)).status is CaseStatus.SUBMITTED
    assert "kept" in question.text and question.buttons == []

    await h.press(DAVID, ResidentPress(case.id, ResidentAction.CANCEL).pack(), lang="en")
    question = last(h, DAVID)
    await h.press(DAVID, question.data("Yes, cancel"))
    assert (await case_now(h, case.id)).status is CaseStatus.CANCELLED
    assert "cancelled" in question.text  # the question is edited into the answer
    assert any("已被业主撤销" in text for text in staff_chat_texts(h))


async def test_cancel_is_refused_once_work_has_started(harness: Harness) -> None:
    h = harness
    case = await file_case(h, WANG)
    cancel = ResidentPress(case.id, ResidentAction.CANCEL).pack()
    await h.press(WANG, cancel)
    confirm = last(h, WANG).data("确定撤销")
    await staff_does(h, PLUMBER, case.id, start_work)

    await h.press(WANG, cancel)
    assert "不能撤销" in h.transport.toasts[-1].text
    await h.press(WANG, confirm)  # the confirmation asked before work started
    assert "不能撤销" in h.transport.toasts[-1].text
    assert (await case_now(h, case.id)).status is CaseStatus.IN_PROGRESS


async def test_adding_a_detail_and_photos(harness: Harness) -> None:
    h = harness
    case = await file_case(h, WANG)
    await h.press(WANG, ResidentPress(case.id, ResidentAction.DETAIL).pack())
    await h.photo(WANG, "leak-2.jpg")
    await h.photo(WANG, "leak-3.jpg")
    assert "已添加到" in last(h, WANG).text
    await h.say(WANG, "晚上漏得更厉害")
    assert "已补充到" in last(h, WANG).text
    staff = h.transport.to(STAFF_CHAT)
    assert "晚上漏得更厉害" in staff[-1].text
    assert [m.photos for m in staff[-3:-1]] == [("leak-2.jpg",), ("leak-3.jpg",)]
    assert (await case_now(h, case.id)).photos == ["leak-2.jpg", "leak-3.jpg"]
    # The step has ended: the next message is an ordinary one again.
    await h.say(WANG, "/mycases")
    assert "最近的工单" in last(h, WANG).text


async def test_rating_closes_the_case_and_staff_hear_it(harness: Harness) -> None:
    h = harness
    case = await file_case(h, DAVID)
    await resolve(h, case.id)
    told = last(h, DAVID)
    assert "has been resolved" in told.text

    await h.press(DAVID, told.data("★★★★"), lang="en")
    closed = await case_now(h, case.id)
    assert closed.status is CaseStatus.CLOSED and closed.rating == 4
    assert any("★★★★" in text and case.number in text for text in staff_chat_texts(h))
    assert "closed" in told.text and told.buttons == []
    assert "comment" in last(h, DAVID).text

    await h.say(DAVID, "Quick and tidy, thank you")
    assert "Thank you for your feedback" in last(h, DAVID).text
    assert (await case_now(h, case.id)).rating_comment == "Quick and tidy, thank you"
    assert any("Quick and tidy" in text for text in staff_chat_texts(h))  # staff read it too

    await h.press(DAVID, RatePress(case.id, 1).pack(), lang="en")  # a second rating
    assert h.transport.toasts[-1].alert
    assert (await case_now(h, case.id)).rating == 4


async def test_the_comment_can_be_skipped(harness: Harness) -> None:
    h = harness
    case = await file_case(h, WANG)
    await resolve(h, case.id)
    await h.press(WANG, last(h, WANG).data("★★★★★"))
    await h.press(WANG, last(h, WANG).data("跳过"))
    assert "感谢" in last(h, WANG).text
    assert (await case_now(h, case.id)).rating_comment is None


async def test_reopen_sends_the_case_back_to_staff(harness: Harness) -> None:
    h = harness
    case = await file_case(h, WANG)
    await resolve(h, case.id)
    await h.press(WANG, last(h, WANG).data("没解决"))
    assert case.number in last(h, WANG).text
    await h.say(WANG, "还是在滴水")
    reopened = await case_now(h, case.id)
    assert reopened.status is CaseStatus.ASSIGNED and reopened.resolved_at is None
    assert "已重新打开" in last(h, WANG).text
    assert any("还是在滴水" in text and "重新打开" in text for text in staff_chat_texts(h))


async def test_answering_a_question_from_the_office(harness: Harness) -> None:
    h = harness
    case = await file_case(h, DAVID)

    async def ask(
        session: AsyncSession, case: Case, actor: Actor, compound: Compound
    ) -> rules.Change:
        return await rules.message_resident(
            session, case, actor, "水表在哪里？", h.services.clock(), question=True
        )

    await staff_does(h, PLUMBER, case.id, ask)
    question = last(h, DAVID)
    await h.press(DAVID, question.data("Reply"), lang="en")
    await h.say(DAVID, "Under the kitchen sink, behind the bin")
    assert "Added to" in last(h, DAVID).text
    assert "Under the kitchen sink" in h.transport.last(STAFF_CHAT).text

    # Replying to the bot's message (a Telegram reply) reaches the case too.
    await h.send_event(
        Incoming(
            user=UserRef(DAVID),
            chat=ChatRef(DAVID),
            text="The stopcock is red",
            reply_to_message_id=question.message_id,
        )
    )
    assert "The stopcock is red" in h.transport.last(STAFF_CHAT).text
    async with h.services.db.read() as session:
        texts = (
            await session.scalars(
                select(CaseEvent.text).where(
                    CaseEvent.case_id == case.id, CaseEvent.kind == "resident_message"
                )
            )
        ).all()
    assert texts == ["Under the kitchen sink, behind the bin", "The stopcock is red"]


async def test_other_residents_cases_are_refused_without_details(harness: Harness) -> None:
    h = harness
    case = await file_case(h, WANG)
    await resolve(h, case.id)
    before = len(h.transport.to(DAVID))

    await h.press(DAVID, RatePress(case.id, 1).pack(), lang="en")
    assert h.transport.toasts[-1].alert and "not your case" in h.transport.toasts[-1].text
    for action in ResidentAction:
        await h.press(DAVID, ResidentPress(case.id, action).pack(), lang="en")
        assert "not your case" in h.transport.toasts[-1].text
    await h.press(DAVID, ResidentPress(999_999, ResidentAction.VIEW).pack(), lang="en")
    assert "could not find that case" in h.transport.toasts[-1].text

    assert len(h.transport.to(DAVID)) == before  # nothing about the case was sent
    untouched = await case_now(h, case.id)
    assert untouched.status is CaseStatus.RESOLVED and untouched.rating is None
