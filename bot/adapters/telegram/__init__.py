"""Telegram through aiogram 3.

- `factory`: the Bot (honouring TELEGRAM_API_BASE), the engine and the dispatcher, wired;
- `routes`: private chats, groups and button presses, each on its own router;
- `inbound`: aiogram's Message and CallbackQuery as the engine's Incoming;
- `transport`: the engine's Transport on the Bot API (429, 403 and other refusals);
- `pacing`: one chat at a time, under Telegram's overall message rate;
- `menu`: the command list in Chinese and English;
- `webhook`: the aiohttp application for webhook mode, behind Telegram's secret header.
"""

from bot.adapters.telegram.factory import TelegramBot, assemble, connect, create_bot

__all__ = ["TelegramBot", "assemble", "connect", "create_bot"]
