"""Managers set their compound's values (fees, hours...) with /setting; the same list of keys
the settings import checks."""

from __future__ import annotations

from pathlib import Path

import pytest

from storage import demo
from storage.compound_settings import missing
from storage.importer import ImportFailed, import_file
from tests.harness import Harness, demo_compound

MANAGER, STAFF, RESIDENT = 3001, 2001, 1001
EXAMPLE = Path(__file__).resolve().parents[2] / "docs" / "examples" / "settings.csv"


async def kb(h: Harness) -> dict[str, object]:
    async with h.services.db.read() as session:
        compound = await session.scalar(demo_compound())
        assert compound is not None
        return dict(compound.settings.get("kb") or {})


async def test_a_manager_sets_a_value_in_private(harness: Harness) -> None:
    await harness.say(MANAGER, "/setting parking_fee 月卡 300 元，临停 5 元/小时", lang="zh")
    assert "已为" in harness.transport.last(MANAGER).text
    assert (await kb(harness))["parking_fee"] == "月卡 300 元，临停 5 元/小时"

    await harness.say(MANAGER, "/setting parking_fee.en monthly ¥300, ¥5 an hour", lang="zh")
    assert (await kb(harness))["parking_fee"] == {
        "zh": "月卡 300 元，临停 5 元/小时",
        "en": "monthly ¥300, ¥5 an hour",
    }

    await harness.say(MANAGER, "/setting working_hours 09:00-18:00", lang="en")
    async with harness.services.db.read() as session:
        compound = await session.scalar(demo_compound())
        assert compound is not None
        assert compound.settings["working_hours"]["start"] == "09:00"


async def test_unknown_keys_and_bad_values_are_refused_with_the_known_keys(
    harness: Harness,
) -> None:
    await harness.say(MANAGER, "/setting parking 300", lang="en")
    refused = harness.transport.last(MANAGER).text
    assert "Not saved" in refused and "parking_fee" in refused and "fee_rate" in refused
    await harness.say(MANAGER, "/setting working_hours 9 to 5", lang="en")
    assert "Not saved" in harness.transport.last(MANAGER).text
    await harness.say(MANAGER, "/setting", lang="en")
    assert "Not set yet" in harness.transport.last(MANAGER).text


async def test_only_managers_in_private_may_set_values(harness: Harness) -> None:
    before = await kb(harness)
    await harness.say(STAFF, "/setting fee_rate 1 元", lang="zh")
    await harness.say(RESIDENT, "/setting fee_rate 1 元", lang="zh")
    await harness.say(MANAGER, "/setting fee_rate 1 元", chat=demo.STAFF_CHAT_ID, lang="zh")
    assert await kb(harness) == before


async def test_the_settings_import_fills_what_kb_check_lists(
    harness: Harness, tmp_path: Path
) -> None:
    async with harness.services.db.read() as session:
        compound = await session.scalar(demo_compound())
        assert compound is not None
        lacking = {name for name, _ in missing(compound)}
    rows = [f"{demo.CODE},{name},值 {name},zh" for name in sorted(lacking)]
    rows += [f"{demo.CODE},fee,1,", f"{demo.CODE},fee_rate,x,fr", "nowhere,fee_rate,x,"]
    bad = tmp_path / "settings.csv"
    bad.write_text("compound,key,value,locale\n" + "\n".join(rows) + "\n", encoding="utf-8")
    with pytest.raises(ImportFailed) as failed:
        await import_file(harness.services.db, "settings", bad)
    lines = [p.line for p in failed.value.problems]
    assert lines == [len(lacking) + 2, len(lacking) + 3, len(lacking) + 4]
    assert "known keys" in str(failed.value)

    good = tmp_path / "good.csv"
    good.write_text("compound,key,value,locale\n" + "\n".join(rows[: len(lacking)]) + "\n")
    await import_file(harness.services.db, "settings", good)
    async with harness.services.db.read() as session:
        compound = await session.scalar(demo_compound())
        assert compound is not None
        assert missing(compound) == []
