"""How many error alerts a staff chat gets: a few a minute, the rest summarised.

Anyone can make the bot fail (a stranger repeating one broken request, say), and every
failure used to post an alert to the staff chat: a flood the staff would learn to ignore.
Each staff chat now gets at most `ALERTS_PER_WINDOW` alerts in any `WINDOW`; the alerts held
back are counted and summarised in the next one allowed ("and 37 more errors since 14:02,
references in the log"). Every error is still logged in full under its reference.

The budget lives in this process. With several bot processes (REDIS_URL) each has its own
budget, so a staff chat may get up to that many times `ALERTS_PER_WINDOW` a minute.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from datetime import datetime, timedelta

ALERTS_PER_WINDOW = 5
WINDOW = timedelta(minutes=1)


@dataclass(frozen=True, slots=True)
class Admission:
    """Whether an alert may be posted, and what was held back before it."""

    allowed: bool
    held_back: int = 0
    held_since: datetime | None = None


@dataclass(slots=True)
class _ChatBudget:
    posted: deque[datetime] = field(default_factory=deque)
    held_back: int = 0
    held_since: datetime | None = None


class AlertBudget:
    """A sliding window of alerts per staff chat."""

    def __init__(self, *, limit: int = ALERTS_PER_WINDOW, window: timedelta = WINDOW) -> None:
        self.limit, self.window = limit, window
        self._chats: dict[int, _ChatBudget] = {}

    def admit(self, chat_id: int, now: datetime) -> Admission:
        """Takes one alert from the chat's budget. When allowed, reports (and forgets) the
        alerts held back since the last one posted; when not, counts this one as held back."""
        budget = self._chats.setdefault(chat_id, _ChatBudget())
        while budget.posted and budget.posted[0] <= now - self.window:
            budget.posted.popleft()
        if len(budget.posted) >= self.limit:
            budget.held_back += 1
            budget.held_since = budget.held_since or now
            return Admission(allowed=False)
        budget.posted.append(now)
        admission = Admission(True, budget.held_back, budget.held_since)
        budget.held_back, budget.held_since = 0, None
        return admission
