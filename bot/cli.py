"""The `courtyard` command line (docs/cli.md)."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Callable, Coroutine
from typing import Any

from pydantic import ValidationError

from bot.settings import Settings, load_settings

Command = Callable[[argparse.Namespace, Settings], Coroutine[Any, Any, int]]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="courtyard", description="Courtyard: the residential-compound assistant."
    )
    sub = parser.add_subparsers(dest="command", required=True)

    demo = sub.add_parser("demo", help="seed the demo compound and open the console chat")
    demo.add_argument("--seed-only", action="store_true", help="seed and exit")
    demo.set_defaults(run=_lazy("bot.commands.console", "demo"))

    chat = sub.add_parser("chat", help="the console chat")
    chat.add_argument("--as", dest="as_user", type=int, help="Telegram id to play")
    chat.add_argument("--jsonl", action="store_true", help="JSON lines in and out")
    chat.set_defaults(run=_lazy("bot.commands.console", "chat"))

    run = sub.add_parser("run", help="run the Telegram bot")
    run.add_argument("--webhook", action="store_true", help="webhook mode instead of polling")
    run.set_defaults(run=_lazy("bot.commands.telegram", "run"))

    db = sub.add_parser("db", help="database schema")
    db_sub = db.add_subparsers(dest="db_command", required=True)
    db_sub.add_parser("upgrade", help="create or migrate the schema").set_defaults(
        run=_lazy("bot.commands.admin", "db_upgrade")
    )

    imp = sub.add_parser("import", help="import a CSV file (all rows or none)")
    imp.add_argument(
        "kind",
        choices=[
            "compounds",
            "units",
            "residents",
            "staff",
            "settings",
            "bills",
            "payments",
            "ledger",
        ],
    )
    imp.add_argument("file")
    imp.set_defaults(run=_lazy("bot.commands.admin", "import_csv"))

    invite = sub.add_parser("invite", help="create a one-time invite code for a unit")
    invite.add_argument("--unit", required=True, help="unit label, e.g. 3-2-1502")
    invite.add_argument("--compound", help="compound code (needed when there are several)")
    invite.add_argument("--role", default="owner", choices=["owner", "tenant", "family"])
    invite.set_defaults(run=_lazy("bot.commands.admin", "invite"))

    export = sub.add_parser("export", help="export records as CSV")
    export_sub = export.add_subparsers(dest="export_kind", required=True)
    rollcall = export_sub.add_parser("rollcall", help="an emergency's roll-call answers")
    rollcall.add_argument("id", type=int, help="the roll-call's number")
    rollcall.add_argument("--out", help="write to this file instead of standard output")
    rollcall.set_defaults(run=_lazy("bot.commands.export", "rollcall"))
    event = export_sub.add_parser("event", help="an event's sign-up list")
    event.add_argument("id", type=int, help="the event's number (shown when it is published)")
    event.set_defaults(run=_lazy("bot.commands.export", "event"))
    arrears = export_sub.add_parser("arrears", help="households that owe, with what and since when")
    arrears.add_argument("--compound", help="compound code (all compounds when left out)")
    arrears.set_defaults(run=_lazy("bot.commands.admin", "export_arrears"))

    notice = sub.add_parser("notice", help="send, list or cancel notices to residents")
    notice_sub = notice.add_subparsers(dest="notice_command", required=True)
    send = notice_sub.add_parser("send", help="send or schedule the notice a YAML file describes")
    send.add_argument("file")
    send.add_argument("--compound", help="compound code (needed when there are several)")
    send.set_defaults(run=_lazy("bot.commands.notices", "send"))
    listing = notice_sub.add_parser("list", help="the compound's notices and their figures")
    listing.add_argument("--compound", help="compound code (needed when there are several)")
    listing.set_defaults(run=_lazy("bot.commands.notices", "list_notices"))
    cancel = notice_sub.add_parser("cancel", help="cancel a notice scheduled or going out")
    cancel.add_argument("id", type=int)
    cancel.set_defaults(run=_lazy("bot.commands.notices", "cancel"))

    _add_knowledge_commands(sub)
    return parser


def _add_knowledge_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    try:
        from knowledge.cli import add_commands
    except ImportError:  # the knowledge package is optional while it is being built
        return
    add_commands(sub)


def _lazy(module: str, name: str) -> Command:
    """Imports a command's module only when it runs: `courtyard --help` stays fast."""

    async def runner(args: argparse.Namespace, settings: Settings) -> int:
        import importlib

        command: Command = getattr(importlib.import_module(module), name)
        return await command(args, settings)

    return runner


# Commands whose output is a conversation: log lines would print into the chat.
CHAT_COMMANDS = frozenset({"demo", "chat"})


def _log_level(command: str, settings: Settings) -> str:
    """LOG_LEVEL when it is set; otherwise INFO, but only warnings in the console chat."""
    if command in CHAT_COMMANDS and "log_level" not in settings.model_fields_set:
        return "WARNING"
    return settings.log_level


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = load_settings()
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]).upper() or "settings"
        message = first["msg"].removeprefix("Value error, ")
        print(f"courtyard: invalid setting {where}: {message}", file=sys.stderr)
        return 2
    from bot.logs import configure_logging

    token = settings.telegram_bot_token.get_secret_value() if settings.telegram_bot_token else ""
    configure_logging(_log_level(args.command, settings), hide=[token])
    logging.getLogger(__name__).debug("running %s", args.command)
    from storage.reach import DatabaseUnavailable

    try:
        run: Command = args.run
        return asyncio.run(run(args, settings))
    except DatabaseUnavailable as exc:
        # Every command checks the database before using it (storage/reach.py).
        print(f"courtyard: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    raise SystemExit(main())
