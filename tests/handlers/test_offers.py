"""Every offer leads somewhere: each menu entry, each /start and /help button, and each button
under every knowledge-base answer, pressed by each kind of person, gets a real answer, never
"this cannot be done here yet" or "this button is no longer valid"."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable

import pytest

from bot.i18n import LOCALES, translate
from knowledge.router import Routers
from tests.harness import Harness, Sent

# (Telegram id, language) of a resident, a tenant, a newcomer with no home, staff, a manager.
PEOPLE = {
    "resident": (1001, "zh"),
    "tenant": (1002, "en"),
    "newcomer": (5001, "en"),
    "staff": (2001, "zh"),
    "manager": (3001, "zh"),
}
DEAD_END_IDS = (
    "faq-fallback-repair-report",
    "faq-fallback-fee-query",
    "faq-fallback-complaint-file",
    "faq-fallback-event-signup",
    "common-button-invalid",
    "common-unknown-command",
)


def _openings() -> list[str]:
    """The start of each dead-end text, in each language (up to its first field)."""
    found = []
    for locale in LOCALES:
        for key in DEAD_END_IDS:
            text = translate(locale, key)
            found.append(re.split(r"[{\n]", text, maxsplit=1)[0].strip())
    return found


OPENINGS = _openings()


def _dead_end(harness: Harness, chat: int, since: int, toasts: int) -> str | None:
    replies = [s.text for s in harness.transport.to(chat)[since:]]
    replies += [t.text for t in harness.transport.toasts[toasts:]]
    for text in replies:
        for opening in OPENINGS:
            if text.strip().startswith(opening):
                return text
    return None


async def _press_all(
    harness: Harness, user: int, where: str, produce: Callable[[], Awaitable[Sent | None]]
) -> list[str]:
    """Presses each button of the message `produce` sends, asking afresh before each press
    (a press may rightly spend the others); returns the dead ends."""
    first = await produce()
    assert first is not None, f"{where}: nothing to press"
    problems = []
    for index, (label, data) in enumerate(b for row in first.buttons for b in row):
        if data is None:  # a link, not a button
            continue
        message = first if index == 0 else await produce()
        assert message is not None
        data = [b for row in message.buttons for b in row][index][1]
        assert data is not None
        since, toasts = len(harness.transport.to(user)), len(harness.transport.toasts)
        await harness.press(user, data)
        if len(harness.transport.to(user)) == since and len(harness.transport.toasts) == toasts:
            problems.append(f"{where} / {label}: no answer at all")
        dead = _dead_end(harness, user, since, toasts)
        if dead:
            problems.append(f"{where} / {label}: {dead.strip()[:80]}")
        # Whatever the button began (a form), leave it for the next one.
        await harness.say(user, "/cancel")
    return problems


def _answer_of(harness: Harness, user: int, since: int) -> Sent | None:
    """The knowledge-base answer among the replies since `since` (it has "did not help")."""
    not_helpful = {translate(locale, "faq-not-helpful") for locale in LOCALES}
    for sent in harness.transport.to(user)[since:]:
        if any(label in not_helpful for row in sent.buttons for label, _ in row):
            return sent
    return None


async def _answer_for(harness: Harness, user: int, topic: str, locale: str) -> Sent | None:
    """Asks each way the entry is asked until it is answered, through "did you mean" if so."""
    knowledge = Routers.shared(harness.services.settings.kb_local_dir).get(None).knowledge
    entry = knowledge.entries[topic]
    title = knowledge.title(topic, locale)
    for question in entry.questions.get(locale, ()):
        await harness.say(user, "/cancel")
        since = len(harness.transport.to(user))
        await harness.say(user, question)
        found = _answer_of(harness, user, since)
        if found is not None:
            return found
        for sent in harness.transport.to(user)[since:]:
            for row in sent.buttons:
                for label, data in row:
                    if label == title and data is not None:
                        since = len(harness.transport.to(user))
                        await harness.press(user, data)
                        return _answer_of(harness, user, since)
    return None


@pytest.mark.parametrize("role", list(PEOPLE))
async def test_every_offer_leads_somewhere(harness: Harness, role: str) -> None:
    user, locale = PEOPLE[role]
    problems: list[str] = []
    await harness.say(user, f"/lang {locale}", lang=locale)

    def command(name: str) -> Callable[[], Awaitable[Sent | None]]:
        async def produce() -> Sent | None:
            await harness.say(user, "/cancel")
            await harness.say(user, f"/{name}")
            return harness.transport.last(user)

        return produce

    for name in ("start", "menu", "help"):
        problems += await _press_all(harness, user, f"/{name}", command(name))
    knowledge = Routers.shared(harness.services.settings.kb_local_dir).get(None).knowledge
    for topic in sorted(knowledge.entries):

        async def produce(topic: str = topic) -> Sent | None:
            return await _answer_for(harness, user, topic, locale)

        problems += await _press_all(harness, user, topic, produce)
    assert not problems, "\n".join(problems)


async def test_start_and_help_promise_only_what_is_registered(harness: Harness) -> None:
    for user, locale in ((5001, "zh"), (5002, "en"), (1001, "zh"), (1002, "en")):
        await harness.say(user, "/start", lang=locale)
        await harness.say(user, "/help", lang=locale)
    said = " ".join(s.text for s in harness.transport.sent)
    # What is registered is promised, in both languages: events (issue 12), fees (issue 11).
    assert "报修" in harness.transport.last(5001).text or "报修" in said
    assert "report repairs" in said
    assert "报名社区活动" in said and "sign up for community events" in said
    assert "查询本户费用" in said and "check your household's fees" in said
