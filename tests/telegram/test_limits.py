"""Telegram's size limits, counted the way Telegram counts (UTF-16), and token redaction."""

from __future__ import annotations

from bot.adapters.botapi.limits import fit, redact, split_text
from bot.logs import REDACTED
from tests.telegram.conftest import TOKEN


def test_short_and_blank_texts() -> None:
    assert split_text("物业费怎么交") == ["物业费怎么交"]
    assert split_text(" \n ") == []


def test_a_line_longer_than_a_message_is_cut() -> None:
    assert [len(part) for part in split_text("a" * 5000)] == [4096, 904]


def test_emoji_count_twice() -> None:
    parts = split_text("😀" * 3000)
    assert [len(part) for part in parts] == [2048, 952]  # 4096 UTF-16 units each at most


def test_lines_are_kept_whole_where_they_fit() -> None:
    text = "\n".join(f"{i:04d} " + "x" * 995 for i in range(6))  # six lines of 1000
    parts = split_text(text)
    assert [part.count("\n") for part in parts] == [3, 1]
    assert "\n".join(parts) == text


def test_fit_marks_the_cut() -> None:
    assert fit("短", 200) == "短"
    cut = fit("😀" * 300, 200)
    assert cut == "😀" * 99 + "…"


def test_redact_hides_the_token_and_anything_shaped_like_one() -> None:
    other = "555555555:BBxxxxxxxxxxxxxxxxxxxxxxxxxx"
    text = f"POST http://127.0.0.1/bot{TOKEN}/getMe failed; also {other}"
    cleaned = redact(text, TOKEN)
    assert TOKEN not in cleaned and other not in cleaned
    assert cleaned.count(REDACTED) == 2
