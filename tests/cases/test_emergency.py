"""Emergencies through the engine: instructions first, in the person's language; then an
emergency case whose card reaches the staff chat and every manager; never refused."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import pytest
from sqlalchemy import func, select

from bot.i18n import translate
from handlers.emergencies.flow import building_in, hazards_in
from storage import demo
from storage.models import Case, CaseEvent, CaseKind, Compound, Deadline, DeadlineKind, Urgency
from tests.harness import Harness

RESIDENT, RESIDENT_EN, MANAGER, GLOBAL_MANAGER = 1001, 1002, 3001, 9001
STAFF_CHAT, RESIDENT_GROUP = demo.STAFF_CHAT_ID, demo.RESIDENT_GROUP_ID
DUTY_PHONE = demo.KB_VALUES["duty_phone"]


@pytest.fixture
def h(harness: Harness) -> Harness:
    """The engine with the router's `emergency.report` intent taking every free text."""
    flows = harness.services.flows
    flows.text = flows.intents["emergency.report"]
    return harness


async def cases(h: Harness) -> list[Case]:
    async with h.services.db.read() as session:
        return list(await session.scalars(select(Case).order_by(Case.id)))


def advice(locale: str, *hazards: str) -> list[str]:
    return [translate(locale, f"emergency-advice-{name}").strip() for name in hazards]


@pytest.mark.parametrize(
    ("text", "hazards"),
    [
        ("3号楼着火了，楼道里全是烟", ["fire"]),
        ("厨房里一股很重的煤气味", ["gas"]),
        ("我被困在电梯里了", ["lift"]),
        ("卫生间水管爆了，家里都淹了", ["flood"]),
        ("有人触电了", ["shock"]),
        ("楼下有人拿刀打架", ["violence"]),
        ("我爸突然晕倒了，叫不醒", ["medical"]),
        ("There's smoke coming out of the flat next door", ["fire"]),
        ("I smell gas in the stairwell", ["gas"]),
        ("We are stuck in the elevator between floors", ["lift"]),
        ("my neighbour collapsed and is not breathing", ["medical"]),
        ("my father is having a heart attack", ["medical"]),
        ("a man with a knife is threatening people in the lobby", ["violence"]),
        ("电梯着火了，有人被困在电梯里", ["fire", "lift"]),
        ("快来人啊，出大事了", []),
    ],
)
def test_the_hazard_is_recognised_from_what_was_written(text: str, hazards: list[str]) -> None:
    assert hazards_in(text) == hazards


@pytest.mark.parametrize(
    ("text", "building"),
    [("3号楼着火了", "3"), ("12栋电梯困人", "12"), ("fire in building 2!", "2"), ("着火了", None)],
)
def test_a_named_building_is_kept(text: str, building: str | None) -> None:
    assert building_in(text) == building


async def test_a_chinese_report_gets_instructions_a_case_and_alerts(h: Harness) -> None:
    text = "家里着火了，好多烟！"
    await h.say(RESIDENT, text)

    first, confirmation = h.transport.to(RESIDENT)
    # Instructions come first: what to do now, then the duty phone.
    assert first.text.startswith(translate("zh", "emergency-title"))
    for part in advice("zh", "fire"):
        assert part in first.text
    assert "119" in first.text and "电梯" in first.text
    assert translate("zh", "emergency-duty-phone", phone=DUTY_PHONE) in first.text

    (case,) = await cases(h)
    assert (case.kind, case.urgency, case.category) == (
        CaseKind.EMERGENCY,
        Urgency.EMERGENCY,
        "emergency",
    )
    assert case.description == text
    assert case.building == "1" and case.unit_id is not None  # 王芳's home, 1-1-0301
    assert confirmation.text == translate("zh", "emergency-alerted", number=case.number)

    staff_card = h.transport.last(STAFF_CHAT)
    assert case.number in staff_card.text and "1-1-0301" in staff_card.text
    assert staff_card.data("接单")
    for manager in (MANAGER, GLOBAL_MANAGER):
        (alert,) = h.transport.to(manager)
        assert case.number in alert.text and text in alert.text

    # Delivery order: the person first, then staff, then managers, then the confirmation.
    order = [s.chat_id for s in h.transport.sent]
    assert order[0] == RESIDENT and order[-1] == RESIDENT
    assert order.index(STAFF_CHAT) < order.index(MANAGER)


async def test_an_emergency_in_another_building_is_not_placed_at_home(h: Harness) -> None:
    await h.say(RESIDENT, "3号楼着火了")  # 王芳 lives in building 1
    await h.say(RESIDENT_EN, "smoke in the lobby of building 2", lang="en")  # David: building 2
    elsewhere, at_home = await cases(h)
    assert (elsewhere.unit_id, elsewhere.building) == (None, "3")
    assert at_home.unit_id is not None and at_home.building == "2"


async def test_an_english_report_is_answered_in_english(h: Harness) -> None:
    await h.say(RESIDENT_EN, "Help, we are stuck in the lift in building 2", lang="en")
    first, confirmation = h.transport.to(RESIDENT_EN)
    assert first.text.startswith(translate("en", "emergency-title"))
    for part in advice("en", "lift"):
        assert part in first.text
    assert "Property office duty phone" in first.text
    (case,) = await cases(h)
    assert confirmation.text == translate("en", "emergency-alerted", number=case.number)
    # Staff read the card in the compound's language.
    assert "紧急" in h.transport.last(STAFF_CHAT).text
    assert h.transport.to(MANAGER) and h.transport.to(GLOBAL_MANAGER)


async def test_an_unrecognised_emergency_gets_general_advice(h: Harness) -> None:
    await h.say(RESIDENT, "快来人啊，出大事了")
    first = h.transport.to(RESIDENT)[0].text
    assert advice("zh", "general")[0] in first
    assert all(number in first for number in ("110", "119", "120"))


async def test_an_unbound_person_is_not_refused(h: Harness) -> None:
    stranger = 7001
    await h.say(stranger, "There's a fire in the bike shed!", lang="en", name="Visitor")
    first, confirmation = h.transport.to(stranger)
    assert advice("en", "fire")[0] in first.text
    (case,) = await cases(h)
    assert case.unit_id is None and case.kind is CaseKind.EMERGENCY
    assert confirmation.text == translate("en", "emergency-alerted", number=case.number)
    assert "Visitor" in h.transport.last(STAFF_CHAT).text
    assert h.transport.to(MANAGER)


async def test_a_report_in_the_residents_group_is_answered_there(h: Harness) -> None:
    await h.say(RESIDENT, "5号楼地下车库冒烟了", chat=RESIDENT_GROUP)
    first, confirmation = h.transport.to(RESIDENT_GROUP)
    assert advice("zh", "fire")[0] in first.text
    assert h.transport.to(RESIDENT) == []
    (case,) = await cases(h)
    # A group message may be about anywhere: no home is assumed, the named building is kept.
    assert case.unit_id is None and case.building == "5"
    assert confirmation.text == translate("zh", "emergency-alerted", number=case.number)
    assert case.number in h.transport.last(STAFF_CHAT).text


async def test_without_a_known_compound_only_instructions_are_given(h: Harness) -> None:
    async with h.services.db.write() as session:
        session.add(Compound(code="other", name="Other Garden"))
    stranger = 7002
    await h.say(stranger, "有人晕倒了", lang="zh")
    first, note = h.transport.to(stranger)
    assert advice("zh", "medical")[0] in first.text
    assert "📞" not in first.text  # no compound, no duty phone
    assert note.text == translate("zh", "emergency-no-compound")
    assert await cases(h) == []
    assert h.transport.to(STAFF_CHAT) == []


async def test_no_duty_phone_line_when_the_compound_has_none(h: Harness) -> None:
    async with h.services.db.write() as session:
        compound = await session.scalar(select(Compound))
        assert compound is not None
        kb = {k: v for k, v in compound.settings["kb"].items() if k != "duty_phone"}
        compound.settings = {**compound.settings, "kb": kb}
    await h.say(RESIDENT, "着火了")
    assert "📞" not in h.transport.to(RESIDENT)[0].text


async def test_a_second_message_is_added_to_the_same_emergency(h: Harness) -> None:
    await h.say(RESIDENT, "着火了")
    await h.say(RESIDENT, "火越来越大了，在厨房")
    (case,) = await cases(h)
    replies = h.transport.to(RESIDENT)
    assert replies[-1].text == translate("zh", "emergency-updated", number=case.number)
    assert advice("zh", "fire")[0] in replies[-2].text  # instructions again, first
    assert "火越来越大了" in h.transport.last(STAFF_CHAT).text
    async with h.services.db.read() as session:
        added = await session.scalar(
            select(func.count(CaseEvent.id)).where(CaseEvent.kind == "resident_message")
        )
    assert added == 1


@dataclass
class RecordingTimers:
    armed: list[tuple[int, datetime]] = field(default_factory=list)

    def arm(self, row_id: int, due_at: datetime) -> None:
        self.armed.append((row_id, due_at))


async def test_the_realert_is_armed_once_the_case_is_stored(h: Harness) -> None:
    timers = RecordingTimers()
    h.services.timers = timers
    await h.say(RESIDENT, "有人被困电梯")
    async with h.services.db.read() as session:
        rows = list(await session.scalars(select(Deadline)))
    assert sorted(timers.armed) == sorted((row.id, row.due_at) for row in rows)
    assert DeadlineKind.EMERGENCY_REALERT in {row.kind for row in rows}
