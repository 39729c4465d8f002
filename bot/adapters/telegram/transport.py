"""The engine's Transport on the Telegram Bot API: sends, edits and answers button presses.

What Telegram answers becomes what the outbox (bot/engine/outbox.py) does with the message:
- 403 (the user blocked the bot, or it was removed from the group): `Undeliverable(blocked)`;
- 400 with a reason (a message Telegram will never accept): `Undeliverable(reason)`;
- 429: `RetryLater(delay=retry_after)`, however long Telegram asks to wait;
- 5xx, a network failure, a timeout: `RetryLater`, the outbox backs off.
A group that became a supergroup is followed at once. Reasons are logged without the token.
"""

from __future__ import annotations

import logging
from typing import Any, TypeVar

from aiogram import Bot
from aiogram.exceptions import (
    TelegramAPIError,
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramMigrateToChat,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.methods import (
    AnswerCallbackQuery,
    EditMessageText,
    PinChatMessage,
    SendMediaGroup,
    SendMessage,
    SendPhoto,
    TelegramMethod,
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

from bot.adapters.telegram.limits import MAX_ALBUM, MAX_TEXT, MAX_TOAST, fit, redact, split_text
from bot.adapters.telegram.pacing import Pacer
from bot.engine.replies import (
    Button,
    Delivered,
    Edit,
    Keyboard,
    RetryLater,
    Send,
    Toast,
    Undeliverable,
)

log = logging.getLogger(__name__)

T = TypeVar("T")

# A group that became a supergroup is followed this many times within one call.
MAX_MIGRATIONS = 2
NOT_MODIFIED = "message is not modified"


def inline_keyboard(buttons: Keyboard) -> InlineKeyboardMarkup | None:
    """The engine's buttons as Telegram's inline keyboard; no buttons, no keyboard."""
    rows = [[b for b in (_inline_button(button) for button in row) if b] for row in buttons]
    rows = [row for row in rows if row]
    return InlineKeyboardMarkup(inline_keyboard=rows) if rows else None


def _inline_button(button: Button) -> InlineKeyboardButton | None:
    if button.url:
        return InlineKeyboardButton(text=button.text, url=button.url)
    if button.data:
        return InlineKeyboardButton(text=button.text, callback_data=button.data)
    # Telegram refuses the whole message for one button with neither; lose the button only.
    log.warning("left out button %r: it has neither data nor a link", button.text)
    return None


class TelegramTransport:
    """Delivers the engine's replies through aiogram's Bot."""

    def __init__(self, bot: Bot, *, pacer: Pacer | None = None):
        self.bot = bot
        self.pacer = pacer or Pacer()

    async def send(self, message: Send) -> Delivered:
        """Photos first (one photo, or albums of up to ten; generated images are uploaded
        as files), then the text with its buttons.

        The returned id is the text's: it carries the buttons, and only a text message can
        later be changed with editMessageText.
        """
        async with self.pacer.chat(message.chat_id):
            try:
                return await self._send(message)
            except Exception as exc:
                raise await self._failed(exc, f"message to chat {message.chat_id}") from exc

    async def _send(self, message: Send) -> Delivered:
        common: dict[str, Any] = {
            "chat_id": message.chat_id,
            "message_thread_id": message.thread_id,
        }
        reply = (
            ReplyParameters(message_id=message.reply_to, allow_sending_without_reply=True)
            if message.reply_to is not None
            else None
        )
        last_id: int | None = None
        errors: list[str] = []
        photos: list[str | InputFile] = [*message.photos]
        photos.extend(BufferedInputFile(u.data, filename=u.name) for u in message.uploads)
        for start in range(0, len(photos), MAX_ALBUM):
            album = tuple(photos[start : start + MAX_ALBUM])
            try:
                last_id = await self._send_album(album, common, reply)
            except TelegramBadRequest as exc:
                # A stale file id loses the photos, not the text that explains them. Other
                # failures (429, 5xx, 403) are the whole message's.
                reason = self._clean(exc)
                log.warning("photos to chat %s not sent: %s", message.chat_id, reason)
                errors.append(reason)
            reply = None
        parts = split_text(message.text)
        markup = inline_keyboard(message.buttons)
        for index, part in enumerate(parts):
            last = index == len(parts) - 1
            sent = await self._call(
                SendMessage(
                    text=part,
                    reply_parameters=reply,
                    reply_markup=markup if last else None,
                    **common,
                )
            )
            last_id, reply = sent.message_id, None
        if message.pin and last_id is not None:
            await self._pin(message.chat_id, last_id, errors)
        return Delivered(message_id=last_id, errors=errors)

    async def _pin(self, chat_id: int, message_id: int, errors: list[str]) -> None:
        """Pins a message just sent. A group where the bot is no admin keeps the message
        unpinned: it is delivered, and the reason is kept on its outbox row."""
        try:
            await self._call(PinChatMessage(chat_id=chat_id, message_id=message_id), paced=False)
        except (TelegramBadRequest, TelegramForbiddenError) as exc:
            reason = self._clean(exc)
            log.warning("message %s in chat %s not pinned: %s", message_id, chat_id, reason)
            errors.append(f"not pinned: {reason}")

    async def _send_album(
        self,
        album: tuple[str | InputFile, ...],
        common: dict[str, Any],
        reply: ReplyParameters | None,
    ) -> int:
        if len(album) == 1:
            sent = await self._call(SendPhoto(photo=album[0], reply_parameters=reply, **common))
            return sent.message_id
        media: list[MediaUnion] = [InputMediaPhoto(media=file_id) for file_id in album]
        messages: list[Message] = await self._call(
            SendMediaGroup(media=media, reply_parameters=reply, **common)
        )
        return messages[-1].message_id

    async def edit(self, message: Edit, *, chat_id: int, message_id: int) -> None:
        """Replaces the text and buttons of a message the bot sent; an unchanged one is fine."""
        method = EditMessageText(
            chat_id=chat_id,
            message_id=message_id,
            text=fit(message.text, MAX_TEXT),
            reply_markup=inline_keyboard(message.buttons),
        )
        async with self.pacer.chat(chat_id):
            try:
                await self._call(method)
            except TelegramBadRequest as exc:
                # Pressing a button twice asks for the same text again: nothing to change.
                if NOT_MODIFIED in exc.message:
                    return
                raise await self._failed(exc, f"edit of {message_id} in chat {chat_id}") from exc
            except Exception as exc:
                raise await self._failed(exc, f"edit of {message_id} in chat {chat_id}") from exc

    async def toast(self, press_id: str, toast: Toast) -> None:
        """Answers a button press: stops its spinner and shows the note, or an alert, if any."""
        method = AnswerCallbackQuery(
            callback_query_id=press_id,
            text=fit(toast.text, MAX_TOAST) or None,
            show_alert=toast.alert or None,
        )
        try:
            # Answers do not count as messages, so they skip the global schedule.
            await self._call(method, paced=False)
        except TelegramAPIError as exc:
            # Typically a press older than Telegram keeps it open; the user saw a spinner only.
            log.info("button press %s not answered: %s", press_id, self._clean(exc))

    async def _call(self, method: TelegramMethod[T], *, paced: bool = True) -> T:
        """Calls the Bot API, following a group that became a supergroup. Other failures
        are the caller's (see `_outcome`)."""
        migrations = 0
        while True:
            if paced:
                await self.pacer.tick()
            try:
                return await self.bot(method)
            except TelegramMigrateToChat as exc:
                migrations += 1
                if migrations > MAX_MIGRATIONS:
                    raise
                old = getattr(method, "chat_id", None)
                log.warning(
                    "group %s is now supergroup %s: sending there; bind the new id to stop this",
                    old,
                    exc.migrate_to_chat_id,
                )
                method = method.model_copy(update={"chat_id": exc.migrate_to_chat_id})

    async def _failed(self, exc: Exception, what: str) -> RetryLater | Undeliverable:
        """The outcome of a failed call; a 429 first holds every sender for `retry_after`:
        Telegram counts the bot's messages, not one chat's."""
        if isinstance(exc, TelegramRetryAfter):
            await self.pacer.hold(float(exc.retry_after))
        return self._outcome(exc, what)

    def _outcome(self, exc: Exception, what: str) -> RetryLater | Undeliverable:
        """What the outbox should do with a message whose call raised `exc`."""
        if isinstance(exc, TelegramRetryAfter):
            log.warning("%s: Telegram asks to wait %s s", what, exc.retry_after)
            return RetryLater("flood wait (429)", delay=float(exc.retry_after))
        if isinstance(exc, TelegramForbiddenError):
            log.info("%s refused: %s", what, self._clean(exc))
            return Undeliverable(self._clean(exc), blocked=True)
        if isinstance(exc, TelegramServerError | TelegramNetworkError | TimeoutError | OSError):
            reason = self._clean(exc) if isinstance(exc, TelegramAPIError) else type(exc).__name__
            log.warning("%s not sent, will retry: %s", what, reason)
            return RetryLater(reason)
        if isinstance(exc, TelegramAPIError):
            log.warning("%s refused for good: %s", what, self._clean(exc))
            return Undeliverable(self._clean(exc))
        log.error("%s failed: %s", what, type(exc).__name__)
        return RetryLater(type(exc).__name__)

    def _clean(self, exc: TelegramAPIError) -> str:
        return redact(str(exc), self.bot.token)
