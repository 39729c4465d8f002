"""The issue's "done when", in the console: a resident asks "我家物业费交了吗" and sees their
unpaid bills with how to pay; the manager sees the collection rate by building, previews
last month's disclosure (its charts saved as PNG files) and publishes it to the group."""

from __future__ import annotations

from pathlib import Path

from storage import demo
from tests.adapters.test_console import run_lines
from tests.harness import Harness


def _is_png(path: str) -> bool:
    return Path(path).read_bytes().startswith(b"\x89PNG")


async def test_fees_in_the_console(harness: Harness) -> None:
    out = await run_lines(
        harness,
        ["我家物业费交了吗", "/as 3001 zh", "/fees", "1", "1", "/quit"],
        jsonl=False,
    )
    text = "\n".join(out)
    assert "1-1-0301 的账单" in text and "当前待缴合计" in text
    assert demo.KB_VALUES["payment_channels"]["zh"] in text
    assert "按楼栋：1号楼" in text
    charts = [line.split("🖼", 1)[1].strip() for line in out if "🖼" in line]
    assert len(charts) >= 2
    assert all(_is_png(path) for path in charts[:2])
    assert "财务公开已发布" in text
