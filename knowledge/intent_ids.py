"""The intents every routed message gets: what the bot should do with it.

The ids are the routing contract in `knowledge/topics.yaml` (a test checks the two agree);
code names them through this enum, never as strings.
"""

from __future__ import annotations

import enum


class Intent(enum.StrEnum):
    REPAIR = "repair.report"
    FEES = "fee.query"
    COMPLAINT = "complaint.file"
    EVENTS = "event.signup"
    EMERGENCY = "emergency.report"
    HANDOFF = "human.handoff"
    FAQ = "faq"
    SMALLTALK = "smalltalk"
    UNKNOWN = "unknown"


# Requests with a flow of their own, in the order the router weighs them.
ACTIONABLE = (Intent.REPAIR, Intent.FEES, Intent.COMPLAINT, Intent.EVENTS, Intent.HANDOFF)
