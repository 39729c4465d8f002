"""The router on the labelled dev set (issue 3's targets) and on the cases that matter most."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

import knowledge
from knowledge.evaluation import evaluate, load_items
from knowledge.intent_ids import Intent
from knowledge.router import Router, Routers
from knowledge.rules import INTENTS_DIR, EmergencyRules

DEVSET = Path(__file__).resolve().parents[1] / "data" / "routing_devset.yaml"


@pytest.fixture(scope="module")
def report(router: Router):
    return evaluate(router, load_items(DEVSET))


def test_dev_set_is_honest_and_large_enough() -> None:
    items = load_items(DEVSET)
    assert len(items) >= 200
    assert sum(i.lang == "zh" for i in items) / len(items) >= 0.7


def test_intent_accuracy_at_least_90_percent(report) -> None:
    assert report.intent_accuracy >= 0.90, report.lines()


def test_topic_top1_at_least_85_percent(report) -> None:
    assert report.top1_accuracy >= 0.85, report.lines()


def test_topic_top3_at_least_95_percent(report) -> None:
    assert report.top3_accuracy >= 0.95, report.lines()


def test_confident_wrong_answers_at_most_3_percent(report) -> None:
    assert report.confident_wrong_rate <= 0.03, report.lines()


def test_every_emergency_in_the_dev_set_is_recognised(report) -> None:
    assert report.emergencies >= 20
    assert report.emergency_recall == 1.0, [
        (i.text, d.intent) for i, d in report.misses if i.intent == "emergency.report"
    ]


@pytest.mark.parametrize(
    "text",
    [
        "3号楼着火了 快打119",
        "厨房煤气泄漏了！",
        "我被关在电梯里出不来",
        "地下室进水了 水还在往上涨",
        "他触电了 一动不动",
        "有人拿刀在小区门口",
        "老人晕倒了 叫不醒",
        "there's a fire in my kitchen",
        "I smell gas in the hallway",
        "my daughter is trapped in the elevator",
        "someone collapsed in the lobby",
        "楼道里到处都是烟",
        "地下室的水已经没过脚踝了",
        "有人在偷电动车 现在还在",
        "a man is attacking a woman in the car park",
    ],
)
def test_emergencies_in_both_languages(router: Router, text: str) -> None:
    decision = router.route(text)
    assert decision.intent == "emergency.report"
    assert decision.outcome == "flow"
    assert router.is_emergency(text)


@pytest.mark.parametrize(
    "text",
    [
        "灭火器在哪",
        "电梯困人怎么办",
        "如果闻到煤气味应该怎么办",
        "what should I do if there is a fire",
    ],
)
def test_safety_questions_stay_questions(router: Router, text: str) -> None:
    decision = router.route(text)
    assert decision.intent != "emergency.report"
    assert not router.is_emergency(text)


def test_no_question_or_request_example_is_taken_for_an_emergency(router: Router) -> None:
    """Precision: the knowledge base's own phrasings and the examples of the other requests
    ("people smoke in the stairwell", "can we fire the property company") are not alarms."""
    examples = [q for e in router.knowledge.entries.values() for _, q in e.phrasings()]
    examples += [q for texts in router.rules.examples.values() for q in texts]
    assert [q for q in examples if router.is_emergency(q)] == []


def test_a_calm_safety_question_still_carries_its_hazard(router: Router) -> None:
    """So the reply can add the emergency numbers, in case it is happening after all."""
    assert router.route("电梯困人了应该怎么办").hazards == ("trapped",)


@pytest.mark.parametrize(
    ("text", "hazards"),
    [
        ("3号楼着火了，楼道里全是烟", ("fire", "smoke")),
        ("厨房里一股很重的煤气味", ("gas",)),
        ("我被困在电梯里了", ("trapped",)),
        ("孩子被关在里面出不来了", ("trapped",)),
        ("卫生间水管爆了，家里都淹了", ("flood",)),
        ("有人触电了", ("shock",)),
        ("楼下有人拿刀打架", ("violence",)),
        ("我爸突然晕倒了，叫不醒", ("medical",)),
        ("There's smoke coming out of the flat next door", ("smoke",)),
        ("I smell gas in the stairwell", ("gas",)),
        ("We are stuck in the elevator between floors", ("trapped",)),
        ("my father is having a heart attack", ("medical",)),
        ("a man with a knife is threatening people in the lobby", ("violence",)),
        # Every hazard, in the order of `priority` in intents/emergency.yaml.
        ("有人被困在电梯里，电梯着火了", ("fire", "trapped")),
    ],
)
def test_every_hazard_is_reported_most_pressing_first(
    router: Router, text: str, hazards: tuple[str, ...]
) -> None:
    decision = router.route(text)
    assert (decision.intent, decision.hazards) == ("emergency.report", hazards)


@pytest.mark.parametrize(
    ("text", "place", "building"),
    [
        ("楼道里全是烟", "stairwell", None),
        ("地下车库进水了，水已经到膝盖了", "garage", None),
        ("3号楼电梯里有人被困", "lift", "3"),
        ("12栋电梯困人", "lift", "12"),
        ("3栋12楼冒烟了 快来人", None, "3"),
        ("fire in building 2!", None, "2"),
        ("smoke in the lobby of building 2", "lobby", "2"),
        ("There's a fire in the bike shed!", "bike_shed", None),
        ("a man is attacking a woman in the car park", "car_park", None),
        # The place named first: the fire started in the lift, smoke spread to the stairwell.
        ("3号楼电梯着火了，楼道全是烟", "lift", "3"),
        # "lift" as a verb is no place.
        ("I can't lift him, he collapsed", None, None),
        ("我家着火了", None, None),
    ],
)
def test_an_emergency_carries_the_place_and_building_it_names(
    router: Router, text: str, place: str | None, building: str | None
) -> None:
    decision = router.route(text)
    assert decision.intent == "emergency.report"
    assert (decision.place, decision.building) == (place, building)


def test_the_order_of_priority_names_every_kind_once() -> None:
    data = yaml.safe_load((INTENTS_DIR / "emergency.yaml").read_text(encoding="utf-8"))
    assert list(EmergencyRules.from_data(data).kinds) == data["priority"]
    broken = {**data, "priority": data["priority"][1:]}
    with pytest.raises(ValueError, match="priority"):
        EmergencyRules.from_data(broken)


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("卫生间的水管漏水了", "repair.report"),
        ("我家还欠多少物业费", "fee.query"),
        ("楼上天天半夜装修 吵死了", "complaint.file"),
        ("中秋晚会怎么报名", "event.signup"),
        ("转人工", "human.handoff"),
        ("谢谢", "smalltalk"),
        ("the toilet is blocked, please send a plumber", "repair.report"),
        ("what is my balance", "fee.query"),
    ],
)
def test_requests_are_recognised_from_free_text(router: Router, text: str, intent: str) -> None:
    decision = router.route(text)
    assert decision.intent == intent
    assert decision.outcome == "flow"
    assert decision.topic is None and decision.answer is None


def test_answer_is_filled_with_the_compound_values_in_the_message_language(router: Router) -> None:
    values = {"parking_fee": {"zh": "每月300元", "en": "300 yuan a month"}}
    zh = router.route("停车费多少钱一个月", compound=values)
    assert zh.outcome == "answer" and zh.topic == "fees.parking" and zh.locale == "zh"
    assert "每月300元" in (zh.answer or "")
    en = router.route("how much does parking cost", compound=values)
    assert en.topic == "fees.parking" and en.locale == "en"
    assert "300 yuan a month" in (en.answer or "") or en.outcome != "answer"


def test_mixed_language_and_typos(router: Router) -> None:
    assert router.route("物业费 how to pay").topic == "fees.payment_methods"
    assert router.route("my 门禁卡 lost").topic == "access.card"
    assert router.route("物业废怎么交").topic == "fees.payment_methods"
    assert router.route("物业费在哪交").topic == "fees.payment_methods"
    assert router.route("where is the parcle locker").topic == "facilities.parcels"


def test_out_of_domain_is_not_answered(router: Router) -> None:
    for text in ("asdfgh", "帮我写一篇作文", "今晚吃啥"):
        decision = router.route(text)
        assert decision.outcome == "handoff"
        assert decision.answer is None


def test_suggest_offers_up_to_three_topics(router: Router) -> None:
    decision = router.route("访客怎么登记")
    ranked = [decision.topic, *(a.topic for a in decision.alternatives)]
    assert decision.outcome in ("suggest", "answer")
    assert len(ranked) == 3 and len(set(ranked)) == 3
    assert "access.visitor" in ranked


def test_json_has_exactly_the_contract_fields(router: Router) -> None:
    data = router.route("物业电话多少").to_json()
    assert list(data) == ["text", "intent", "topic", "score", "outcome", "alternatives", "answer"]
    assert 0.0 <= data["score"] <= 1.0
    assert all(set(a) == {"topic", "score"} for a in data["alternatives"])


def test_routers_are_built_once_and_per_compound(tmp_path: Path) -> None:
    (tmp_path / "sunny").mkdir()
    (tmp_path / "sunny" / "wifi.yaml").write_text(
        "- topic: local.wifi\n"
        "  questions: {zh: [会所的无线网密码是多少], en: [clubhouse wifi password]}\n"
        "  answer: {zh: 密码贴在会所前台。, en: The password is posted at the clubhouse desk.}\n",
        encoding="utf-8",
    )
    routers = Routers(tmp_path)
    shared = routers.get(None)
    assert routers.get("other") is shared
    assert routers.get("sunny") is routers.get("sunny")
    assert routers.get("sunny") is not shared
    assert routers.get("sunny").route("会所的无线网密码是多少").topic == "local.wifi"
    assert shared.route("会所的无线网密码是多少").topic != "local.wifi"
    assert Routers.shared(tmp_path) is Routers.shared(tmp_path)


def test_the_intent_enum_is_the_routing_contract() -> None:
    """Code names intents through `Intent`; its ids are exactly those of topics.yaml."""
    contract = yaml.safe_load((Path(knowledge.__file__).parent / "topics.yaml").read_text())
    assert {i.value for i in Intent} == set(contract["intents"])
