"""Typed deliveries → Bot API calls with python-telegram-bot; Telegram's answers → receipts.

A ``Text`` becomes ``sendMessage`` (quoting the message it answers, with the inline
keyboard; in a forum supergroup it goes to the concern's topic, and a deliberation card
opens one); an ``Edit`` edits a card in place; a ``Poll`` is a native, non-anonymous poll;
a ``StopPoll`` stops it; a ``File`` is a document, or a photo for images. Telegram's errors
become the delivery core's RetryLater / Unreachable / Rejected / Moved. No database here:
the core prepared everything and stores the receipt.
"""
from __future__ import annotations

import warnings
from datetime import datetime, timedelta, timezone

from telegram import Bot, InputFile, ReplyParameters
from telegram.error import BadRequest, ChatMigrated, Forbidden, NetworkError, RetryAfter, TelegramError

from ..delivery import Delivery, Edit, File, Moved, Poll, Receipt, Rejected, RetryLater, StopPoll, Target, Text, Unreachable
from ..delivery.pacing import Limits
from .keyboard import markup

MAX_TEXT = 4096
MAX_CAPTION = 1024
MAX_OPTION = 100
POLL_CLOSE_WINDOW = (timedelta(seconds=5), timedelta(seconds=600))  # what close_date accepts


class TelegramTransport:
    """``limits``: Telegram's rate limits (``pacing.TELEGRAM``) for the core to keep together
    with every other sender; None sends as fast as the bot goes (tests, the sandbox)."""

    platform = "telegram"

    def __init__(self, bot: Bot, limits: Limits | None = None) -> None:
        self.bot = bot
        self.limits = limits

    async def send(self, delivery: Delivery) -> Receipt:
        opened: list[str] = []  # a forum topic this attempt opened, kept even if the send then fails
        try:
            return await self._send(delivery.message, delivery.target, delivery.concern_id, opened)
        except TelegramError as exc:
            outcome = _translate(exc, delivery)
            if isinstance(outcome, Receipt):
                return outcome
            outcome.partial = Receipt(topic_id=opened[0]) if opened else None  # the core stores it
            raise outcome from exc

    async def _send(self, message, target: Target, concern_id: int | None, opened: list[str]) -> Receipt:
        chat_id = int(target.external_id)
        if isinstance(message, Edit):
            await self.bot.edit_message_text(chat_id=chat_id, message_id=int(message.message_id),
                                             text=message.text[:MAX_TEXT],
                                             reply_markup=markup(message.buttons, self.bot.username))
            return Receipt(message.message_id)
        if isinstance(message, StopPoll):
            await self.bot.stop_poll(chat_id=chat_id, message_id=int(message.message_id))
            return Receipt(message.message_id)
        thread = int(target.thread) if target.thread else None
        if isinstance(message, Poll):
            left = message.closes_at - datetime.now(timezone.utc)
            close_date = message.closes_at if POLL_CLOSE_WINDOW[0] <= left <= POLL_CLOSE_WINDOW[1] else None
            sent = await self.bot.send_poll(chat_id=chat_id, question=message.question,
                                            options=[o[:MAX_OPTION] for o in message.options], is_anonymous=False,
                                            allows_multiple_answers=message.multiple, close_date=close_date,
                                            message_thread_id=thread)
            return Receipt(str(sent.message_id), poll_id=sent.poll.id)
        reply = None
        if target.reply_to and target.reply_to.isdigit():
            reply = ReplyParameters(message_id=int(target.reply_to), allow_sending_without_reply=True)
        if isinstance(message, File):
            upload, caption = InputFile(message.content, filename=message.name), message.caption[:MAX_CAPTION]
            if message.media_type.startswith("image/"):
                sent = await self.bot.send_photo(chat_id=chat_id, photo=upload, caption=caption,
                                                 reply_parameters=reply, message_thread_id=thread)
            else:
                sent = await self.bot.send_document(chat_id=chat_id, document=upload, caption=caption,
                                                    reply_parameters=reply, message_thread_id=thread)
            return Receipt(str(sent.message_id))
        assert isinstance(message, Text)
        topic = None
        if thread is None and message.open_topic and concern_id is not None and target.forum:
            created = await self.bot.create_forum_topic(chat_id=chat_id, name=message.open_topic[:128])
            thread, topic = created.message_thread_id, str(created.message_thread_id)
            opened.append(topic)
        sent = await self.bot.send_message(chat_id=chat_id, text=message.text[:MAX_TEXT], reply_parameters=reply,
                                           reply_markup=markup(message.buttons, self.bot.username),
                                           message_thread_id=thread)
        return Receipt(str(sent.message_id), topic_id=topic)


def _translate(exc: TelegramError, delivery: Delivery) -> Exception | Receipt:
    """Telegram's error as the delivery core's, or a Receipt when Telegram says it is done
    already (an unchanged edit, a poll it closed itself)."""
    if isinstance(exc, RetryAfter):
        with warnings.catch_warnings():  # PTB 22 warns that retry_after becomes a timedelta
            warnings.simplefilter("ignore")
            return RetryLater(_seconds(exc.retry_after), f"429: {exc.message}", throttled=True)
    if isinstance(exc, Forbidden):
        return Unreachable(exc.message)
    if isinstance(exc, ChatMigrated):
        return Moved(str(exc.new_chat_id))
    if isinstance(exc, BadRequest):
        message = exc.message.lower()
        if "not modified" in message and isinstance(delivery.message, Edit):
            return Receipt(delivery.message.message_id)
        if "already closed" in message and isinstance(delivery.message, StopPoll):
            return Receipt(delivery.message.message_id)
        if "chat not found" in message:
            return Unreachable(exc.message)
        return Rejected(exc.message)
    if isinstance(exc, NetworkError):  # includes TimedOut and 5xx answers
        return RetryLater(5, f"{type(exc).__name__}: {exc.message}")
    return RetryLater(30, f"{type(exc).__name__}: {exc.message}")


def _seconds(value: int | float | timedelta) -> float:
    return value.total_seconds() if isinstance(value, timedelta) else float(value)
