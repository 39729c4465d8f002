"""Loading entries: the shipped base, a deployment's overrides, placeholders per language."""

from __future__ import annotations

from pathlib import Path

import yaml

from knowledge.checks import check_all
from knowledge.loader import load_catalog, load_knowledge, load_placeholders

LOCAL_ENTRY = {
    "topic": "local.gym_wifi",
    "questions": {"zh": ["健身房wifi密码是多少"], "en": ["what is the gym wifi password"]},
    "answer": {"zh": "密码贴在前台，也可以拨打{office_phone}询问。", "en": "Ask {office_phone}."},
}


def _write(path: Path, entries: list[dict]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(entries, allow_unicode=True), encoding="utf-8")
    return path


def _override(topic: str, answer: str) -> dict:
    return {
        "topic": topic,
        "questions": {"zh": ["停车费多少钱"], "en": ["parking fee"]},
        "answer": {"zh": answer, "en": "Local parking: see the gate."},
        "actions": ["fee.query"],
    }


def test_shipped_base_covers_every_topic_without_problems() -> None:
    knowledge = load_knowledge()
    assert set(knowledge.entries) == set(load_catalog().topics)
    assert knowledge.problems == []
    for entry in knowledge.entries.values():
        assert len(entry.questions["zh"]) >= 6 and len(entry.questions["en"]) >= 6
    assert check_all(None).problems == []


def test_placeholders_fill_per_language_with_defaults_for_missing_values() -> None:
    knowledge = load_knowledge()
    values = {"office_phone": "0571-1234", "office_hours": {"zh": "每天9点", "en": "daily 9am"}}
    zh = knowledge.answer("office.hours_contact", "zh", values)
    en = knowledge.answer("office.hours_contact", "en", values)
    assert "0571-1234" in zh and "每天9点" in zh
    assert "daily 9am" in en and "0571-1234" in en
    # No value for the duty phone: the neutral default wording, in each language.
    defaults = load_placeholders().defaults["duty_phone"]
    assert defaults["zh"] in zh and defaults["en"] in en
    assert "{" not in zh and "{" not in en


def test_a_value_in_one_language_serves_both() -> None:
    placeholders = load_placeholders()
    assert placeholders.value("office_hours", "en", {"office_hours": {"zh": "9点"}}) == "9点"


def test_local_files_override_add_and_scope_per_compound(tmp_path: Path) -> None:
    _write(tmp_path / "common.yaml", [_override("fees.parking", "全小区：停车每月200元。")])
    _write(tmp_path / "sunny" / "own.yaml", [LOCAL_ENTRY])
    _write(
        tmp_path / "sunny" / "parking.yaml", [_override("fees.parking", "阳光花园：每月300元。")]
    )

    everyone = load_knowledge(tmp_path)
    assert everyone.problems == []
    assert everyone.answer("fees.parking", "zh") == "全小区：停车每月200元。"
    assert "local.gym_wifi" not in everyone.entries

    sunny = load_knowledge(tmp_path, "sunny")
    assert sunny.problems == []
    assert sunny.answer("fees.parking", "zh") == "阳光花园：每月300元。"
    assert "local.gym_wifi" in sunny.entries
    assert sunny.title("local.gym_wifi", "en") == "what is the gym wifi password"
    # Another compound sees the shared override only.
    assert load_knowledge(tmp_path, "other").answer("fees.parking", "zh").startswith("全小区")
    # The shipped base is untouched.
    assert "3000" not in load_knowledge().answer("fees.parking", "zh")


def test_bad_local_file_is_reported_and_costs_only_its_entries(tmp_path: Path) -> None:
    bad = {
        "topic": "fees.parkin",  # misspelt shipped id
        "questions": {"zh": ["物业费怎么交"]},  # no English, and a shipped phrasing
        "answer": {"zh": "见{office_phon}", "en": "see {office_phone}"},
        "actions": ["repair.reprot"],
    }
    collision = dict(LOCAL_ENTRY, questions={"zh": ["物业费怎么交"], "en": ["gym wifi"]})
    unknown_placeholder = dict(
        LOCAL_ENTRY,
        topic="local.other",
        questions={"zh": ["访客车能停多久"], "en": ["how long can visitor cars stay"]},
        answer={"zh": "见{gate_phone}", "en": "see {gate_phone}"},
    )
    _write(tmp_path / "bad.yaml", [bad, collision, unknown_placeholder])
    (tmp_path / "broken.yaml").write_text("- topic: [unclosed\n", encoding="utf-8")
    (tmp_path / "mapping.yaml").write_text("topic: local.x\n", encoding="utf-8")

    knowledge = load_knowledge(tmp_path)
    messages = [str(p) for p in knowledge.problems]
    text = "\n".join(messages)
    assert "unknown topic id 'fees.parkin'" in text
    assert "questions have no en phrasings" in text
    assert "unknown action 'repair.reprot'" in text
    assert "'物业费怎么交' is also a phrasing of fees.payment_methods" in text
    assert "unknown placeholder {gate_phone}" in text
    assert "broken.yaml: cannot be read" in text
    assert "mapping.yaml: must be a list" in text
    # The valid shipped entries are all still there.
    assert "fees.payment_methods" in knowledge.entries
    assert "fees.parkin" not in knowledge.entries

    result = check_all(tmp_path)
    assert {str(p) for p in knowledge.problems} <= {str(p) for p in result.problems}


def test_same_topic_twice_at_one_level_is_a_problem(tmp_path: Path) -> None:
    _write(tmp_path / "a.yaml", [_override("fees.parking", "一")])
    _write(tmp_path / "b.yaml", [_override("fees.parking", "二")])
    problems = [str(p) for p in load_knowledge(tmp_path).problems]
    assert any("topic fees.parking is also in" in p for p in problems)
