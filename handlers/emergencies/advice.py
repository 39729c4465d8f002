"""What to do right now, for each kind of hazard, in the person's language.

One table for the whole bot: `emergency-advice-<kind>` in bot/locales/*/emergency.yaml, one
text for every kind the router knows (knowledge/intents/emergency.yaml), and
`emergency-advice-general` when a message names none. The emergency flow and the FAQ's
fallback (no emergency flow registered) both read it.
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.i18n import Translator

GENERAL = "general"


def safety_advice(t: Translator, hazards: Sequence[str]) -> list[str]:
    """The heading, then the advice for each hazard, most pressing first; the general advice
    (get away, the numbers to call) when no hazard is known."""
    kinds = hazards or (GENERAL,)
    return [t("emergency-title"), *(t(f"emergency-advice-{kind}") for kind in kinds)]
