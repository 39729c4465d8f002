"""Telegram through python-telegram-bot 22 (TELEGRAM_LIBRARY=ptb).

What every Telegram library shares (reading updates, limits, menus, the error taxonomy,
pacing, the transport's logic, serving) is in bot/adapters/botapi/; here only what
python-telegram-bot needs:
- `client`: the Bot on TELEGRAM_API_BASE, getUpdates answered as plain JSON, and its
  exceptions described for the shared error taxonomy;
- `transport`: the Bot API calls of the shared transport;
- `serving`: long polling and the webhook, each update stored in the inbox before it is
  confirmed, then read by the shared reader and handed to the engine.

python-telegram-bot's `Application` is not used: its update queue would confirm updates to
Telegram before they are stored, and the engine does the routing itself. The Bot is the
library's, and so are its requests (httpx), its errors and its objects.
"""

from bot.adapters.telegram_ptb.client import create_bot
from bot.adapters.telegram_ptb.serving import PtbTelegram, assemble, build

__all__ = ["PtbTelegram", "assemble", "build", "create_bot"]
