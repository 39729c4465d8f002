"""The conversation on a case as its resident sees it in /mycases: what the office told or
asked them, its answer or resolution note, and what they added or said was still wrong;
newest last, the oldest left out when it would not fit in one message. Internal notes never
appear."""

from __future__ import annotations

from bot.i18n import translate
from handlers.cases.cards import local_time
from storage.models import Case, CaseEvent, CaseEventKind, Compound

# What the resident sees of a case's history, each with its label's locale id.
VISIBLE = {
    CaseEventKind.STAFF_MESSAGE: "mycases-thread-staff-message",
    CaseEventKind.STAFF_QUESTION: "mycases-thread-staff-question",
    CaseEventKind.ANSWERED: "mycases-thread-answered",
    CaseEventKind.RESOLVED: "mycases-thread-resolved",
    CaseEventKind.RESIDENT_MESSAGE: "mycases-thread-resident-message",
    CaseEventKind.REOPENED: "mycases-thread-reopened",
}
KINDS = tuple(kind.value for kind in VISIBLE)
# Telegram allows 4096 characters; the case's own lines and buttons need the rest.
BUDGET = 2800
ENTRY_MAX = 400


def thread_text(locale: str, case: Case, compound: Compound, events: list[CaseEvent]) -> str:
    """The thread's lines under a title, or "" when nothing was said on the case yet."""
    lines = [_line(locale, compound, event) for event in events]
    kept: list[str] = []
    used = 0
    for line in reversed(lines):
        if used + len(line) > BUDGET:
            break
        kept.append(line)
        used += len(line) + 1
    if not kept:
        return ""
    kept.reverse()
    if len(kept) < len(lines):
        kept.insert(0, translate(locale, "mycases-thread-earlier", count=len(lines) - len(kept)))
    return translate(locale, "mycases-thread-title") + "\n" + "\n".join(kept)


def _line(locale: str, compound: Compound, event: CaseEvent) -> str:
    text = " ".join(event.text.split())
    if len(text) > ENTRY_MAX:
        text = text[: ENTRY_MAX - 1] + "…"
    photos = len(event.data.get("photos") or [])
    if photos:
        extra = translate(locale, "case-staff-photos", count=photos)
        text = f"{text} {extra}".strip()
    return translate(
        locale,
        "mycases-thread-line",
        at=local_time(event.at, compound),
        who=translate(locale, VISIBLE[CaseEventKind(event.kind)]),
        text=text or "—",
    )
