"""Unfinished forms are never dropped silently.

A resident half-way through a repair report who types /complain (or presses a menu button that
starts another form) is asked first: continue the unfinished one, or discard it and start the
new one. "Continue" asks the form's last question again, with its buttons.

A form left before a restart, or for hours, is not continued silently either: the first text
that arrives is not taken as an answer; the bot says which form goes on, asks its question
again and says that /cancel leaves it (`resume`, called by the engine).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from bot.engine.buttons import ButtonData
from bot.engine.context import Context
from bot.engine.prompts import PROMPT_KEY, prompt_from_data
from bot.engine.registry import Command, Flows
from bot.engine.replies import keyboard


class DraftChoice(enum.StrEnum):
    CONTINUE = "c"
    RESTART = "r"


@dataclass(frozen=True, slots=True)
class DraftPress(ButtonData):
    prefix = "dr"
    choice: DraftChoice
    command: str
    nonce: str


async def guard(ctx: Context, command: Command) -> bool:
    """Asks before `command` replaces an unfinished form; True when it asked."""
    conversation = ctx.conversation
    if not conversation.active or conversation.flow not in ctx.services.flows.drafts:
        return False
    nonce = conversation.nonce
    ctx.say(
        "drafts-unfinished",
        keyboard(
            [
                ctx.button(
                    ctx.t("drafts-continue"),
                    DraftPress(DraftChoice.CONTINUE, command.name, nonce),
                ),
                ctx.button(
                    ctx.t("drafts-restart"), DraftPress(DraftChoice.RESTART, command.name, nonce)
                ),
            ]
        ),
        what=ctx.t(f"drafts-flow-{conversation.flow}"),
    )
    return True


async def run_command(ctx: Context, name: str) -> None:
    """Runs a command as if typed (menu buttons use this), asking first where it applies."""
    command = ctx.services.flows.commands[name]
    if command.private_only and not ctx.event.is_private:
        ctx.say("common-private-only", ctx.private_chat_keyboard(command.name))
        return
    if command.begins and await guard(ctx, command):
        return
    await command.handler(ctx)


async def on_draft_choice(ctx: Context, press: DraftPress) -> None:
    command = ctx.services.flows.commands.get(press.command)
    if command is None:
        ctx.toast(ctx.t("common-button-invalid"), alert=True)
        return
    if press.choice is DraftChoice.RESTART:
        ctx.conversation.finish()
        ctx.edit(ctx.t("drafts-discarded"))
        await command.handler(ctx)
        return
    ctx.edit(ctx.t("drafts-continuing"))
    asked = prompt_from_data(ctx.conversation.data.get(PROMPT_KEY))
    if asked is None:
        ctx.say("drafts-continue-generic")
        return
    text, buttons = asked
    ctx.reply(text, buttons)


async def resume(ctx: Context) -> bool:
    """Says which unfinished form goes on and asks its last question again; True when it did
    (only forms worth keeping: other conversations take the text as before)."""
    conversation = ctx.conversation
    if conversation.flow not in ctx.services.flows.drafts:
        return False
    ctx.say("drafts-resumed", what=ctx.t(f"drafts-flow-{conversation.flow}"))
    asked = prompt_from_data(conversation.data.get(PROMPT_KEY))
    if asked is None:
        ctx.say("drafts-continue-generic")
    else:
        text, buttons = asked
        ctx.reply(text, buttons)
    return True


def register(flows: Flows) -> None:
    flows.guard = guard
    flows.resume = resume
    flows.press(DraftPress, on_draft_choice)
