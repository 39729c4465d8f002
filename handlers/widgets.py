"""Small pieces every flow uses: checking typed text, laying out buttons, refusing stale presses.

Each check answers the person politely in their language and says what would work instead.
"""

from __future__ import annotations

from bot.engine.context import Context
from bot.engine.replies import Button, Keyboard


def typed_text(ctx: Context, *, minimum: int, limit: int) -> str | None:
    """The text the user typed (or the photo's caption), trimmed. None after telling them
    what was wrong: a photo without words, nothing at all, too short or too long."""
    text = (ctx.event.text or "").strip()
    if not text and ctx.event.photos:
        ctx.say("intake-need-words")
        return None
    if not text:
        ctx.say("intake-text-empty")
        return None
    if len(text) < minimum:
        ctx.say("intake-text-short", minimum=minimum)
        return None
    if len(text) > limit:
        ctx.say("intake-text-long", limit=limit, length=len(text))
        return None
    return text


def in_rows(buttons: list[Button], width: int = 2) -> list[list[Button]]:
    """The buttons as rows of `width`, for `keyboard(*rows)`."""
    return [buttons[i : i + width] for i in range(0, len(buttons), width)]


def at_step(ctx: Context, flow: str, step: str) -> bool:
    """Whether a press belongs to the step the form is on; a stale one is refused."""
    if ctx.conversation.flow == flow and ctx.conversation.step == step:
        return True
    ctx.toast(ctx.t("common-button-invalid"), alert=True)
    return False


def use_buttons(ctx: Context, buttons: Keyboard = ()) -> None:
    """Typed text or a photo where a button press is expected."""
    ctx.say("intake-use-buttons", buttons)
