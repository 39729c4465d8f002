"""The last question a form asked, kept with the conversation so that it can be asked again
(after an interruption, or when the resident chooses to continue an unfinished form)."""

from __future__ import annotations

from typing import Any

from bot.engine.replies import Button, Keyboard, Send, keyboard

PROMPT_KEY = "_prompt"


def prompt_to_data(message: Send) -> dict[str, Any]:
    return {
        "text": message.text,
        "buttons": [[[b.text, b.data, b.url] for b in row] for row in message.buttons],
    }


def prompt_from_data(data: Any) -> tuple[str, Keyboard] | None:
    """The stored question, or None when there is none (or it is not in the stored shape)."""
    if not isinstance(data, dict) or not isinstance(data.get("text"), str):
        return None
    rows = [
        [Button(text=text, data=button_data, url=url) for text, button_data, url in row]
        for row in data.get("buttons") or []
    ]
    return data["text"], keyboard(*rows)
