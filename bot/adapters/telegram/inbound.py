"""What Telegram delivers (aiogram's Message and CallbackQuery) as the engine's Incoming.

In a group the bot takes part only when addressed: a command for it, an @mention of it, or a
reply to one of its messages. Other group messages still reach the engine, marked
`addressed=False`, so the knowledge base may answer where the compound allows it.
"""

from __future__ import annotations

import re

from aiogram.enums import ChatMemberStatus, ChatType, ContentType, MessageEntityType
from aiogram.types import CallbackQuery, Chat, ChatMemberUpdated, Message, MessageEntity, User

from bot.engine.events import (
    ChatKind,
    ChatRef,
    Incoming,
    Membership,
    Photo,
    Press,
    Unsupported,
    UserRef,
    split_command,
)

GROUP_CHATS = frozenset({ChatType.GROUP, ChatType.SUPERGROUP})

# Kinds a person can send that the bot does not read. Service notes (someone joined, a title
# changed, a message was pinned) are not listed: they are not messages to the bot at all.
UNSUPPORTED: dict[str, Unsupported] = {
    ContentType.STICKER: Unsupported.STICKER,
    ContentType.VOICE: Unsupported.VOICE,
    ContentType.VIDEO: Unsupported.VIDEO,
    ContentType.VIDEO_NOTE: Unsupported.VIDEO,
    ContentType.ANIMATION: Unsupported.VIDEO,
    ContentType.DOCUMENT: Unsupported.DOCUMENT,
    ContentType.AUDIO: Unsupported.DOCUMENT,
    ContentType.LOCATION: Unsupported.LOCATION,
    ContentType.VENUE: Unsupported.LOCATION,
    ContentType.CONTACT: Unsupported.OTHER,
    ContentType.POLL: Unsupported.OTHER,
    ContentType.DICE: Unsupported.OTHER,
    ContentType.GAME: Unsupported.OTHER,
    ContentType.STORY: Unsupported.OTHER,
    ContentType.PAID_MEDIA: Unsupported.OTHER,
    ContentType.CHECKLIST: Unsupported.OTHER,
    # Something newer than this aiogram knows of; a person sent it, so say what works.
    ContentType.UNKNOWN: Unsupported.OTHER,
}


def from_message(message: Message, *, bot_id: int, bot_username: str | None) -> Incoming | None:
    """The engine's view of a message, or None when it is not for the engine: a service note,
    a message from a bot or relayed from a channel, or a group command for another bot."""
    sender = message.from_user
    if sender is None or sender.is_bot or message.is_automatic_forward:
        return None
    photos = _photos(message)
    unsupported = None
    if not photos and message.content_type != ContentType.TEXT:
        unsupported = UNSUPPORTED.get(message.content_type)
        if unsupported is None:
            return None
    group = message.chat.type in GROUP_CHATS
    command = args = None
    if message.text is not None:
        parsed = split_command(message.text, bot_username)
        if parsed is not None:
            command, args, ours = parsed
            if group and not ours:
                return None
    text = message.text if message.text is not None else message.caption
    mentioned = _mentions_bot(message, text or "", bot_id=bot_id, bot_username=bot_username)
    if mentioned and bot_username and text:
        text = _without_mention(text, bot_username)
    reply = _replied_to(message)
    replied_to_bot = (
        reply is not None and reply.from_user is not None and reply.from_user.id == bot_id
    )
    return Incoming(
        user=_user(sender),
        chat=_chat(message.chat),
        message_id=message.message_id,
        text=text,
        command=command,
        args=args or "",
        photos=photos,
        unsupported=unsupported,
        addressed=not group or command is not None or mentioned or replied_to_bot,
        reply_to_message_id=reply.message_id if reply is not None else None,
        thread_id=_thread(message),
    )


def from_press(query: CallbackQuery) -> Incoming:
    """A press of one of the bot's inline buttons, answered in the chat that shows it."""
    shown_in = query.message
    if shown_in is None:
        # A button on a message sent through inline mode has no chat of ours: answer privately.
        chat, message_id, thread_id = ChatRef(query.from_user.id), None, None
    else:
        chat, message_id = _chat(shown_in.chat), shown_in.message_id
        thread_id = _thread(shown_in) if isinstance(shown_in, Message) else None
    return Incoming(
        user=_user(query.from_user),
        chat=chat,
        press=Press(query.data or "", message_id, query.id),
        thread_id=thread_id,
    )


def from_member_update(update: ChatMemberUpdated) -> Membership | None:
    """A person blocking ("kicked") or unblocking ("member") the bot in their private chat.
    None for anything else: the bot added to or removed from a group is not a person's
    choice about their own messages."""
    if update.chat.type != ChatType.PRIVATE:
        return None
    status = update.new_chat_member.status
    if status == ChatMemberStatus.KICKED:
        return Membership(user=_user(update.from_user), blocked=True)
    if status == ChatMemberStatus.MEMBER:
        return Membership(user=_user(update.from_user), blocked=False)
    return None


def _user(user: User) -> UserRef:
    return UserRef(id=user.id, name=user.full_name, language_code=user.language_code)


def _chat(chat: Chat) -> ChatRef:
    group = chat.type in GROUP_CHATS
    return ChatRef(
        id=chat.id,
        kind=ChatKind.GROUP if group else ChatKind.PRIVATE,
        title=chat.title or "",
        is_forum=bool(chat.is_forum),
    )


def _photos(message: Message) -> tuple[Photo, ...]:
    """The largest size of the photo. Each photo of an album arrives as its own message."""
    sizes = message.photo or (message.live_photo.photo if message.live_photo else None)
    if not sizes:
        return ()
    largest = max(sizes, key=lambda size: size.width * size.height)
    return (Photo(file_id=largest.file_id),)


def _thread(message: Message) -> int | None:
    """The forum topic, so that answers land in it; other threads are just replies."""
    return message.message_thread_id if message.is_topic_message else None


def _replied_to(message: Message) -> Message | None:
    reply = message.reply_to_message
    if reply is None:
        return None
    # Inside a forum topic every message "replies" to the topic's opening note.
    if message.is_topic_message and reply.forum_topic_created is not None:
        return None
    return reply


def _mentions_bot(message: Message, text: str, *, bot_id: int, bot_username: str | None) -> bool:
    handle = f"@{bot_username}".lower() if bot_username else None
    for entity in message.entities or message.caption_entities or ():
        if entity.type == MessageEntityType.MENTION:
            mentioned = handle is not None and _entity_text(text, entity).lower() == handle
        elif entity.type == MessageEntityType.TEXT_MENTION:
            # A mention picked from the member list names the user, not the handle.
            mentioned = entity.user is not None and entity.user.id == bot_id
        else:
            mentioned = False
        if mentioned:
            return True
    return False


def _entity_text(text: str, entity: MessageEntity) -> str:
    """The part of `text` an entity covers. Offsets count UTF-16 units; a client may send
    offsets that split an emoji's surrogate pair, where aiogram's `extract_from` raises
    UnicodeDecodeError and the message was dropped. The broken half becomes U+FFFD."""
    units = text.encode("utf-16-le")
    start, end = entity.offset * 2, (entity.offset + entity.length) * 2
    return units[start:end].decode("utf-16-le", errors="replace")


def _without_mention(text: str, bot_username: str) -> str:
    """ "@CourtyardBot when may I renovate?" reads as the question alone."""
    stripped = re.sub(rf"@{re.escape(bot_username)}\b", " ", text, flags=re.IGNORECASE)
    return re.sub(r"[ \t]{2,}", " ", stripped).strip()
