"""Help, menu, cancel and language: the commands that always answer, in any state."""

from __future__ import annotations

import enum
from dataclasses import dataclass

from bot.engine.buttons import ButtonData
from bot.engine.context import Context
from bot.engine.registry import Flows
from bot.engine.replies import Button, Keyboard, keyboard
from bot.i18n import LOCALES
from handlers.drafts import run_command
from handlers.offers import help_text


class MenuItem(enum.StrEnum):
    ASK = "ask"
    REPAIR = "repair"
    COMPLAIN = "complain"
    MY_CASES = "mycases"
    NOTICES = "notices"
    EVENTS = "events"
    FEES = "fees"
    BIND = "bind"
    LANG = "lang"
    HELP = "help"


@dataclass(frozen=True, slots=True)
class MenuPress(ButtonData):
    prefix = "m"
    item: MenuItem


@dataclass(frozen=True, slots=True)
class LanguagePress(ButtonData):
    prefix = "lg"
    locale: str


async def show_help(ctx: Context) -> None:
    """Says what the bot can do for this person and the commands their role may use."""
    ctx.reply(help_text(ctx), menu_keyboard(ctx))


async def show_menu(ctx: Context) -> None:
    """Shows the menu buttons that fit who the user is."""
    ctx.say("common-menu-title", menu_keyboard(ctx))


def menu_keyboard(ctx: Context) -> Keyboard:
    """The menu's buttons; an entry whose flow is not registered is not offered."""
    t = ctx.t
    commands = ctx.services.flows.commands

    def entries(*items: tuple[str, MenuItem]) -> list[Button]:
        return [
            ctx.button(t(text), MenuPress(item))
            for text, item in items
            if MENU_COMMANDS[item] in commands
        ]

    rows = [[ctx.button(t("common-menu-ask"), MenuPress(MenuItem.ASK))]]
    if ctx.event.is_private and ctx.actor.is_resident():
        # Cases name a home, so they are filed in private by residents only.
        rows.append(
            entries(("repair-menu", MenuItem.REPAIR), ("complaint-menu", MenuItem.COMPLAIN))
        )
        rows.append(entries(("mycases-menu", MenuItem.MY_CASES), ("fees-menu", MenuItem.FEES)))
        rows.append(entries(("notice-menu", MenuItem.NOTICES), ("event-menu", MenuItem.EVENTS)))
    if ctx.event.is_private and not ctx.actor.is_resident():
        rows.append(entries(("common-menu-bind", MenuItem.BIND), ("notice-menu", MenuItem.NOTICES)))
    rows = [row for row in rows if row]
    rows.append(
        [
            ctx.button(t("common-menu-lang"), MenuPress(MenuItem.LANG)),
            ctx.button(t("common-menu-help"), MenuPress(MenuItem.HELP)),
        ]
    )
    return keyboard(*rows)


async def cancel(ctx: Context) -> None:
    """Leaves whatever conversation the user is in; what was typed is discarded."""
    if ctx.conversation.active:
        ctx.conversation.finish()
        ctx.say("common-cancelled", menu_keyboard(ctx))
    else:
        ctx.say("common-nothing-to-cancel")


async def choose_language(ctx: Context) -> None:
    """Offers the two languages; `/lang en` or `/lang zh` switches at once."""
    wanted = ctx.event.args.strip().lower()[:2]
    if wanted in LOCALES:
        await _set_language(ctx, wanted)
        return
    ctx.say(
        "lang-choose",
        keyboard(
            [
                ctx.button("中文", LanguagePress("zh")),
                ctx.button("English", LanguagePress("en")),
            ]
        ),
    )


async def on_language(ctx: Context, press: LanguagePress) -> None:
    if press.locale not in LOCALES:
        ctx.toast(ctx.t("common-button-invalid"), alert=True)
        return
    await _set_language(ctx, press.locale)


async def _set_language(ctx: Context, locale: str) -> None:
    ctx.person.locale, ctx.person.locale_chosen = locale, True
    ctx.locale = locale
    ctx.say("lang-set", menu_keyboard(ctx))


# Menu entries that lead into a flow run that flow's command, found in the registry: the menu
# knows command names, not the flows behind them (which show the menu in turn).
MENU_COMMANDS = {
    MenuItem.REPAIR: "repair",
    MenuItem.COMPLAIN: "complain",
    MenuItem.MY_CASES: "mycases",
    MenuItem.NOTICES: "notices",
    MenuItem.EVENTS: "events",
    MenuItem.FEES: "fees",
    MenuItem.BIND: "bind",
}


async def on_menu(ctx: Context, press: MenuPress) -> None:
    """A menu button: a flow's command as if typed, or one of the menu's own answers."""
    command = MENU_COMMANDS.get(press.item)
    if command is not None:
        await run_command(ctx, command)
        return
    match press.item:
        case MenuItem.ASK:
            ctx.say("common-ask-prompt")
        case MenuItem.LANG:
            await _set_language(ctx, "en" if ctx.locale == "zh" else "zh")
        case MenuItem.HELP:
            await show_help(ctx)


def register(flows: Flows) -> None:
    flows.command("help", show_help)
    flows.command("menu", show_menu)
    flows.command("cancel", cancel)
    flows.command("lang", choose_language)
    flows.press(MenuPress, on_menu)
    flows.press(LanguagePress, on_language)
