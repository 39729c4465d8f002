"""Repair intake through the engine: /repair and free text, the category guess, locations,
duplicates, photos, validation, editing, restarts and who may report."""

from __future__ import annotations

from sqlalchemy import select

from handlers.cases import rules
from handlers.cases.announce import Announcer
from storage import demo
from storage.models import Case, CaseFollower, CaseStatus, Compound, Person, Urgency
from storage.repos.cases import load_case
from storage.repos.people import load_actor
from tests.harness import Harness, Sent, in_demo_compound

WANG, DAVID, CHEN, CHEN_DAUGHTER, PLUMBER = 1001, 1002, 1003, 1004, 2001
STAFF_CHAT = demo.STAFF_CHAT_ID


def last(h: Harness, user: int) -> Sent:
    return h.transport.last(user)


async def only_case(h: Harness) -> Case:
    async with h.services.db.read() as session:
        cases = (await session.scalars(select(Case).where(in_demo_compound()))).all()
    assert len(cases) == 1
    return cases[0]


def route_text_to(h: Harness, intent: str) -> None:
    """Free text goes to `intent`, as the router (handlers/faq/) would send it."""
    h.services.flows.text = h.services.flows.intents[intent]


async def test_full_report_in_chinese_by_command(harness: Harness) -> None:
    h = harness
    await h.say(WANG, "/repair")
    await h.press(WANG, last(h, WANG).data("水管"))
    assert "故障在哪里" in last(h, WANG).text
    await h.press(WANG, last(h, WANG).data("1-1-0301"))
    assert "描述" in last(h, WANG).text
    await h.say(WANG, "卫生间地漏堵了，水排不下去")
    await h.photo(WANG, "photo-1")
    assert "1/4" in last(h, WANG).text
    await h.press(WANG, last(h, WANG).data("照片发完了"))
    await h.press(WANG, last(h, WANG).data("较急"))
    await h.press(WANG, last(h, WANG).data("上午"))
    summary = last(h, WANG)
    assert "地漏堵了" in summary.text and "上午 9–12点" in summary.text
    assert "1-1-0301" in summary.text
    await h.press(WANG, summary.data("提交"))

    case = await only_case(h)
    assert case.number.startswith("R-")
    assert case.category == "plumbing" and case.urgency is Urgency.URGENT
    assert case.visit_window == "morning" and case.photos == ["photo-1"]
    assert case.unit_id is not None and case.building is None
    created = last(h, WANG)
    assert case.number in created.text and "前响应" in created.text
    card = h.transport.last(STAFF_CHAT)
    assert case.number in card.text and "王芳" in card.text and card.photos == ("photo-1",)
    # The summary keeps no buttons once submitted, so it cannot be sent twice.
    assert summary.buttons == [] and "已提交" in summary.text


async def test_free_text_in_english_keeps_the_words_and_confirms_the_guess(
    harness: Harness,
) -> None:
    h = harness
    route_text_to(h, "repair.report")
    await h.say(DAVID, "The kitchen tap is leaking under the sink", lang="en")
    guess = last(h, DAVID)
    assert "Sounds like plumbing" in guess.text
    await h.press(DAVID, guess.data("Yes"))
    # "kitchen" puts it in his only home, and the description is not asked again.
    assert "photo" in last(h, DAVID).text
    await h.press(DAVID, last(h, DAVID).data("No photos"))
    await h.press(DAVID, last(h, DAVID).data("normal"))
    await h.press(DAVID, last(h, DAVID).data("any time"))
    assert "The kitchen tap is leaking under the sink" in last(h, DAVID).text
    await h.press(DAVID, last(h, DAVID).data("Submit"))

    case = await only_case(h)
    assert case.description == "The kitchen tap is leaking under the sink"
    assert case.category == "plumbing"
    created = last(h, DAVID).text
    assert case.number in created and "Staff will respond by" in created


async def test_the_knowledge_router_starts_the_report(harness: Harness) -> None:
    h = harness
    await h.say(WANG, "厨房水管漏水了")
    assert "水管/下水" in last(h, WANG).text
    await h.press(WANG, last(h, WANG).data("对"))
    assert "照片" in last(h, WANG).text  # 厨房 is in her home: no location asked


async def test_a_wrong_guess_is_replaced_from_the_list(harness: Harness) -> None:
    h = harness
    route_text_to(h, "repair.report")
    await h.say(WANG, "墙面渗水发霉了")
    assert "墙面/屋顶渗漏" in last(h, WANG).text
    await h.press(WANG, last(h, WANG).data("选择其他"))
    await h.press(WANG, last(h, WANG).data("其他"))
    assert "故障在哪里" in last(h, WANG).text
    await h.press(WANG, last(h, WANG).data("在我家"))
    assert "照片" in last(h, WANG).text  # the words were kept as the description


async def test_words_that_name_no_fault_are_offered_not_assumed(harness: Harness) -> None:
    h = harness
    route_text_to(h, "repair.report")
    await h.say(WANG, "我要报修")
    assert "已记下" in last(h, WANG).text
    await h.press(WANG, last(h, WANG).data("门禁"))
    await h.press(WANG, last(h, WANG).data("在我家"))
    offer = last(h, WANG)
    assert "我要报修" in offer.text and offer.data("就用我刚才写的")
    await h.say(WANG, "入户门的门锁拧不动了")
    assert "照片" in last(h, WANG).text


async def test_typing_at_the_category_question_describes_the_fault(harness: Harness) -> None:
    h = harness
    await h.say(DAVID, "/repair", lang="en")
    await h.say(DAVID, "No power in the living room sockets")
    assert "Sounds like electrical" in last(h, DAVID).text


async def test_common_area_duplicate_can_be_followed(harness: Harness) -> None:
    h = harness
    # Chen reports the lift in building 3; a lift fault is never in a home.
    await h.say(CHEN, "/repair")
    await h.press(CHEN, last(h, CHEN).data("电梯"))
    assert "哪栋楼" in last(h, CHEN).text
    await h.press(CHEN, last(h, CHEN).data("3号楼"))
    await h.say(CHEN, "2单元电梯")
    await h.say(CHEN, "电梯停在8楼不动了")
    await h.press(CHEN, last(h, CHEN).data("没有照片"))
    await h.press(CHEN, last(h, CHEN).data("较急"))
    assert "上门时间" not in last(h, CHEN).text  # no visit for a common area
    await h.press(CHEN, last(h, CHEN).data("提交"))
    first = await only_case(h)
    assert first.building == "3" and first.place == "2单元电梯" and first.unit_id is None

    # Wang reports the same fault: offered to follow instead.
    await h.say(WANG, "/repair")
    await h.press(WANG, last(h, WANG).data("电梯"))
    await h.press(WANG, last(h, WANG).data("3号楼"))
    await h.say(WANG, "2单元")
    offer = last(h, WANG)
    assert first.number in offer.text and "电梯停在8楼" in offer.text
    await h.press(WANG, offer.data("关注"))
    assert "已关注" in last(h, WANG).text
    async with h.services.db.read() as session:
        assert len((await session.scalars(select(Case).where(in_demo_compound()))).all()) == 1
        followers = (await session.scalars(select(CaseFollower))).all()
    assert len(followers) == 1

    # The follower hears what the reporter hears.
    await _staff_takes(h, first.id)
    assert first.number in last(h, WANG).text and first.number in last(h, CHEN).text


async def test_a_different_fault_is_filed_anyway(harness: Harness) -> None:
    h = harness
    for user, place in ((CHEN, "1楼大堂"), (CHEN_DAUGHTER, "12楼楼道")):
        await h.say(user, "/repair")
        await h.press(user, last(h, user).data("公共照明"))
        await h.press(user, last(h, user).data("3号楼"))
        await h.say(user, place)
        if user == CHEN_DAUGHTER:
            await h.press(user, last(h, user).data("不是同一个问题"))
        await h.say(user, "灯不亮了")
        await h.press(user, last(h, user).data("没有照片"))
        await h.press(user, last(h, user).data("一般"))
        await h.press(user, last(h, user).data("提交"))
    async with h.services.db.read() as session:
        places = sorted((await session.scalars(select(Case.place).where(in_demo_compound()))).all())
    assert places == ["12楼楼道", "1楼大堂"]


async def test_at_most_four_photos_and_captions_describe(harness: Harness) -> None:
    h = harness
    await h.say(WANG, "/repair")
    await h.press(WANG, last(h, WANG).data("电路"))
    await h.press(WANG, last(h, WANG).data("在我家"))
    # A photo with a caption at the description step: both are kept.
    await h.photo(WANG, "p1", caption="厨房插座冒火花")
    assert "照片" in last(h, WANG).text
    for n in (2, 3, 4):
        await h.photo(WANG, f"p{n}")
    assert "已达上限" in last(h, WANG).text
    await h.photo(WANG, "p5")
    assert "最多 4 张" in last(h, WANG).text
    await h.say(WANG, "还有一张")  # words where photos are expected
    assert "在等您发照片" in last(h, WANG).text
    await h.press(WANG, last(h, WANG).data("照片发完了"))
    await h.press(WANG, last(h, WANG).data("一般"))
    await h.press(WANG, last(h, WANG).data("任何时间"))
    await h.press(WANG, last(h, WANG).data("提交"))
    case = await only_case(h)
    assert case.photos == ["p1", "p2", "p3", "p4"]
    assert case.description == "厨房插座冒火花"


async def test_bad_input_is_explained_and_the_form_waits(harness: Harness) -> None:
    h = harness
    await h.say(DAVID, "/repair", lang="en")
    await h.say(DAVID, "   ")
    assert "did not get any words" in last(h, DAVID).text
    await h.say(DAVID, "x")
    assert "at least 2 characters" in last(h, DAVID).text
    # The category buttons of the first question still answer it.
    await h.press(DAVID, h.transport.to(DAVID)[0].data("doors"))
    await h.say(DAVID, "my home please")  # a button is expected
    assert "buttons" in h.transport.to(DAVID)[-2].text
    await h.press(DAVID, last(h, DAVID).data("common area"))
    await h.press(DAVID, last(h, DAVID).data("Building 2"))
    await h.photo(DAVID, "gate.jpg")  # a photo where the place is asked
    assert "type the floor or place" in last(h, DAVID).text
    await h.say(DAVID, "north gate " * 20)
    assert "under 100" in last(h, DAVID).text
    await h.say(DAVID, "North gate")
    await h.say(DAVID, "d" * 1001)
    assert "1001 characters" in last(h, DAVID).text
    await h.say(DAVID, "The gate intercom does not ring")
    assert "photo" in last(h, DAVID).text


async def test_editing_a_field_returns_to_the_summary(harness: Harness) -> None:
    h = harness
    await _fill_plumbing_report(h, WANG)
    await h.press(WANG, last(h, WANG).data("紧急程度"))
    await h.press(WANG, last(h, WANG).data("较急"))
    summary = last(h, WANG)
    assert "请核对" in summary.text and "较急" in summary.text
    await h.press(WANG, summary.data("位置"))
    await h.press(WANG, last(h, WANG).data("公共区域"))
    await h.press(WANG, last(h, WANG).data("1号楼"))
    await h.say(WANG, "地下车库入口")
    summary = last(h, WANG)
    assert "地下车库入口" in summary.text and "上门时间" not in summary.text
    await h.press(WANG, summary.data("提交"))
    case = await only_case(h)
    assert case.building == "1" and case.unit_id is None and case.visit_window is None


async def test_a_stale_button_is_refused(harness: Harness) -> None:
    h = harness
    await h.say(WANG, "/repair")
    old = last(h, WANG).data("水管")
    await h.press(WANG, old)
    await h.press(WANG, old)
    assert h.transport.toasts[-1].alert
    assert "失效" in h.transport.toasts[-1].text


async def test_restart_in_the_middle_of_the_report(harness: Harness) -> None:
    h = harness
    await h.say(WANG, "/repair")
    await h.press(WANG, last(h, WANG).data("水管"))
    await h.press(WANG, last(h, WANG).data("在我家"))
    await h.say(WANG, "阳台水龙头关不紧")
    photos_prompt = last(h, WANG)

    h = h.restarted()
    await h.photo(WANG, "after-restart")
    assert "1/4" in last(h, WANG).text
    await h.press(WANG, photos_prompt.data("没有照片"))  # the button from before still works
    await h.press(WANG, last(h, WANG).data("一般"))
    await h.press(WANG, last(h, WANG).data("周末"))
    await h.press(WANG, last(h, WANG).data("提交"))
    case = await only_case(h)
    assert case.description == "阳台水龙头关不紧" and case.photos == ["after-restart"]


async def test_cancel_leaves_the_form(harness: Harness) -> None:
    h = harness
    await h.say(WANG, "/repair")
    await h.say(WANG, "/cancel")
    assert "已退出" in last(h, WANG).text
    async with h.services.db.read() as session:
        assert (await session.scalars(select(Case).where(in_demo_compound()))).all() == []


async def test_unlinked_users_are_refused_and_offered_linking(harness: Harness) -> None:
    h = harness
    await h.say(demo.NEWCOMER_ID, "/repair", lang="en")
    refusal = h.transport.to(demo.NEWCOMER_ID)[-2]
    assert "residents whose home is linked" in refusal.text
    assert last(h, demo.NEWCOMER_ID).data("invite code")

    route_text_to(h, "repair.report")
    await h.say(PLUMBER, "3号楼电梯坏了")  # staff are not residents either
    assert "报修和投诉需要先绑定" in h.transport.to(PLUMBER)[-2].text


async def test_in_a_group_the_report_moves_to_a_private_chat(harness: Harness) -> None:
    h = harness
    await h.say(WANG, "/repair", chat=demo.RESIDENT_GROUP_ID)
    reply = h.transport.last(demo.RESIDENT_GROUP_ID)
    assert "私聊" in reply.text
    assert reply.buttons[0][0][1] is None  # a link, not a press

    route_text_to(h, "repair.report")
    await h.say(WANG, "电梯坏了", chat=demo.RESIDENT_GROUP_ID, addressed=True)
    assert "私聊" in h.transport.last(demo.RESIDENT_GROUP_ID).text
    async with h.services.db.read() as session:
        assert (await session.scalars(select(Case).where(in_demo_compound()))).all() == []


async def test_menu_offers_cases_to_residents_only(harness: Harness) -> None:
    h = harness
    await h.say(WANG, "/menu")
    menu = last(h, WANG)
    await h.press(WANG, menu.data("报修"))
    assert "需要维修什么" in last(h, WANG).text
    await h.say(demo.NEWCOMER_ID, "/menu", lang="en")
    labels = [label for row in last(h, demo.NEWCOMER_ID).buttons for label, _ in row]
    assert not any("repair" in label.lower() for label in labels)


async def _fill_plumbing_report(h: Harness, user: int) -> None:
    await h.say(user, "/repair")
    await h.press(user, last(h, user).data("水管"))
    await h.press(user, last(h, user).data("在我家"))
    await h.say(user, "厨房下水管漏水")
    await h.press(user, last(h, user).data("没有照片"))
    await h.press(user, last(h, user).data("一般"))
    await h.press(user, last(h, user).data("任何时间"))
    assert "请核对" in last(h, user).text


async def _staff_takes(h: Harness, case_id: int) -> None:
    async with h.services.db.write() as session:
        person = await session.scalar(select(Person).where(Person.telegram_id == 2002))
        assert person is not None
        actor = await load_actor(session, person, manager_ids=frozenset())
        case = await load_case(session, case_id)
        assert case is not None and await session.get(Compound, case.compound_id)
        change = await rules.take(session, case, actor, h.services.clock())
        announcer = Announcer(session, h.services.settings)
        await announcer.changed(change)
        assert case.status is CaseStatus.ASSIGNED
    await h.engine.deliver(announcer.out)
