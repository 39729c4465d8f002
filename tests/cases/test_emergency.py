"""Emergencies through the engine, as residents type them: the router decides it is one and
which hazards it speaks of; the person gets the advice for each first, in their language; then
an emergency case, placed where the emergency is, whose card reaches the staff chat and every
manager; never refused."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import pytest
from sqlalchemy import func, select

from bot.engine.context import Context
from bot.i18n import LOCALES, translate
from handlers.emergencies.flow import report
from knowledge.intent_ids import Intent
from knowledge.router import Decision
from knowledge.rules import IntentRules
from storage import demo
from storage.models import Case, CaseEvent, CaseKind, Compound, Deadline, DeadlineKind, Urgency
from tests.harness import Harness, demo_compound, in_demo_compound

RESIDENT, RESIDENT_EN, MANAGER, GLOBAL_MANAGER = 1001, 1002, 3001, 9001
STAFF_CHAT, RESIDENT_GROUP = demo.STAFF_CHAT_ID, demo.RESIDENT_GROUP_ID
DUTY_PHONE = demo.KB_VALUES["duty_phone"]


@pytest.fixture
def h(harness: Harness) -> Harness:
    """The engine as residents use it: the router sends emergencies to the emergency flow."""
    return harness


async def cases(h: Harness) -> list[Case]:
    async with h.services.db.read() as session:
        return list(await session.scalars(select(Case).where(in_demo_compound()).order_by(Case.id)))


def advice(locale: str, *hazards: str) -> list[str]:
    return [translate(locale, f"emergency-advice-{name}").strip() for name in hazards]


def place_label(place: str, locale: str = "zh") -> str:
    """How a common place reads on the case (the demo compound writes in Chinese)."""
    return translate(locale, f"emergency-place-{place}")


def first_reply(harness: Harness, user: int) -> str:
    return harness.transport.to(user)[0].text


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


async def test_a_named_building_or_place_is_a_common_area_not_the_home(h: Harness) -> None:
    await h.say(RESIDENT, "3号楼着火了")  # 王芳 lives in building 1
    await h.say(RESIDENT_EN, "smoke in the lobby of building 2", lang="en")  # David: building 2
    elsewhere, own_building = await cases(h)
    assert (elsewhere.unit_id, elsewhere.building, elsewhere.place) == (None, "3", None)
    # Even in the sender's own building, the lobby is where it is, not their flat.
    assert (own_building.unit_id, own_building.building) == (None, "2")
    assert own_building.place == place_label("lobby")


async def test_an_english_report_is_answered_in_english(h: Harness) -> None:
    await h.say(RESIDENT_EN, "Help, we are stuck in the lift in building 2", lang="en")
    first, confirmation = h.transport.to(RESIDENT_EN)
    assert first.text.startswith(translate("en", "emergency-title"))
    for part in advice("en", "trapped"):
        assert part in first.text
    assert "Property office duty phone" in first.text
    (case,) = await cases(h)
    assert (case.building, case.place) == ("2", place_label("lift"))
    assert confirmation.text == translate("en", "emergency-alerted", number=case.number)
    # Staff read the card in the compound's language.
    assert "紧急" in h.transport.last(STAFF_CHAT).text
    assert h.transport.to(MANAGER) and h.transport.to(GLOBAL_MANAGER)


async def test_an_emergency_with_no_known_hazard_gets_general_advice(h: Harness) -> None:
    """The router always names a hazard; the flow still copes with none (general advice)."""

    async def without_hazards(ctx: Context) -> None:
        text = ctx.event.text or ""
        await report(ctx, Decision(text, Intent.EMERGENCY, None, 1.0, "flow", locale=ctx.locale))

    h.services.flows.text = without_hazards
    await h.say(RESIDENT, "快来人啊，出大事了")
    first = h.transport.to(RESIDENT)[0].text
    assert advice("zh", "general")[0] in first
    assert all(number in first for number in ("110", "119", "120"))


async def test_an_unbound_person_is_not_refused(h: Harness) -> None:
    stranger = 7001
    await h.say(stranger, "There's a fire in the bike shed!", lang="en", name="Visitor")
    first, confirmation = h.transport.to(stranger)
    assert advice("en", "fire")[0] in first.text
    if h.compounds > 1:
        # With several compounds a stranger's private message names none: advice, and the
        # honest word that no one could be alerted from here.
        assert confirmation.text == translate("en", "emergency-no-compound")
        assert await cases(h) == []
        return
    (case,) = await cases(h)
    assert case.unit_id is None and case.kind is CaseKind.EMERGENCY
    assert case.place == place_label("bike_shed")
    assert confirmation.text == translate("en", "emergency-alerted", number=case.number)
    assert "Visitor" in h.transport.last(STAFF_CHAT).text
    assert h.transport.to(MANAGER)


async def test_a_report_in_the_residents_group_is_answered_there(h: Harness) -> None:
    await h.say(RESIDENT, "5号楼地下车库冒烟了", chat=RESIDENT_GROUP)
    first, confirmation = h.transport.to(RESIDENT_GROUP)
    assert advice("zh", "smoke")[0] in first.text
    assert h.transport.to(RESIDENT) == []
    (case,) = await cases(h)
    # A group message may be about anywhere: no home is assumed, the named place is kept.
    assert (case.unit_id, case.building, case.place) == (None, "5", place_label("garage"))
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
        compound = await session.scalar(demo_compound())
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

    def arm_job(self, row_id: int, due_at: datetime) -> None:
        raise AssertionError("an emergency report schedules no job")


async def test_the_realert_is_armed_once_the_case_is_stored(h: Harness) -> None:
    timers = RecordingTimers()
    h.services.timers = timers
    await h.say(RESIDENT, "有人被困电梯")
    async with h.services.db.read() as session:
        rows = list(
            await session.scalars(
                select(Deadline).join(Case, Case.id == Deadline.case_id).where(in_demo_compound())
            )
        )
    assert sorted(timers.armed) == sorted((row.id, row.due_at) for row in rows)
    assert DeadlineKind.EMERGENCY_REALERT in {row.kind for row in rows}


async def routed_case(harness: Harness, user: int, text: str) -> Case:
    await harness.say(user, text)
    (case,) = await cases(harness)
    return case


async def test_a_child_shut_in_gets_the_trapped_advice(harness: Harness) -> None:
    await harness.say(RESIDENT, "孩子被关在里面出不来了")
    first = first_reply(harness, RESIDENT)
    assert advice("zh", "trapped")[0] in first


async def test_smoke_in_the_stairwell_is_filed_there_not_at_home(harness: Harness) -> None:
    case = await routed_case(harness, RESIDENT, "楼道里全是烟")
    assert advice("zh", "smoke")[0] in first_reply(harness, RESIDENT)
    assert case.unit_id is None and case.building is None
    assert case.place == place_label("stairwell")
    card = harness.transport.last(STAFF_CHAT).text
    assert "1-1-0301" not in card and place_label("stairwell") in card
    assert "公共区域" in card


async def test_a_flooded_garage_is_filed_at_the_garage(harness: Harness) -> None:
    case = await routed_case(harness, RESIDENT, "地下车库进水了，水已经到膝盖了")
    assert advice("zh", "flood")[0] in first_reply(harness, RESIDENT)
    assert case.unit_id is None and case.place == place_label("garage")


async def test_someone_trapped_in_another_buildings_lift(harness: Harness) -> None:
    case = await routed_case(harness, RESIDENT, "3号楼电梯里有人被困")  # 王芳 lives in building 1
    assert advice("zh", "trapped")[0] in first_reply(harness, RESIDENT)
    assert (case.unit_id, case.building, case.place) == (None, "3", place_label("lift"))
    for alert in (harness.transport.last(STAFF_CHAT), harness.transport.last(MANAGER)):
        assert place_label("lift") in alert.text and "1-1-0301" not in alert.text


async def test_a_fire_at_home_is_filed_at_the_senders_home(harness: Harness) -> None:
    case = await routed_case(harness, RESIDENT, "我家着火了")
    assert advice("zh", "fire")[0] in first_reply(harness, RESIDENT)
    assert (case.building, case.place) == ("1", None) and case.unit_id is not None
    assert "1-1-0301" in harness.transport.last(STAFF_CHAT).text


async def test_several_hazards_are_explained_most_pressing_first(h: Harness) -> None:
    await h.say(RESIDENT, "电梯着火了，有人被困在电梯里")
    first = first_reply(h, RESIDENT)
    (fire,), (trapped,) = advice("zh", "fire"), advice("zh", "trapped")
    assert fire in first and trapped in first
    assert first.index(fire) < first.index(trapped)


# --- one table of hazards: every kind the router knows has its own advice ---

RULES = IntentRules.load()
KINDS = tuple(RULES.emergency.kinds)
PLACES = tuple(RULES.emergency.places)
# A message residents would send for each kind, in Chinese and in English.
REPRESENTATIVE = {
    "fire": ("厨房着火了", "there's a fire in my kitchen"),
    "smoke": ("家里突然好多烟", "there is smoke pouring out of the flat next door"),
    "gas": ("厨房里一股很重的煤气味", "I smell gas in the kitchen"),
    "trapped": ("孩子被关在里面出不来了", "we are stuck in the elevator"),
    "flood": ("卫生间水管爆了，家里都淹了", "our flat is flooding, water is pouring in"),
    "shock": ("有人触电了", "my son got an electric shock"),
    "violence": ("楼下有人拿刀打架", "a man with a knife is attacking people"),
    "medical": ("我爸突然晕倒了，叫不醒", "my neighbour collapsed and is not breathing"),
}
SENDER = {"zh": RESIDENT, "en": RESIDENT_EN}


def test_the_kinds_are_those_of_the_router_in_their_order() -> None:
    assert KINDS == ("fire", "smoke", "gas", "trapped", "flood", "shock", "violence", "medical")
    assert set(REPRESENTATIVE) == set(KINDS)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("locale", LOCALES)
def test_every_kind_has_its_own_advice(kind: str, locale: str) -> None:
    (own,) = advice(locale, kind)
    assert own and own not in advice(locale, "general")


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("locale", LOCALES)
async def test_a_report_of_each_kind_gets_that_kinds_advice(
    h: Harness, kind: str, locale: str
) -> None:
    user = SENDER[locale]
    await h.say(user, REPRESENTATIVE[kind][LOCALES.index(locale)], lang=locale)
    first = first_reply(h, user)
    assert advice(locale, kind)[0] in first
    assert advice(locale, "general")[0] not in first
    assert len(await cases(h)) == 1


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("locale", LOCALES)
async def test_without_the_emergency_flow_each_kind_still_gets_its_advice(
    h: Harness, kind: str, locale: str
) -> None:
    """The FAQ's fallback reads the same table."""
    h.services.flows.routed.pop(Intent.EMERGENCY)
    user = SENDER[locale]
    await h.say(user, REPRESENTATIVE[kind][LOCALES.index(locale)], lang=locale)
    (reply,) = h.transport.to(user)
    assert advice(locale, kind)[0] in reply.text
    assert DUTY_PHONE in reply.text


@pytest.mark.parametrize("place", PLACES)
@pytest.mark.parametrize("locale", LOCALES)
def test_every_place_has_a_name_staff_can_read(place: str, locale: str) -> None:
    assert place_label(place, locale).strip()


async def test_in_the_middle_of_a_form_the_hazard_and_place_still_count(h: Harness) -> None:
    await h.say(RESIDENT, "/repair")
    form = h.transport.last(RESIDENT)
    await h.say(RESIDENT, "楼道里全是烟")
    replies = [s.text for s in h.transport.to(RESIDENT) if s.message_id > form.message_id]
    assert advice("zh", "smoke")[0] in replies[0]
    (case,) = await cases(h)
    assert (case.kind, case.unit_id, case.place) == (
        CaseKind.EMERGENCY,
        None,
        place_label("stairwell"),
    )


async def test_advice_reaches_the_person_even_when_recording_the_case_fails(
    h: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The store failing (a full disk, a lost connection) must not cost anyone the advice."""

    async def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("the database is gone")

    monkeypatch.setattr("handlers.cases.rules.next_number", broken)
    await h.say(1001, "燃气泄漏了，闻到很重的煤气味")
    texts = [s.text for s in h.transport.to(1001)]
    assert advice("zh", "gas")[0] in texts[0]
    assert texts[-1].startswith("抱歉")
    assert await cases(h) == []
