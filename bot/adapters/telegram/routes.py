"""The aiogram Dispatcher: private chats, groups, button presses and people blocking or
unblocking the bot (`my_chat_member`), each on its own router.

Every handler turns what Telegram delivered into an `Incoming` (or a `Membership`) and hands
it to the engine, which decides what to say. The engine is injected by aiogram from the
dispatcher's workflow data: a handler names `engine` in its signature and gets it.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import Bot, Dispatcher, Router
from aiogram.enums import ChatType
from aiogram.filters import Filter
from aiogram.types import CallbackQuery, ChatMemberUpdated, Message, TelegramObject, Update

from bot.adapters.botapi import serving
from bot.adapters.telegram.durable import Durability
from bot.adapters.telegram.inbound import (
    GROUP_CHATS,
    from_member_update,
    from_message,
    from_press,
)
from bot.adapters.telegram.reading import TolerantDispatcher
from bot.engine.engine import Engine
from bot.engine.inbox import Inbox

log = logging.getLogger(__name__)


class ChatTypeFilter(Filter):
    """Lets through messages from chats of the given Telegram types.

    A coroutine on purpose: aiogram runs a plain callable, such as an `F.chat.type` magic
    filter, in a worker thread (`CallableObject.call` → `asyncio.to_thread`). That costs a
    thread hop per update and lets a user's second message overtake the first before the
    engine's per-user lock is taken.
    """

    def __init__(self, *types: ChatType | str) -> None:
        self.types = frozenset(types)

    async def __call__(self, message: Message) -> bool:
        return message.chat.type in self.types


class Inflight(serving.Inflight):
    """An outer middleware that counts updates being handled, so that shutdown waits for them
    instead of closing the database under a reply."""

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        async with self.track():
            return await handler(event, data)


async def on_private_message(
    message: Message, bot: Bot, engine: Engine, event_update: Update
) -> None:
    """Whatever a person sends the bot in private gets an answer from the engine."""
    await _to_engine(message, bot, engine, event_update.update_id)


async def on_group_message(
    message: Message, bot: Bot, engine: Engine, event_update: Update
) -> None:
    """In a group the engine answers when addressed; other messages reach it unaddressed."""
    await _to_engine(message, bot, engine, event_update.update_id)


async def on_press(query: CallbackQuery, engine: Engine, event_update: Update) -> None:
    """A press of one of the bot's buttons: the engine checks it, acts, and answers the press."""
    event = dataclasses.replace(from_press(query), update_id=event_update.update_id)
    await engine.handle(event)


async def on_membership(member: ChatMemberUpdated, engine: Engine, event_update: Update) -> None:
    """A person blocked or unblocked the bot: recorded, so that mass messages skip them (and
    count them) without asking Telegram first."""
    change = from_member_update(member)
    if change is None:
        log.debug("membership change in chat %s not recorded", member.chat.id)
        return
    await engine.membership(dataclasses.replace(change, update_id=event_update.update_id))


async def _to_engine(message: Message, bot: Bot, engine: Engine, update_id: int) -> None:
    event = from_message(message, bot_id=bot.id, bot_username=engine.services.bot_username)
    if event is None:
        log.debug("not for the engine: %s in chat %s", message.content_type, message.chat.id)
        return
    # The update id lets the engine mark the stored update handled with what it changed.
    await engine.handle(dataclasses.replace(event, update_id=update_id))


def private_router() -> Router:
    router = Router(name="private")
    router.message.filter(ChatTypeFilter(ChatType.PRIVATE))
    router.message.register(on_private_message)
    return router


def group_router() -> Router:
    router = Router(name="groups")
    router.message.filter(ChatTypeFilter(*GROUP_CHATS))
    router.message.register(on_group_message)
    return router


def press_router() -> Router:
    router = Router(name="presses")
    router.callback_query.register(on_press)
    return router


def membership_router() -> Router:
    """`my_chat_member`: registering it makes polling and the webhook ask Telegram for these
    updates (aiogram's allowed_updates lists the kinds some router handles)."""
    router = Router(name="membership")
    router.my_chat_member.register(on_membership)
    return router


def create_dispatcher(engine: Engine, inbox: Inbox) -> Dispatcher:
    """The dispatcher for one bot, its handlers wired to `engine`, its updates kept in `inbox`
    until handled (durable.py)."""
    inflight = Inflight()
    # Conversation state lives in our own store, so aiogram's FSM stays off.
    # Tolerant: an update aiogram cannot read is skipped, not retried forever (reading.py).
    dispatcher = TolerantDispatcher(inbox, disable_fsm=True, engine=engine)
    dispatcher.update.outer_middleware(inflight)
    dispatcher.shutdown.register(inflight.drain)
    Durability(engine, inbox).install(dispatcher)
    dispatcher.include_routers(
        private_router(), group_router(), press_router(), membership_router()
    )
    return dispatcher
