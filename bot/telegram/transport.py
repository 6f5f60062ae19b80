"""Sending outbox rows with python-telegram-bot, and what a send teaches the database.

Plain rows become ``sendMessage`` (quoting the message they answer, with the inline
keyboard); ``{"edit": id}`` rows edit a card in place; ``{"poll": id}`` rows send a native,
non-anonymous poll; ``{"stop_poll": id}`` rows stop it. In a forum supergroup a concern
that goes to deliberation gets its own topic, and its later messages go into that topic.
Telegram's errors are translated for ``bot.sender.record``.
"""
from __future__ import annotations

import asyncio
import warnings
from datetime import datetime, timedelta, timezone

from sqlalchemy.orm import Session, sessionmaker
from telegram import Bot, InputFile, ReplyParameters
from telegram.error import BadRequest, ChatMigrated, Forbidden, NetworkError, RetryAfter, TelegramError

from handlers.poll_limits import native_question
from storage import files, outbox, queries
from storage.models import Chat, Deliberation, OutboxMessage

from ..sender import Address, Rejected, RetryLater, Unreachable
from .keyboard import markup

MAX_TEXT = 4096
MAX_CAPTION = 1024
POLL_CLOSE_WINDOW = (timedelta(seconds=5), timedelta(seconds=600))  # what close_date accepts


class TelegramTransport:
    platform = "telegram"

    def __init__(self, bot: Bot, sessions: sessionmaker[Session]) -> None:
        self.bot = bot
        self.sessions = sessions

    async def send(self, row: OutboxMessage, address: Address) -> str | None:
        try:
            return await self._send(row, address)
        except RetryAfter as exc:
            with warnings.catch_warnings():  # PTB 22 warns that retry_after becomes a timedelta
                warnings.simplefilter("ignore")
                seconds = _seconds(exc.retry_after)
            raise RetryLater(seconds, f"429: {exc.message}") from exc
        except Forbidden as exc:
            raise Unreachable(exc.message) from exc
        except ChatMigrated as exc:
            await asyncio.to_thread(self._migrate, address.chat_id, exc.new_chat_id)
            raise RetryLater(0, f"chat moved to {exc.new_chat_id}") from exc
        except BadRequest as exc:
            if "not modified" in exc.message.lower():
                return (row.payload or {}).get("edit")
            if "chat not found" in exc.message.lower():
                raise Unreachable(exc.message) from exc
            raise Rejected(exc.message) from exc
        except NetworkError as exc:  # includes TimedOut and 5xx answers
            raise RetryLater(5, f"{type(exc).__name__}: {exc.message}") from exc
        except TelegramError as exc:
            raise RetryLater(30, f"{type(exc).__name__}: {exc.message}") from exc

    async def _send(self, row: OutboxMessage, address: Address) -> str | None:
        payload = row.payload or {}
        chat_id = int(address.external_id)
        if "edit" in payload:
            await self.bot.edit_message_text(chat_id=chat_id, message_id=int(payload["edit"]), text=row.text[:MAX_TEXT],
                                             reply_markup=markup(row.buttons, self.bot.username))
            return str(payload["edit"])
        if "stop_poll" in payload:
            return await self._stop_poll(row, address, chat_id, payload["stop_poll"])
        if "poll" in payload:
            return await self._poll(row, address, chat_id, payload["poll"])
        thread = await self._thread(row, address, chat_id, payload.get("topic"))
        reply = None
        if address.reply_to and address.reply_to.isdigit():
            reply = ReplyParameters(message_id=int(address.reply_to), allow_sending_without_reply=True)
        if "file" in payload:
            return await self._file(row, chat_id, payload["file"], reply, thread)
        message = await self.bot.send_message(chat_id=chat_id, text=row.text[:MAX_TEXT], reply_parameters=reply,
                                              reply_markup=markup(row.buttons, self.bot.username), message_thread_id=thread)
        return str(message.message_id)

    async def _file(self, row: OutboxMessage, chat_id: int, file_id: int, reply: ReplyParameters | None,
                    thread: int | None) -> str | None:
        """A ledger goes as a document, a chart as a photo; the row's text is the caption."""
        stored = await asyncio.to_thread(self._load_file, file_id)
        if stored is None:
            raise Rejected(f"file {file_id} is gone")
        name, media_type, content = stored
        upload = InputFile(content, filename=name)
        caption = row.text[:MAX_CAPTION]
        if media_type.startswith("image/"):
            message = await self.bot.send_photo(chat_id=chat_id, photo=upload, caption=caption,
                                                reply_parameters=reply, message_thread_id=thread)
        else:
            message = await self.bot.send_document(chat_id=chat_id, document=upload, caption=caption,
                                                   reply_parameters=reply, message_thread_id=thread)
        return str(message.message_id)

    def _load_file(self, file_id: int) -> tuple[str, str, bytes] | None:
        with self.sessions() as session:
            stored = files.load(session, file_id)
            return (stored.name, stored.media_type, stored.content) if stored else None

    async def _poll(self, row: OutboxMessage, address: Address, chat_id: int, deliberation_id: int) -> str | None:
        poll, options = await asyncio.to_thread(self._load_poll, deliberation_id)
        if poll is None or poll.state != "open":
            return None
        thread = await self._thread(row, address, chat_id, None)
        left = poll.closes_at - datetime.now(timezone.utc)
        close_date = poll.closes_at if POLL_CLOSE_WINDOW[0] <= left <= POLL_CLOSE_WINDOW[1] else None
        # the full question is in the card above; the poll's is shortened to what sendPoll accepts
        sent = await self.bot.send_poll(chat_id=chat_id, question=native_question(poll.concern_id, poll.question),
                                        options=[o[:100] for o in options], is_anonymous=False,
                                        allows_multiple_answers=poll.multiple, close_date=close_date,
                                        message_thread_id=thread)
        await asyncio.to_thread(self._remember_poll, poll.id, poll.concern_id, address.chat_id, sent.poll.id,
                                str(sent.message_id))
        return str(sent.message_id)

    async def _stop_poll(self, row: OutboxMessage, address: Address, chat_id: int, deliberation_id: int) -> str | None:
        message_id = await asyncio.to_thread(self._linked, address.chat_id, row.concern_id, "poll", deliberation_id)
        if message_id is None:
            return None
        try:
            await self.bot.stop_poll(chat_id=chat_id, message_id=int(message_id))
        except BadRequest as exc:
            if "already closed" not in exc.message.lower():
                raise
        return message_id

    async def _thread(self, row: OutboxMessage, address: Address, chat_id: int, topic: str | None) -> int | None:
        """The forum topic a concern's message goes to; a deliberation card opens one."""
        if address.chat_id is None or row.concern_id is None:
            return None
        forum, existing = await asyncio.to_thread(self._topic, address.chat_id, row.concern_id)
        if not forum:
            return None
        if existing is not None:
            return int(existing)
        if topic is None:
            return None
        created = await self.bot.create_forum_topic(chat_id=chat_id, name=topic[:128])
        await asyncio.to_thread(self._link, address.chat_id, str(created.message_thread_id), row.concern_id, "topic")
        return created.message_thread_id

    def _topic(self, chat_id: int, concern_id: int) -> tuple[bool, str | None]:
        with self.sessions() as session:
            chat = session.get(Chat, chat_id)
            if chat is None or not chat.forum:
                return False, None
            link = queries.link_of(session, chat_id, concern_id, "topic")
            return True, link.external_message_id if link else None

    def _linked(self, chat_id: int | None, concern_id: int | None, kind: str, deliberation_id: int) -> str | None:
        if chat_id is None or concern_id is None:
            return None
        with self.sessions() as session:
            link = queries.link_of(session, chat_id, concern_id, kind, deliberation_id)
            return link.external_message_id if link else None

    def _link(self, chat_id: int, message_id: str, concern_id: int, kind: str) -> None:
        with self.sessions() as session:
            outbox.link(session, chat_id=chat_id, external_message_id=message_id, concern_id=concern_id, kind=kind)
            session.commit()

    def _load_poll(self, deliberation_id: int) -> tuple[Deliberation | None, list[str]]:
        with self.sessions() as session:
            poll = session.get(Deliberation, deliberation_id)
            return poll, [o.text for o in poll.options] if poll else []

    def _remember_poll(self, deliberation_id: int, concern_id: int, chat_id: int, poll_id: str,
                       message_id: str) -> None:
        with self.sessions() as session:
            session.get(Deliberation, deliberation_id).external_poll_id = poll_id
            outbox.link(session, chat_id=chat_id, external_message_id=message_id, concern_id=concern_id,
                        kind="poll", deliberation_id=deliberation_id)
            session.commit()

    def _migrate(self, chat_id: int | None, new_id: int) -> None:
        if chat_id is None:
            return
        with self.sessions() as session:
            session.get(Chat, chat_id).external_id = str(new_id)
            session.commit()


def _seconds(value: int | float | timedelta) -> float:
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


