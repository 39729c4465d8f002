"""What a bench resident does in the repair form, and how a bench user finds the button to press
in what the bot last sent: by the button's parsed data, never by its label."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from bot.engine.buttons import ButtonData, InvalidButton
from bot.engine.registry import Flows
from bot.engine.replies import Edit, Outbound, Send
from handlers.cases.buttons import StaffAction, StaffPress
from handlers.forms import FormPress

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


def repair_button(field: str, value: str | None = None) -> Choice:
    """A repair form button answering `field` (with `value`, when given)."""
    return lambda b: (
        isinstance(b, FormPress)
        and b.form == "repair"
        and b.field == field
        and (value is None or b.value == value)
    )


def own_home(data: ButtonData) -> bool:
    return repair_button("location")(data) and data.value != ""  # type: ignore[attr-defined]


REPAIR_FORM: tuple[Step, ...] = (
    Step(command="repair"),
    Step(choose=repair_button("category", "plumbing")),
    Step(choose=own_home),
    Step(text="厨房水管漏水，地上都是水"),
    Step(choose=repair_button("photos_done")),
    Step(choose=repair_button("urgency", "normal")),
    Step(choose=repair_button("visit_window", "anytime")),
    Step(choose=repair_button("review", "s")),
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
