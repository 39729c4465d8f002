"""Which knowledge base a chat is answered from, and the office contact it quotes.

What the resident sees: answers with their own compound's entries and values (its office
phone and hours, its duty phone), in the language they wrote in.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot.engine.context import Context
from knowledge.router import Router, Routers

CONTACT = ("office_phone", "office_hours", "office_location", "duty_phone", "repair_hours")


def routers(ctx: Context) -> Routers:
    """The application's routers; services built by hand get the process-wide shared ones."""
    if ctx.services.router is None:
        ctx.services.router = Routers.shared(ctx.services.settings.kb_local_dir)
    return ctx.services.router


def router_for(ctx: Context) -> Router:
    """The router for the compound of this chat (its own entries, if it has any)."""
    return routers(ctx).get(ctx.compound.code if ctx.compound else None)


def kb_values(ctx: Context) -> Mapping[str, Any]:
    """The compound's values for knowledge-base placeholders (office phone, hours, ...)."""
    return ((ctx.compound.settings or {}) if ctx.compound else {}).get("kb") or {}


def contact(ctx: Context) -> dict[str, str]:
    """The office phone, hours and place, the duty phone and repair hours, in ctx.locale."""
    placeholders = router_for(ctx).knowledge.placeholders
    values = kb_values(ctx)
    return {name: placeholders.value(name, ctx.locale, values) or "" for name in CONTACT}
