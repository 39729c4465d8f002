"""What residents read is well formed: no bracket inside a bracket, no template reading badly
with the demo's values, and no answer contradicting itself."""

from __future__ import annotations

import pytest

from bot.i18n import LOCALES
from knowledge.router import Routers
from storage import demo
from tests.harness import Harness

OPEN, CLOSE = "（(", "）)"


def nested_brackets(text: str) -> bool:
    depth = 0
    for char in text:
        if char in OPEN:
            depth += 1
            if depth > 1:
                return True
        elif char in CLOSE:
            depth = max(0, depth - 1)
    return False


@pytest.mark.parametrize("values", [demo.KB_VALUES, {}], ids=["demo", "defaults"])
def test_no_answer_nests_brackets(values: dict) -> None:
    knowledge = Routers.shared(None).get(None).knowledge
    for topic in knowledge.entries:
        for locale in LOCALES:
            text = knowledge.answer(topic, locale, values)
            assert not nested_brackets(text), (topic, locale, text)
            assert "follow 300" not in text and "Fees follow" not in text, (topic, text)


async def test_not_sure_and_help_quote_the_hours_cleanly(harness: Harness) -> None:
    for user, lang in ((1001, "zh"), (1002, "en")):
        await harness.say(user, "火星上的停车场几点开门", lang=lang)
        await harness.say(user, "/help", lang=lang)
    for sent in harness.transport.sent:
        assert not nested_brackets(sent.text), sent.text


async def test_renovation_hours_answer_does_not_contradict_itself(harness: Harness) -> None:
    knowledge = Routers.shared(None).get(None).knowledge
    for locale in LOCALES:
        text = knowledge.answer("renovation.hours", locale, demo.KB_VALUES)
        assert "以物业公示为准" not in text.split("\n")[1]
        assert "as posted by the office" not in text
