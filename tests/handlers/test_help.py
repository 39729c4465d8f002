"""`/help` says what fits who asks, and lists the commands their role may use."""

from __future__ import annotations

from bot.engine.registry import Audience
from tests.harness import Harness

RESIDENT, TENANT, NEWCOMER, STAFF, MANAGER = 1001, 1002, 5001, 2001, 3001


def _commands(text: str) -> set[str]:
    return {line.split(" ")[0][1:] for line in text.splitlines() if line.startswith("/")}


async def test_help_lists_the_commands_of_each_role(harness: Harness) -> None:
    flows = harness.services.flows
    by_audience = {
        audience: {
            c.name for c in flows.commands.values() if c.audience is audience and not c.hidden
        }
        for audience in Audience
    }
    seen = {}
    for user in (RESIDENT, STAFF, MANAGER):
        await harness.say(user, "/help", lang="zh")
        seen[user] = _commands(harness.transport.last(user).text)
    assert by_audience[Audience.EVERYONE] <= seen[RESIDENT]
    assert not seen[RESIDENT] & (by_audience[Audience.STAFF] | by_audience[Audience.MANAGERS])
    assert {"cases", "invite"} <= seen[STAFF]
    assert not seen[STAFF] & by_audience[Audience.MANAGERS]
    assert {"cases", "invite", "addstaff", "staffchat", "residentgroup"} <= seen[MANAGER]
    # Each command is described as in the messenger's "/" menu.
    assert "/addstaff — 邀请员工（经理）" in harness.transport.last(MANAGER).text


async def test_help_says_what_fits_who_asks(harness: Harness) -> None:
    await harness.say(TENANT, "/help", lang="en")
    linked = harness.transport.last(TENANT).text
    assert "Once your home is linked" not in linked
    assert "Your home is linked" in linked
    await harness.say(NEWCOMER, "/help", lang="en")
    assert "Once your home is linked" in harness.transport.last(NEWCOMER).text
    await harness.say(STAFF, "/help", lang="en")
    staff = harness.transport.last(STAFF).text
    assert "Staff:" in staff and "home" not in staff.split("Commands")[0]
