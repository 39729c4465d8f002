"""The engine's Transport through aiogram's Bot: the calls only; what to send, pacing, splitting
and what a failure means are shared with every Telegram library
(bot/adapters/botapi/transport.py, errors.py)."""

from __future__ import annotations

from typing import Any

from aiogram import Bot
from aiogram.exceptions import (
    TelegramAPIError,
    TelegramForbiddenError,
    TelegramMigrateToChat,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
    TelegramUnauthorizedError,
)
from aiogram.methods import (
    AnswerCallbackQuery,
    EditMessageText,
    PinChatMessage,
    SendMediaGroup,
    SendMessage,
    SendPhoto,
)
from aiogram.types import (
    BufferedInputFile,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputFile,
    InputMediaPhoto,
    Message,
    ReplyParameters,
)
from aiogram.types.media_union import MediaUnion

from bot.adapters.botapi.errors import Failure, Kind
from bot.adapters.botapi.pacing import Pacer
from bot.adapters.botapi.transport import BotApiTransport, Markup, Photo
from bot.engine.replies import Upload


def failure_of(exc: BaseException) -> Failure:
    """aiogram's exception described for the shared error taxonomy."""
    if isinstance(exc, TelegramRetryAfter):
        return Failure(Kind.FLOOD, exc.message, retry_after=float(exc.retry_after))
    if isinstance(exc, TelegramMigrateToChat):
        return Failure(Kind.MIGRATED, exc.message, migrate_to=exc.migrate_to_chat_id)
    if isinstance(exc, TelegramForbiddenError):
        return Failure(Kind.FORBIDDEN, str(exc))
    if isinstance(exc, TelegramUnauthorizedError):
        return Failure(Kind.UNAUTHORIZED, str(exc))
    if isinstance(exc, TelegramServerError | TelegramNetworkError):
        return Failure(Kind.TRANSIENT, str(exc))
    if isinstance(exc, TelegramAPIError):
        return Failure(Kind.REFUSED, str(exc))
    if isinstance(exc, TimeoutError | OSError):
        return Failure(Kind.TRANSIENT, type(exc).__name__)
    return Failure(Kind.UNKNOWN, type(exc).__name__)


def _markup(keyboard: Markup | None) -> InlineKeyboardMarkup | None:
    if keyboard is None:
        return None
    rows = [[InlineKeyboardButton.model_validate(button) for button in row] for row in keyboard]
    return InlineKeyboardMarkup(inline_keyboard=rows)


def _file(photo: Photo) -> str | InputFile:
    """A file id as it is; a file the bot made as an upload."""
    if isinstance(photo, Upload):
        return BufferedInputFile(photo.data, filename=photo.name)
    return photo


def _reply(reply_to: int | None) -> ReplyParameters | None:
    if reply_to is None:
        return None
    return ReplyParameters(message_id=reply_to, allow_sending_without_reply=True)


class TelegramTransport(BotApiTransport):
    """Delivers the engine's replies through aiogram's Bot."""

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
        sent = await self.bot(
            SendMessage(
                chat_id=chat_id,
                text=text,
                message_thread_id=thread_id,
                reply_parameters=_reply(reply_to),
                reply_markup=_markup(keyboard),
            )
        )
        return sent.message_id

    async def send_photo(
        self, chat_id: int, photo: Photo, *, thread_id: int | None, reply_to: int | None
    ) -> int:
        sent = await self.bot(
            SendPhoto(
                chat_id=chat_id,
                photo=_file(photo),
                message_thread_id=thread_id,
                reply_parameters=_reply(reply_to),
            )
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
        media: list[MediaUnion] = [InputMediaPhoto(media=_file(photo)) for photo in photos]
        common: dict[str, Any] = {"chat_id": chat_id, "message_thread_id": thread_id}
        messages: list[Message] = await self.bot(
            SendMediaGroup(media=media, reply_parameters=_reply(reply_to), **common)
        )
        return messages[-1].message_id

    async def edit_text(
        self, chat_id: int, message_id: int, text: str, keyboard: Markup | None
    ) -> None:
        await self.bot(
            EditMessageText(
                chat_id=chat_id, message_id=message_id, text=text, reply_markup=_markup(keyboard)
            )
        )

    async def answer_press(self, press_id: str, text: str | None, alert: bool) -> None:
        await self.bot(
            AnswerCallbackQuery(callback_query_id=press_id, text=text, show_alert=alert or None)
        )

    async def pin(self, chat_id: int, message_id: int) -> None:
        await self.bot(PinChatMessage(chat_id=chat_id, message_id=message_id))

    def failure_of(self, exc: BaseException) -> Failure:
        return failure_of(exc)
