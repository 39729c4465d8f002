"""Where flows declare what they answer: commands, buttons, conversation steps, intents.

Each handler module has a `register(flows)` function; the application factory calls them.
Importing a module registers nothing.
"""

from __future__ import annotations

import enum
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from bot.engine.buttons import ButtonData, ButtonRegistry
from bot.engine.context import Context
from bot.engine.jobs import JobHandler

if TYPE_CHECKING:
    from knowledge.router import Decision

Handler = Callable[[Context], Awaitable[None]]
# An intent whose handler acts on what the router read in the message, handed over as the
# router's decision (an emergency: the hazards, most pressing first, and the place named).
RoutedHandler = Callable[[Context, "Decision"], Awaitable[None]]
PressHandler = Callable[[Context, Any], Awaitable[None]]
# An interrupt sees every text before the current step does and returns True when it took the
# message over (an emergency in the middle of a form).
Interrupt = Callable[[Context], Awaitable[bool]]
# A guard sees a command that begins a form while another form is unfinished, and returns True
# when it took over (asking whether to continue the old one or start afresh).
Guard = Callable[[Context, "Command"], Awaitable[bool]]
# A resume hook sees the first text of a conversation left before this process started or
# paused for long (engine.LEFT_FOR), after the interrupts, and returns True when it took the
# text over (saying which form goes on, and asking its question again) instead of the step.
Resume = Callable[[Context], Awaitable[bool]]
# A claim sees text and photos outside a conversation before the knowledge base does, and
# returns True when the message is its own (a reply to a case card or to a case message).
Claim = Callable[[Context], Awaitable[bool]]


class Audience(enum.StrEnum):
    """Whose command menu lists a command. Who may use it is checked by its handler."""

    EVERYONE = "everyone"
    STAFF = "staff"
    MANAGERS = "managers"


@dataclass(frozen=True, slots=True)
class Command:
    name: str
    handler: Handler
    private_only: bool = False  # in a group, the bot points to a private chat instead
    hidden: bool = False  # not listed in the command menu
    begins: bool = False  # starts a form: an unfinished one is not dropped without asking
    # Who sees it in the messenger's command menu. The handler still checks who may use it;
    # this only keeps residents' menus uncluttered.
    audience: Audience = Audience.EVERYONE


@dataclass(slots=True)
class Flows:
    commands: dict[str, Command] = field(default_factory=dict)
    presses: dict[type[ButtonData], PressHandler] = field(default_factory=dict)
    # The buttons of declarative forms share one button type; its press names the form and
    # the field it answers, and is handed to the handler registered for that pair.
    form_fields: dict[tuple[str, str], PressHandler] = field(default_factory=dict)
    steps: dict[tuple[str, str], Handler] = field(default_factory=dict)
    intents: dict[str, Handler] = field(default_factory=dict)
    routed: dict[str, RoutedHandler] = field(default_factory=dict)
    interrupts: list[Interrupt] = field(default_factory=list)
    claims: list[Claim] = field(default_factory=list)
    buttons: ButtonRegistry = field(default_factory=ButtonRegistry)
    # Free text that no step claimed: the knowledge base and router (handlers/faq/).
    text: Handler | None = None
    # Flows whose half-typed state is worth keeping (a repair report, not a menu).
    drafts: set[str] = field(default_factory=set)
    guard: Guard | None = None
    resume: Resume | None = None
    # Scheduled jobs by kind (bot/engine/jobs.py): a notice's slot, a day's reminders.
    jobs: dict[str, JobHandler] = field(default_factory=dict)

    def command(
        self,
        name: str,
        handler: Handler,
        *,
        private_only: bool = False,
        hidden: bool = False,
        begins: bool = False,
        audience: Audience = Audience.EVERYONE,
    ) -> None:
        if name in self.commands:
            raise ValueError(f"command /{name} registered twice")
        self.commands[name] = Command(name, handler, private_only, hidden, begins, audience)

    def draft(self, flow: str) -> None:
        """Marks `flow` as one whose unfinished input must not be dropped silently."""
        self.drafts.add(flow)

    def press(self, button: type[ButtonData], handler: PressHandler) -> None:
        self.buttons.register(button)
        self.presses[button] = handler

    def form_field(self, form: str, field: str, handler: PressHandler) -> None:
        """The handler of a form button that answers `field` of `form`."""
        if (form, field) in self.form_fields:
            raise ValueError(f"form {form!r} registers field {field!r} twice")
        self.form_fields[(form, field)] = handler

    def step(self, flow: str, step: str, handler: Handler) -> None:
        self.steps[(flow, step)] = handler

    def intent(self, intent: str, handler: Handler) -> None:
        self.intents[intent] = handler

    def routed_intent(self, intent: str, handler: RoutedHandler) -> None:
        """`handler` answers `intent` given the router's decision, not only the message."""
        self.routed[intent] = handler

    def job(self, kind: str, handler: JobHandler) -> None:
        """`handler` does what a scheduled job row of `kind` stands for when it comes due."""
        if kind in self.jobs:
            raise ValueError(f"job kind {kind!r} registered twice")
        self.jobs[kind] = handler

    def interrupt(self, handler: Interrupt) -> None:
        self.interrupts.append(handler)

    def claim(self, handler: Claim) -> None:
        self.claims.append(handler)
