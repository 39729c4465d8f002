"""What a bench resident does in the repair form, and how a bench user finds the button to press
in what the bot last sent: by the button's parsed data, never by its label."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from bot.engine.buttons import ButtonData, InvalidButton
from bot.engine.registry import Flows
from bot.engine.replies import Edit, Outbound, Send
from handlers.cases.buttons import StaffAction, StaffPress
from handlers.repairs.buttons import (
    CategoryPress,
    LocationPress,
    PhotosDonePress,
    ReviewChoice,
    ReviewPress,
    UrgencyPress,
    VisitPress,
)
from storage.models import Urgency

Choice = Callable[[ButtonData], bool]


class ScriptBroke(RuntimeError):
    """The bot did not offer what the script expected: the flow changed, or it failed."""


@dataclass(frozen=True, slots=True)
class Step:
    """One thing the resident does: a command, typed text, or pressing the button `choose`
    accepts among those the bot sent last."""

    command: str | None = None
    text: str | None = None
    choose: Choice | None = None


REPAIR_FORM: tuple[Step, ...] = (
    Step(command="repair"),
    Step(choose=lambda b: isinstance(b, CategoryPress) and b.category == "plumbing"),
    Step(choose=lambda b: isinstance(b, LocationPress) and b.unit_id is not None),
    Step(text="厨房水管漏水，地上都是水"),
    Step(choose=lambda b: isinstance(b, PhotosDonePress)),
    Step(choose=lambda b: isinstance(b, UrgencyPress) and b.urgency is Urgency.NORMAL),
    Step(choose=lambda b: isinstance(b, VisitPress) and b.window == "anytime"),
    Step(choose=lambda b: isinstance(b, ReviewPress) and b.choice is ReviewChoice.SUBMIT),
)


def staff_button(action: StaffAction) -> Choice:
    """A case card's button for `action`."""
    return lambda data: isinstance(data, StaffPress) and data.action is action


def button(flows: Flows, out: list[Outbound], choose: Choice) -> str:
    """The data of the newest button in `out` that `choose` accepts."""
    for item in reversed(out):
        if not isinstance(item, Send | Edit):
            continue
        for row in item.buttons:
            for b in row:
                if b.data is None:
                    continue
                try:
                    parsed = flows.buttons.parse(b.data)
                except InvalidButton:
                    continue
                if choose(parsed):
                    return b.data
    raise ScriptBroke(f"no such button among {[type(o).__name__ for o in out]}")


def case_of_card(flows: Flows, out: list[Outbound]) -> tuple[int, str]:
    """The case whose new card `out` posted, and its Take button."""
    take = button(flows, out, staff_button(StaffAction.TAKE))
    parsed = flows.buttons.parse(take)
    assert isinstance(parsed, StaffPress)
    return parsed.case_id, take
