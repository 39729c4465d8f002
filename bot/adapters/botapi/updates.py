"""A Telegram update, as the Bot API's JSON, turned into the engine's event: written once for
every Telegram library (aiogram and python-telegram-bot hand over the same dict).

In a group the bot takes part only when addressed: a command for it, an @mention of it, or a
reply to one of its messages. Other group messages still reach the engine, marked
`addressed=False`, so the knowledge base may answer where the compound allows it.

Nothing here trusts the shape of the dict beyond what Telegram documents: a field of the wrong
type makes the update unreadable (`Unreadable`, skipped by id, never by content), not a crash.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

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

GROUP_CHATS = frozenset({"group", "supergroup"})
# The update kinds the bot asks Telegram for (polling's and the webhook's allowed_updates).
# Messages, button presses, and a person blocking or unblocking the bot (`my_chat_member`).
USED_UPDATES = ("message", "callback_query", "my_chat_member")

# Kinds a person can send that the bot does not read, by the message field that carries them.
# Service notes (someone joined, a title changed, a message was pinned) are not listed: they
# are not messages to the bot at all.
UNSUPPORTED: dict[str, Unsupported] = {
    "sticker": Unsupported.STICKER,
    "voice": Unsupported.VOICE,
    "video": Unsupported.VIDEO,
    "video_note": Unsupported.VIDEO,
    "animation": Unsupported.VIDEO,
    "document": Unsupported.DOCUMENT,
    "audio": Unsupported.DOCUMENT,
    "location": Unsupported.LOCATION,
    "venue": Unsupported.LOCATION,
    "contact": Unsupported.OTHER,
    "poll": Unsupported.OTHER,
    "dice": Unsupported.OTHER,
    "game": Unsupported.OTHER,
    "story": Unsupported.OTHER,
    "paid_media": Unsupported.OTHER,
    "checklist": Unsupported.OTHER,
}
# Fields every message may carry besides its content: what is left once they are set aside
# tells the content. A message with a content field this list does not know, and none of the
# fields above or below, is something newer than this code from a person: say what works.
_ENVELOPE = frozenset(
    {
        "message_id",
        "message_thread_id",
        "from",
        "sender_chat",
        "sender_boost_count",
        "sender_business_bot",
        "sender_tag",
        "date",
        "business_connection_id",
        "chat",
        "forward_origin",
        "is_topic_message",
        "is_automatic_forward",
        "reply_to_message",
        "external_reply",
        "quote",
        "reply_to_story",
        "reply_to_checklist_task_id",
        "via_bot",
        "edit_date",
        "has_protected_content",
        "is_from_offline",
        "is_paid_post",
        "media_group_id",
        "author_signature",
        "paid_star_count",
        "entities",
        "caption_entities",
        "link_preview_options",
        "suggested_post_info",
        "effect_id",
        "show_caption_above_media",
        "has_media_spoiler",
        "reply_markup",
        "caption",
        "direct_messages_topic",
    }
)
# Service notes: a message carrying one of these is news about the chat, not for the engine.
_SERVICE = frozenset(
    {
        "new_chat_members",
        "left_chat_member",
        "new_chat_title",
        "new_chat_photo",
        "delete_chat_photo",
        "group_chat_created",
        "supergroup_chat_created",
        "channel_chat_created",
        "message_auto_delete_timer_changed",
        "migrate_to_chat_id",
        "migrate_from_chat_id",
        "pinned_message",
        "invoice",
        "successful_payment",
        "refunded_payment",
        "users_shared",
        "chat_shared",
        "gift",
        "unique_gift",
        "connected_website",
        "write_access_allowed",
        "passport_data",
        "proximity_alert_triggered",
        "boost_added",
        "chat_background_set",
        "checklist_tasks_done",
        "checklist_tasks_added",
        "direct_message_price_changed",
        "forum_topic_created",
        "forum_topic_edited",
        "forum_topic_closed",
        "forum_topic_reopened",
        "general_forum_topic_hidden",
        "general_forum_topic_unhidden",
        "giveaway_created",
        "giveaway",
        "giveaway_winners",
        "giveaway_completed",
        "paid_message_price_changed",
        "suggested_post_approved",
        "suggested_post_approval_failed",
        "suggested_post_declined",
        "suggested_post_paid",
        "suggested_post_refunded",
        "video_chat_scheduled",
        "video_chat_started",
        "video_chat_ended",
        "video_chat_participants_invited",
        "web_app_data",
    }
)


class Unreadable(ValueError):
    """An update whose fields are not shaped as Telegram documents them. The message names
    the field only: the value would be somebody's message."""


def update_id_of(update: object) -> int | None:
    """The update's id when it has a usable one."""
    if isinstance(update, Mapping):
        value = update.get("update_id")
        if isinstance(value, int) and not isinstance(value, bool):
            return value
    return None


def event_of(
    update: Mapping[str, Any], *, bot_id: int, bot_username: str | None
) -> Incoming | Membership | None:
    """The engine's event for one update (with its `update_id`), or None when the update is
    not for the engine (a kind the bot does not handle, a service note, a bot's message).

    Raises `Unreadable` when a field the bot reads is not shaped as Telegram documents it.
    """
    update_id = update_id_of(update)
    if update_id is None:
        raise Unreadable("update_id (missing or not a number)")
    if "message" in update:
        message = _mapping(update["message"], "message")
        # Not read, but a message without a proper date is not one Telegram sent.
        _int(message.get("date"), "message.date")
        event = from_message(message, bot_id=bot_id, bot_username=bot_username)
    elif "callback_query" in update:
        event = from_press(_mapping(update["callback_query"], "callback_query"))
    elif "my_chat_member" in update:
        change = membership_of(_mapping(update["my_chat_member"], "my_chat_member"))
        return None if change is None else replace(change, update_id=update_id)
    else:
        return None
    if event is None:
        return None
    return Incoming(**{**_fields(event), "update_id": update_id})


def membership_of(member: Mapping[str, Any]) -> Membership | None:
    """A person blocking ("kicked") or unblocking ("member") the bot in their private chat.
    None for anything else: the bot added to or removed from a group is not a person's
    choice about their own messages."""
    chat = _mapping(member.get("chat"), "my_chat_member.chat")
    if chat.get("type") != "private":
        return None
    status = _mapping(member.get("new_chat_member"), "my_chat_member.new_chat_member").get("status")
    user = _user(_mapping(member.get("from"), "my_chat_member.from"))
    if status == "kicked":
        return Membership(user=user, blocked=True)
    if status == "member":
        return Membership(user=user, blocked=False)
    return None


def from_message(
    message: Mapping[str, Any], *, bot_id: int, bot_username: str | None
) -> Incoming | None:
    """The engine's view of a message, or None when it is not for the engine: a service note,
    a message from a bot or relayed from a channel, or a group command for another bot."""
    sender = message.get("from")
    if sender is None:
        return None
    sender = _mapping(sender, "message.from")
    if sender.get("is_bot") or message.get("is_automatic_forward"):
        return None
    if _SERVICE & message.keys():
        return None
    chat = _mapping(message.get("chat"), "message.chat")
    photos = _photos(message)
    text = _str(message.get("text"), "message.text")
    caption = _str(message.get("caption"), "message.caption")
    unsupported = None
    if not photos and text is None:
        unsupported = _unsupported(message)
        if unsupported is None:
            return None
    group = chat.get("type") in GROUP_CHATS
    command = args = None
    if text is not None:
        parsed = split_command(text, bot_username)
        if parsed is not None:
            command, args, ours = parsed
            if group and not ours:
                return None
    body = text if text is not None else caption
    mentioned = _mentions_bot(message, body or "", bot_id=bot_id, bot_username=bot_username)
    if mentioned and bot_username and body:
        body = _without_mention(body, bot_username)
    reply = _replied_to(message)
    replied_to_bot = reply is not None and _sender_id(reply) == bot_id
    return Incoming(
        user=_user(sender),
        chat=_chat(chat),
        message_id=_int(message.get("message_id"), "message.message_id"),
        text=body,
        command=command,
        args=args or "",
        photos=photos,
        unsupported=unsupported,
        addressed=not group or command is not None or mentioned or replied_to_bot,
        reply_to_message_id=_int(reply.get("message_id"), "reply.message_id") if reply else None,
        thread_id=_thread(message),
    )


def from_press(query: Mapping[str, Any]) -> Incoming:
    """A press of one of the bot's inline buttons, answered in the chat that shows it."""
    presser = _user(_mapping(query.get("from"), "callback_query.from"))
    shown_in = query.get("message")
    if shown_in is None:
        # A button on a message sent through inline mode has no chat of ours: answer privately.
        chat, message_id, thread_id = ChatRef(presser.id), None, None
    else:
        shown_in = _mapping(shown_in, "callback_query.message")
        chat = _chat(_mapping(shown_in.get("chat"), "callback_query.message.chat"))
        message_id = _int(shown_in.get("message_id"), "callback_query.message.message_id")
        thread_id = _thread(shown_in)
    data = _str(query.get("data"), "callback_query.data") or ""
    press_id = _str(query.get("id"), "callback_query.id")
    return Incoming(
        user=presser, chat=chat, press=Press(data, message_id, press_id), thread_id=thread_id
    )


# -- pieces ---------------------------------------------------------------------------------


def _fields(event: Incoming) -> dict[str, Any]:
    return {name: getattr(event, name) for name in Incoming.__slots__}


def _mapping(value: object, where: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise Unreadable(f"{where} (not an object)")
    return value


def _str(value: object, where: str) -> str | None:
    if value is None or isinstance(value, str):
        return value
    raise Unreadable(f"{where} (not a string)")


def _int(value: object, where: str) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    raise Unreadable(f"{where} (not a number)")


def _user(user: Mapping[str, Any]) -> UserRef:
    first = _str(user.get("first_name"), "user.first_name") or ""
    last = _str(user.get("last_name"), "user.last_name")
    name = f"{first} {last}" if last else first
    language = _str(user.get("language_code"), "user.language_code")
    return UserRef(id=_int(user.get("id"), "user.id"), name=name, language_code=language)


def _chat(chat: Mapping[str, Any]) -> ChatRef:
    group = chat.get("type") in GROUP_CHATS
    return ChatRef(
        id=_int(chat.get("id"), "chat.id"),
        kind=ChatKind.GROUP if group else ChatKind.PRIVATE,
        title=_str(chat.get("title"), "chat.title") or "",
        is_forum=bool(chat.get("is_forum")),
    )


def _sender_id(message: Mapping[str, Any]) -> int | None:
    sender = message.get("from")
    return sender.get("id") if isinstance(sender, Mapping) else None


def _unsupported(message: Mapping[str, Any]) -> Unsupported | None:
    for field, kind in UNSUPPORTED.items():
        if field in message:
            return kind
    if message.keys() - _ENVELOPE:
        # Something newer than this code knows of; a person sent it, so say what works.
        return Unsupported.OTHER
    return None


def _photos(message: Mapping[str, Any]) -> tuple[Photo, ...]:
    """The largest size of the photo. Each photo of an album arrives as its own message."""
    sizes = message.get("photo")
    live = message.get("live_photo")
    if not sizes and isinstance(live, Mapping):
        sizes = live.get("photo")
    if not sizes:
        return ()
    if not isinstance(sizes, list) or not all(isinstance(s, Mapping) for s in sizes):
        raise Unreadable("message.photo (not a list of sizes)")
    largest = max(sizes, key=lambda size: _area(size))
    file_id = _str(largest.get("file_id"), "message.photo.file_id")
    if not file_id:
        raise Unreadable("message.photo.file_id (missing)")
    return (Photo(file_id=file_id),)


def _area(size: Mapping[str, Any]) -> int:
    return _int(size.get("width"), "photo.width") * _int(size.get("height"), "photo.height")


def _thread(message: Mapping[str, Any]) -> int | None:
    """The forum topic, so that answers land in it; other threads are just replies."""
    if not message.get("is_topic_message"):
        return None
    thread = message.get("message_thread_id")
    return _int(thread, "message.message_thread_id") if thread is not None else None


def _replied_to(message: Mapping[str, Any]) -> Mapping[str, Any] | None:
    reply = message.get("reply_to_message")
    if reply is None:
        return None
    reply = _mapping(reply, "message.reply_to_message")
    # Inside a forum topic every message "replies" to the topic's opening note.
    if message.get("is_topic_message") and reply.get("forum_topic_created") is not None:
        return None
    return reply


def _mentions_bot(
    message: Mapping[str, Any], text: str, *, bot_id: int, bot_username: str | None
) -> bool:
    handle = f"@{bot_username}".lower() if bot_username else None
    entities = message.get("entities") or message.get("caption_entities") or ()
    if not isinstance(entities, list | tuple):
        raise Unreadable("message.entities (not a list)")
    for entity in entities:
        if not isinstance(entity, Mapping):
            continue
        kind = entity.get("type")
        if kind == "mention":
            mentioned = handle is not None and _entity_text(text, entity).lower() == handle
        elif kind == "text_mention":
            # A mention picked from the member list names the user, not the handle.
            user = entity.get("user")
            mentioned = isinstance(user, Mapping) and user.get("id") == bot_id
        else:
            mentioned = False
        if mentioned:
            return True
    return False


def _entity_text(text: str, entity: Mapping[str, Any]) -> str:
    """The part of `text` an entity covers. Offsets count UTF-16 units; a client may send
    offsets that split an emoji's surrogate pair: the broken half becomes U+FFFD instead of
    the message being dropped."""
    offset = _int(entity.get("offset"), "entity.offset")
    length = _int(entity.get("length"), "entity.length")
    units = text.encode("utf-16-le")
    return units[offset * 2 : (offset + length) * 2].decode("utf-16-le", errors="replace")


def _without_mention(text: str, bot_username: str) -> str:
    """ "@CourtyardBot when may I renovate?" reads as the question alone."""
    stripped = re.sub(rf"@{re.escape(bot_username)}\b", " ", text, flags=re.IGNORECASE)
    return re.sub(r"[ \t]{2,}", " ", stripped).strip()
