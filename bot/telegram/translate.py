"""Telegram updates → the neutral ``Incoming`` messages the handlers understand."""
from __future__ import annotations

import unicodedata

from telegram import CallbackQuery, Message

from handlers.messages import Incoming

PLATFORM = "telegram"


def from_message(message: Message, bot_username: str, *, edited: bool = False) -> Incoming | None:
    """A resident's or member's message, or None when it is not for the bot at all.

    Commands addressed to another bot (``/status@otherbot``) and messages from bots are
    dropped; a message in a forum topic without an explicit reply counts as a reply to the
    topic (whose id is the id of the topic's first message).
    """
    user = message.from_user
    text = (message.text or message.caption or "").strip()
    media = bool(message.photo or message.document or message.voice or message.video or message.sticker)
    if user is None or user.is_bot or not (text or media):
        return None
    first = unicodedata.normalize("NFKC", text.split(maxsplit=1)[0]) if text else ""  # ／ and ＠ too
    if first.startswith("/") and "@" in first and first.split("@", 1)[1].lower() != bot_username.lower():
        return None  # a command for another bot is never ours, whatever the slash
    reply_to = None
    if message.reply_to_message is not None:
        reply_to = str(message.reply_to_message.message_id)
    elif message.is_topic_message and message.message_thread_id:
        reply_to = str(message.message_thread_id)
    return Incoming(platform=PLATFORM, chat_id=str(message.chat.id), sender_id=str(user.id),
                    sender_name=user.full_name, text=text, at=message.date, message_id=str(message.message_id),
                    reply_to_id=reply_to, private=message.chat.type == "private", language=user.language_code,
                    edited=edited, media=media)


def from_callback(query: CallbackQuery) -> Incoming | None:
    """A pressed inline button: its data is the command it stands for."""
    message = query.message
    if message is None or not query.data or not query.data.startswith("/"):
        return None
    user = query.from_user
    return Incoming(platform=PLATFORM, chat_id=str(message.chat.id), sender_id=str(user.id),
                    sender_name=user.full_name, text=query.data, at=message.date,
                    message_id=None, private=message.chat.type == "private", language=user.language_code,
                    via="button")


def vote_command(number: int, option_ids: list[int]) -> str:
    """A native poll answer as the text command; no options means the vote was retracted."""
    if not option_ids:
        return f"/vote {number} -"
    return f"/vote {number} " + ",".join(str(i + 1) for i in option_ids)
