"""Telegram's size limits on what the bot sends, and the redaction of the token from errors."""

from __future__ import annotations

from bot.logs import REDACTED, TOKEN_PATTERN

MAX_TEXT = 4096  # one message; Telegram counts UTF-16 code units
MAX_TOAST = 200  # the note shown when a button is pressed
MAX_ALBUM = 10  # photos in one media group
ELLIPSIS = "…"


def _units(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _prefix(text: str, limit: int) -> str:
    """The longest start of `text` that fits in `limit` UTF-16 units."""
    used = 0
    for index, char in enumerate(text):
        used += 2 if ord(char) > 0xFFFF else 1
        if used > limit:
            return text[:index]
    return text


def split_text(text: str, limit: int = MAX_TEXT) -> list[str]:
    """Splits a long text into messages, at line breaks where it can. Blank text is no message."""
    if not text.strip():
        return []
    if _units(text) <= limit:
        return [text]
    pieces: list[str] = []
    for line in text.splitlines(keepends=True):
        while _units(line) > limit:  # a single line longer than a message
            head = _prefix(line, limit)
            pieces.append(head)
            line = line[len(head) :]
        pieces.append(line)
    parts: list[str] = []
    current = ""
    for piece in pieces:
        if current and _units(current + piece) > limit:
            parts.append(current)
            current = ""
        current += piece
    parts.append(current)
    return [part.rstrip("\n") for part in parts if part.strip()]


def fit(text: str, limit: int) -> str:
    """Shortens `text` to `limit` UTF-16 units, marking the cut with an ellipsis."""
    if _units(text) <= limit:
        return text
    return _prefix(text, limit - 1) + ELLIPSIS


def redact(text: str, token: str) -> str:
    """An error description fit for a log line: no token, not even one inside a URL."""
    if token:
        text = text.replace(token, REDACTED)
    return TOKEN_PATTERN.sub(REDACTED, text)
