"""Telegram through aiogram 3 (TELEGRAM_LIBRARY=aiogram).

What every Telegram library shares (reading updates, limits, menus, the error taxonomy,
pacing, the transport's logic, serving) is in bot/adapters/botapi/; here only what aiogram
needs:
- `factory`: the Bot (honouring TELEGRAM_API_BASE), the engine and the dispatcher, wired;
- `routes`: private chats, groups and button presses, each on its own router;
- `inbound`: aiogram's Message and CallbackQuery handed to the shared reading;
- `reading`: polling and the webhook, each update stored in the inbox before it is confirmed;
- `durable`: the inbox's recovery and the senders around the dispatcher;
- `transport`: the Bot API calls of the shared transport;
- `menu`: setMyCommands and deleteMyCommands;
- `webhook`: the aiohttp application for webhook mode, behind Telegram's secret header.
"""

from bot.adapters.telegram.factory import TelegramBot, assemble, build, connect, create_bot

__all__ = ["TelegramBot", "assemble", "build", "connect", "create_bot"]
