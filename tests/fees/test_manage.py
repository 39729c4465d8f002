"""Managers: collection rate by building and item, arrears by age, and November's disclosure
with its charts published to the residents' group. Nobody else sees these figures."""

from __future__ import annotations

import json
import struct
import zlib

from sqlalchemy import select

from handlers.fees.manage import Action, ManagePress
from handlers.fees.rules import collection, disclosure, previous_month, rate, today
from storage import demo
from storage.models import FeeDisclosure, OutboxMessage
from tests.harness import Harness, demo_compound

MANAGER, STAFF, RESIDENT = 3001, 2001, 1001


def png_text(data: bytes) -> dict[str, str]:
    """The PNG's text chunks; fails unless `data` is a well-formed PNG (signature, CRCs)."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    chunks: dict[str, str] = {}
    at, kinds = 8, []
    while at < len(data):
        (length,) = struct.unpack(">I", data[at : at + 4])
        kind = data[at + 4 : at + 8]
        body = data[at + 8 : at + 8 + length]
        (crc,) = struct.unpack(">I", data[at + 8 + length : at + 12 + length])
        assert crc == zlib.crc32(kind + body) & 0xFFFFFFFF
        kinds.append(kind)
        if kind == b"tEXt":
            key, _, value = body.partition(b"\0")
            chunks[key.decode("latin-1")] = value.decode("latin-1")
        elif kind == b"iTXt":
            key, _, rest = body.partition(b"\0")
            value = rest[2:].split(b"\0", 2)[2]
            chunks[key.decode("latin-1")] = value.decode("utf-8")
        at += 12 + length
    assert kinds[0] == b"IHDR" and kinds[-1] == b"IEND"
    return chunks


async def test_a_manager_sees_the_collection_rate_by_building_in_the_staff_chat(
    harness: Harness,
) -> None:
    await harness.say(MANAGER, "/fees", chat=demo.STAFF_CHAT_ID, lang="zh")
    text = harness.transport.last(demo.STAFF_CHAT_ID).text
    async with harness.services.db.read() as session:
        compound = await session.scalar(demo_compound())
        assert compound is not None
        day = today(compound, harness.services.clock())
        period = f"{day.year}-Q{(day.month - 1) // 3 + 1}"
        figures = await collection(session, compound, period)
    assert period in text and f"收缴率 {figures.rate}" in text
    for building in ("1", "2", "3"):
        billed, paid = figures.by_building[building]
        assert f"{building}号楼 {rate(paid, billed)}" in text
    assert "30天内" in text and "90天以上" in text
    # A month given as the argument.
    await harness.say(MANAGER, "/fees 2026-13", chat=demo.STAFF_CHAT_ID, lang="zh")
    assert "不是有效的期间" in harness.transport.last(demo.STAFF_CHAT_ID).text


async def test_staff_and_residents_are_refused_the_figures(harness: Harness) -> None:
    await harness.say(STAFF, "/fees", chat=demo.STAFF_CHAT_ID, lang="zh")
    assert "只对本小区的管理人员开放" in harness.transport.last(demo.STAFF_CHAT_ID).text
    forged = ManagePress(Action.FIGURES, "").pack()
    await harness.press(RESIDENT, forged)
    assert harness.transport.toasts[-1].alert
    assert not harness.transport.to(RESIDENT)
    publish = ManagePress(Action.PUBLISH, "2026-11").pack()
    await harness.press(STAFF, publish, chat=demo.STAFF_CHAT_ID)
    async with harness.services.db.read() as session:
        assert await session.scalar(select(FeeDisclosure)) is None


async def test_a_manager_previews_and_publishes_last_months_disclosure(harness: Harness) -> None:
    await harness.say(MANAGER, "/fees", lang="zh")
    figures_message = harness.transport.last(MANAGER)
    async with harness.services.db.read() as session:
        compound = await session.scalar(demo_compound())
        assert compound is not None
        month = previous_month(today(compound, harness.services.clock()))
        found = await disclosure(session, compound, month)
    await harness.press(MANAGER, figures_message.data("预览"))
    preview = harness.transport.last(MANAGER)
    assert (
        f"📋 {month} 财务公开" in preview.text and f"Financial disclosure, {month}" in preview.text
    )
    assert len(preview.uploads) == 2
    bars, trend = (png_text(upload.data) for upload in preview.uploads)
    numbers = json.loads(bars["Description"])
    assert numbers["income_cents"] == dict(found.income)
    assert numbers["expense_cents"] == dict(found.expenses)
    assert numbers["balance_cents"] == found.balance == found.income_total - found.expense_total
    series = json.loads(trend["Description"])
    assert series["months"][-1] == month and len(series["months"]) == 12
    assert series["billed_cents"] == [billed for _, billed, _ in found.trend]
    # Nothing reached residents before the manager confirmed.
    assert not harness.transport.to(demo.RESIDENT_GROUP_ID)

    await harness.press(MANAGER, preview.data("发布"))
    while await harness.engine.bulk.send_due():
        pass
    posted = harness.transport.last(demo.RESIDENT_GROUP_ID)
    assert f"{month} 财务公开" in posted.text and "Financial disclosure" in posted.text
    assert [u.data for u in posted.uploads] == [u.data for u in preview.uploads]
    async with harness.services.db.read() as session:
        record = await session.scalar(select(FeeDisclosure))
        assert record is not None and record.month == month
        row = await session.scalar(
            select(OutboxMessage).where(OutboxMessage.chat_id == demo.RESIDENT_GROUP_ID)
        )
        assert row is not None and row.broadcast_id is not None and row.payload["pin"]
    assert "已发布" in harness.transport.last(MANAGER).text  # the preview, edited in place
    # Publishing twice posts once.
    await harness.press(MANAGER, ManagePress(Action.PUBLISH, month).pack())
    assert harness.transport.toasts[-1].alert
    assert len(harness.transport.to(demo.RESIDENT_GROUP_ID)) == 1
