"""The engine's Transport on the Telegram Bot API, whichever library makes the calls: sends,
edits and answers to button presses, paced, split to Telegram's limits, with failures turned
into what the outbox does (bot/adapters/botapi/errors.py).

An adapter subclasses `BotApiTransport` with the few calls its library makes (`send_text`,
`send_photo`, `send_album`, `edit_text`, `answer_press`, `pin`) and `failure_of`, which
describes the library's exceptions. A group that became a supergroup is followed at once.
"""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable
from typing import TypeVar

from bot.adapters.botapi.errors import Failure, Kind, outcome
from bot.adapters.botapi.limits import MAX_ALBUM, MAX_TEXT, MAX_TOAST, fit, redact, split_text
from bot.adapters.botapi.pacing import Pacer
from bot.engine.replies import (
    Button,
    Delivered,
    Edit,
    Keyboard,
    RetryLater,
    Send,
    Toast,
    Undeliverable,
    Upload,
)

log = logging.getLogger(__name__)

T = TypeVar("T")
# An inline keyboard as the Bot API's JSON: rows of {"text": ..., "callback_data"/"url": ...}.
Markup = list[list[dict[str, str]]]
# A photo to send: the id of a file Telegram has, or the bytes of one the bot made (a chart).
Photo = str | Upload

# A group that became a supergroup is followed this many times within one call.
MAX_MIGRATIONS = 2


def inline_keyboard(buttons: Keyboard) -> Markup | None:
    """The engine's buttons as Telegram's inline keyboard; no buttons, no keyboard."""
    rows = [[b for b in (_inline_button(button) for button in row) if b] for row in buttons]
    rows = [row for row in rows if row]
    return rows or None


def _inline_button(button: Button) -> dict[str, str] | None:
    if button.url:
        return {"text": button.text, "url": button.url}
    if button.data:
        return {"text": button.text, "callback_data": button.data}
    # Telegram refuses the whole message for one button with neither; lose the button only.
    log.warning("left out button %r: it has neither data nor a link", button.text)
    return None


class BotApiTransport(ABC):
    """Delivers the engine's replies; the subclass makes the calls through its library."""

    def __init__(self, token: str, *, pacer: Pacer | None = None) -> None:
        self.token = token
        self.pacer = pacer or Pacer()

    # -- what the library does ---------------------------------------------------------------

    @abstractmethod
    async def send_text(
        self,
        chat_id: int,
        text: str,
        *,
        thread_id: int | None,
        reply_to: int | None,
        keyboard: Markup | None,
    ) -> int:
        """sendMessage, as written (no parse mode); returns the message id."""

    @abstractmethod
    async def send_photo(
        self, chat_id: int, photo: Photo, *, thread_id: int | None, reply_to: int | None
    ) -> int:
        """sendPhoto by file id, or uploading the file; returns the message id."""

    @abstractmethod
    async def send_album(
        self,
        chat_id: int,
        photos: tuple[Photo, ...],
        *,
        thread_id: int | None,
        reply_to: int | None,
    ) -> int:
        """sendMediaGroup of two to ten photos; returns the last message's id."""

    @abstractmethod
    async def edit_text(
        self, chat_id: int, message_id: int, text: str, keyboard: Markup | None
    ) -> None:
        """editMessageText, its buttons replaced by `keyboard` (none: no buttons)."""

    @abstractmethod
    async def answer_press(self, press_id: str, text: str | None, alert: bool) -> None:
        """answerCallbackQuery."""

    @abstractmethod
    async def pin(self, chat_id: int, message_id: int) -> None:
        """pinChatMessage."""

    @abstractmethod
    def failure_of(self, exc: BaseException) -> Failure:
        """The library's exception described for `outcome` (Kind.UNKNOWN when it is not a
        Bot API failure at all)."""

    # -- the engine's Transport --------------------------------------------------------------

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
        chat_id, thread_id, reply_to = message.chat_id, message.thread_id, message.reply_to
        last_id: int | None = None
        errors: list[str] = []
        # Photos Telegram has (file ids), then the files the bot made (a chart), uploaded.
        photos: tuple[Photo, ...] = (*message.photos, *message.uploads)
        for start in range(0, len(photos), MAX_ALBUM):
            album = photos[start : start + MAX_ALBUM]
            try:
                last_id = await self._album(chat_id, album, thread_id, reply_to)
            except Exception as exc:
                failure = self.failure_of(exc)
                if failure.kind is not Kind.REFUSED:
                    raise  # 429, 5xx, 403 are the whole message's
                # A stale file id loses the photos, not the text that explains them.
                reason = redact(failure.description, self.token)
                log.warning("photos to chat %s not sent: %s", chat_id, reason)
                errors.append(reason)
            reply_to = None
        parts = split_text(message.text)
        markup = inline_keyboard(message.buttons)
        for index, part in enumerate(parts):
            keyboard = markup if index == len(parts) - 1 else None
            last_id = await self._text(chat_id, part, thread_id, reply_to, keyboard)
            reply_to = None
        if message.pin and last_id is not None:
            await self._pin(chat_id, last_id, errors)
        return Delivered(message_id=last_id, errors=errors)

    async def _text(
        self,
        chat_id: int,
        text: str,
        thread_id: int | None,
        reply_to: int | None,
        keyboard: Markup | None,
    ) -> int:
        return await self._call(
            chat_id,
            lambda chat: self.send_text(
                chat, text, thread_id=thread_id, reply_to=reply_to, keyboard=keyboard
            ),
        )

    async def _album(
        self, chat_id: int, album: tuple[Photo, ...], thread_id: int | None, reply_to: int | None
    ) -> int:
        if len(album) == 1:
            return await self._call(
                chat_id,
                lambda chat: self.send_photo(
                    chat, album[0], thread_id=thread_id, reply_to=reply_to
                ),
            )
        return await self._call(
            chat_id,
            lambda chat: self.send_album(chat, album, thread_id=thread_id, reply_to=reply_to),
        )

    async def _pin(self, chat_id: int, message_id: int, errors: list[str]) -> None:
        """Pins a message just sent. A group where the bot is no admin keeps the message
        unpinned: it is delivered, and the reason is kept on its outbox row."""
        try:
            await self._call(chat_id, lambda chat: self.pin(chat, message_id), paced=False)
        except Exception as exc:
            failure = self.failure_of(exc)
            if failure.kind not in (Kind.REFUSED, Kind.FORBIDDEN):
                raise
            reason = redact(failure.description, self.token)
            log.warning("message %s in chat %s not pinned: %s", message_id, chat_id, reason)
            errors.append(f"not pinned: {reason}")

    async def edit(self, message: Edit, *, chat_id: int, message_id: int) -> None:
        """Replaces the text and buttons of a message the bot sent; an unchanged one is fine."""
        text, markup = fit(message.text, MAX_TEXT), inline_keyboard(message.buttons)
        async with self.pacer.chat(chat_id):
            try:
                await self._call(
                    chat_id, lambda chat: self.edit_text(chat, message_id, text, markup)
                )
            except Exception as exc:
                # Pressing a button twice asks for the same text again: nothing to change.
                if self.failure_of(exc).not_modified:
                    return
                raise await self._failed(exc, f"edit of {message_id} in chat {chat_id}") from exc

    async def toast(self, press_id: str, toast: Toast) -> None:
        """Answers a button press: stops its spinner and shows the note, or an alert, if any."""
        try:
            # Answers do not count as messages, so they skip the global schedule.
            await self.answer_press(press_id, fit(toast.text, MAX_TOAST) or None, toast.alert)
        except Exception as exc:
            failure = self.failure_of(exc)
            if failure.kind is Kind.UNKNOWN:
                raise
            # Typically a press older than Telegram keeps it open; the user saw a spinner only.
            reason = redact(failure.description, self.token)
            log.info("button press %s not answered: %s", press_id, reason)

    # -- calls -------------------------------------------------------------------------------

    async def _call(
        self, chat_id: int, call: Callable[[int], Awaitable[T]], *, paced: bool = True
    ) -> T:
        """Makes one call for the chat, following a group that became a supergroup. Other
        failures are the caller's (see `_failed`)."""
        migrations = 0
        while True:
            if paced:
                await self.pacer.tick()
            try:
                return await call(chat_id)
            except Exception as exc:
                failure = self.failure_of(exc)
                if failure.kind is not Kind.MIGRATED or failure.migrate_to is None:
                    raise
                migrations += 1
                if migrations > MAX_MIGRATIONS:
                    raise
                log.warning(
                    "group %s is now supergroup %s: sending there; bind the new id to stop this",
                    chat_id,
                    failure.migrate_to,
                )
                chat_id = failure.migrate_to

    async def _failed(self, exc: Exception, what: str) -> RetryLater | Undeliverable:
        """The outcome of a failed call; a 429 first holds every sender for `retry_after`:
        Telegram counts the bot's messages, not one chat's."""
        failure = self.failure_of(exc)
        if failure.kind is Kind.FLOOD and failure.retry_after is not None:
            await self.pacer.hold(failure.retry_after)
        return outcome(failure, what, self.token)
