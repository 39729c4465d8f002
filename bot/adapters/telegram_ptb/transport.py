"""The engine's Transport through python-telegram-bot's Bot: the calls only; what to send,
pacing, splitting and what a failure means are shared with every Telegram library
(bot/adapters/botapi/transport.py, errors.py)."""

from __future__ import annotations

from telegram import (
    Bot,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputFile,
    InputMediaPhoto,
    ReplyParameters,
)

from bot.adapters.botapi.errors import Failure
from bot.adapters.botapi.pacing import Pacer
from bot.adapters.botapi.transport import BotApiTransport, Markup, Photo
from bot.adapters.telegram_ptb.client import failure_of
from bot.engine.replies import Upload


def _markup(keyboard: Markup | None) -> InlineKeyboardMarkup | None:
    if keyboard is None:
        return None
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    button["text"], url=button.get("url"), callback_data=button.get("callback_data")
                )
                for button in row
            ]
            for row in keyboard
        ]
    )


def _file(photo: Photo, *, attach: bool = False) -> str | InputFile:
    """A file id as it is; a file the bot made as an upload (`attach`: a part of its own
    that an album's JSON refers to, as sendMediaGroup needs)."""
    if isinstance(photo, Upload):
        return InputFile(photo.data, filename=photo.name, attach=attach)
    return photo


def _reply(reply_to: int | None) -> ReplyParameters | None:
    if reply_to is None:
        return None
    return ReplyParameters(message_id=reply_to, allow_sending_without_reply=True)


class PtbTransport(BotApiTransport):
    """Delivers the engine's replies through python-telegram-bot's Bot."""

    def __init__(self, bot: Bot, *, pacer: Pacer | None = None) -> None:
        super().__init__(bot.token, pacer=pacer)
        self.bot = bot

    async def send_text(
        self,
        chat_id: int,
        text: str,
        *,
        thread_id: int | None,
        reply_to: int | None,
        keyboard: Markup | None,
    ) -> int:
        sent = await self.bot.send_message(
            chat_id,
            text,
            message_thread_id=thread_id,
            reply_parameters=_reply(reply_to),
            reply_markup=_markup(keyboard),
        )
        return sent.message_id

    async def send_photo(
        self, chat_id: int, photo: Photo, *, thread_id: int | None, reply_to: int | None
    ) -> int:
        sent = await self.bot.send_photo(
            chat_id, _file(photo), message_thread_id=thread_id, reply_parameters=_reply(reply_to)
        )
        return sent.message_id

    async def send_album(
        self,
        chat_id: int,
        photos: tuple[Photo, ...],
        *,
        thread_id: int | None,
        reply_to: int | None,
    ) -> int:
        messages = await self.bot.send_media_group(
            chat_id,
            [InputMediaPhoto(_file(photo, attach=True)) for photo in photos],
            message_thread_id=thread_id,
            reply_parameters=_reply(reply_to),
        )
        return messages[-1].message_id

    async def edit_text(
        self, chat_id: int, message_id: int, text: str, keyboard: Markup | None
    ) -> None:
        await self.bot.edit_message_text(
            text, chat_id=chat_id, message_id=message_id, reply_markup=_markup(keyboard)
        )

    async def answer_press(self, press_id: str, text: str | None, alert: bool) -> None:
        await self.bot.answer_callback_query(press_id, text=text, show_alert=alert or None)

    async def pin(self, chat_id: int, message_id: int) -> None:
        await self.bot.pin_chat_message(chat_id, message_id)

    def failure_of(self, exc: BaseException) -> Failure:
        return failure_of(exc)
