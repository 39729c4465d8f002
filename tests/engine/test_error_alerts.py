"""Error alerts in the staff chat name the reference only, and a stranger who keeps causing
errors cannot flood the staff chat with them."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

import pytest

from bot.engine.alerts import ALERTS_PER_WINDOW
from bot.engine.context import Context
from bot.i18n import translate
from storage import demo
from tests.harness import Harness

STRANGER = 700100001
START = datetime(2026, 11, 27, 6, 2, 30, tzinfo=UTC)  # 14:02:30 in Shanghai


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def _explosive(harness: Harness) -> Clock:
    """A command that always fails, and a clock the test moves."""

    async def explode(ctx: Context) -> None:
        raise RuntimeError("database on fire")

    harness.services.flows.command("explode", explode)
    clock = Clock(START)
    harness.services.clock = clock
    return clock


def _reference(harness: Harness, user: int) -> str:
    return harness.transport.last(user).text.split("reference ")[1].split(")")[0]


def _alerts(harness: Harness) -> list[str]:
    return [s.text for s in harness.transport.to(demo.STAFF_CHAT_ID)]


async def test_the_alert_names_the_reference_only(
    harness: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    """An anonymous complainant is not unmasked: neither who nor what reaches the staff."""
    _explosive(harness)
    with caplog.at_level(logging.ERROR):
        await harness.say(STRANGER, "/explode", lang="en")
    reference = _reference(harness, STRANGER)
    (alert,) = _alerts(harness)
    assert alert == translate("zh", "error-staff-alert", reference=reference)
    assert str(STRANGER) not in alert and "explode" not in alert
    # The log keeps the full detail under the reference.
    logged = [r.getMessage() for r in caplog.records if reference in r.getMessage()]
    assert logged and str(STRANGER) in logged[0] and "/explode" in logged[0]


@pytest.mark.parametrize("locale", ["zh", "en"])
def test_alert_texts_name_no_person(locale: str) -> None:
    text = translate(locale, "error-staff-alert", reference="ABCD1234")
    assert "ABCD1234" in text and "{" not in text


async def test_a_flood_of_errors_is_summarised_not_forwarded(
    harness: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    clock = _explosive(harness)
    flood = ALERTS_PER_WINDOW + 37
    with caplog.at_level(logging.INFO):
        for _ in range(flood):
            await harness.say(STRANGER, "/explode", lang="en")
            clock.now += timedelta(milliseconds=500)
    assert len(_alerts(harness)) == ALERTS_PER_WINDOW
    # Every error still got its apology and its log line.
    assert len(harness.transport.to(STRANGER)) == flood
    held_back = [r for r in caplog.records if "not posted to staff chat" in r.getMessage()]
    assert len(held_back) == 37

    clock.now = START + timedelta(minutes=2)
    await harness.say(STRANGER, "/explode", lang="en")
    reference = _reference(harness, STRANGER)
    assert _alerts(harness)[-1] == translate(
        "zh", "error-staff-alert", reference=reference
    ) + "\n" + translate("zh", "error-staff-alert-more", count=37, since="14:02")
    # The summary is given once; the next alert is a plain one again.
    clock.now += timedelta(seconds=1)
    await harness.say(STRANGER, "/explode", lang="en")
    reference = _reference(harness, STRANGER)
    assert _alerts(harness)[-1] == translate("zh", "error-staff-alert", reference=reference)
