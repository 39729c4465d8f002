"""When the bot speaks in a group chat, and where personal matters go.

What the resident sees in a group: the bot answers when addressed (a mention or a reply to
it); unasked, only a confident knowledge-base answer, and only where the compound turned
that on; an emergency always. A request that concerns one household (a repair, a bill, a
complaint, a person) gets a button to continue in a private chat. The bot stays within
Telegram's 20 messages a minute per group, except for an emergency.
"""

from __future__ import annotations

import logging
from collections import deque
from datetime import datetime, timedelta

from bot.engine.context import Context
from knowledge.intent_ids import Intent
from knowledge.router import Decision

log = logging.getLogger(__name__)

# Requests that concern one household: in a group they move to a private chat.
PERSONAL = frozenset({Intent.REPAIR, Intent.FEES, Intent.COMPLAINT, Intent.HANDOFF})
# Unasked answers in a group need more confidence than answers to the asker.
GROUP_AUTO_ANSWER_AT = 0.40
GROUP_LIMIT, GROUP_WINDOW = 20, timedelta(minutes=1)


class GroupBudget:
    """At most `limit` bot messages per group chat in any `window` (Telegram's group limit)."""

    def __init__(self, limit: int = GROUP_LIMIT, window: timedelta = GROUP_WINDOW) -> None:
        self.limit, self.window = limit, window
        self._sent: dict[int, deque[datetime]] = {}

    def allow(self, chat_id: int, now: datetime) -> bool:
        sent = self._sent.setdefault(chat_id, deque())
        while sent and now - sent[0] >= self.window:
            sent.popleft()
        if len(sent) >= self.limit:
            return False
        sent.append(now)
        return True


def _budget(ctx: Context) -> GroupBudget:
    budget = ctx.services.extras.setdefault("faq.group_budget", GroupBudget())
    assert isinstance(budget, GroupBudget)
    return budget


def may_speak(ctx: Context, decision: Decision) -> bool:
    """Private chats always; groups when addressed, or for a confident answer where the
    compound turned unasked answers on; an emergency always. Never over the group budget."""
    if ctx.event.is_private:
        return True
    emergency = decision.intent is Intent.EMERGENCY
    if not (ctx.event.addressed or emergency):
        settings = (ctx.compound.settings or {}) if ctx.compound else {}
        confident = decision.outcome == "answer" and decision.score >= GROUP_AUTO_ANSWER_AT
        if not (settings.get("group_auto_answer") and confident):
            return False
    allowed = _budget(ctx).allow(ctx.chat_id, ctx.services.clock())
    if not allowed:
        log.info("group %s is over its message budget; not answering", ctx.chat_id)
    # An emergency is answered even over the budget: the messenger may delay it, not drop it.
    return allowed or emergency


def moves_to_private(ctx: Context, intent: Intent) -> bool:
    """Whether this request is personal and was made in a group: it continues in private."""
    return not ctx.event.is_private and intent in PERSONAL


def offer_private_chat(ctx: Context, command: str) -> None:
    """Says this is better discussed in private, with a button that opens the bot there on
    `command` (or on help, where that command does not exist yet)."""
    payload = command if command in ctx.services.flows.commands else "help"
    ctx.say("faq-group-private", ctx.private_chat_keyboard(payload))
