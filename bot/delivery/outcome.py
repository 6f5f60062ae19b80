"""What became of one send, written in one transaction: sent with its receipt, or why not.

``RetryLater`` puts the row back after a delay (after a 429, ``retry_after``, however often
Telegram says it: such a row is never given up), ``Moved`` records the chat's new id and
sends again at once, ``Unreachable`` gives up on that recipient and remembers it for the
coordinators (the digest lists it), ``Rejected`` fails the row and lets
``handlers.delivery_faults`` fall back or tell who needs to know; any other error is retried
a few times, then the row fails.
"""
from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from handlers import delivery_faults
from storage import menus, outbox
from storage.models import Chat, Deliberation, OutboxMessage

from .outgoing import Moved, Receipt, Rejected, RetryLater, Unreachable

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 8


def record(session: Session, row: OutboxMessage, chat_id: int | None, now: datetime,
           receipt: Receipt | None = None, error: BaseException | None = None, *,
           person_id: int | None = None, language: str = "zh") -> int:
    """Store the outcome of one attempt (the caller commits); 1 if the row was delivered."""
    if error is None:
        _store_receipt(session, row, chat_id, receipt or Receipt())
        if receipt is not None and receipt.menu and person_id is not None:
            menus.remember(session, person_id, row.platform, list(receipt.menu), now)
        outbox.mark_sent(session, row, now, receipt.message_id if receipt else None, chat_id)
        return 1
    partial = getattr(error, "partial", None)
    if isinstance(partial, Receipt) and partial.topic_id is not None:
        _store_receipt(session, row, chat_id, Receipt(topic_id=partial.topic_id))  # the retry reuses the topic
    if isinstance(error, Unreachable):
        log.warning("outbox %s: recipient unreachable: %s", row.id, error)
        outbox.mark_failed(session, row.id, "unreachable", str(error))
        if chat_id is not None:
            chat = session.get(Chat, chat_id)
            chat.unreachable_since = chat.unreachable_since or now
    elif isinstance(error, Moved):
        if chat_id is not None:
            session.get(Chat, chat_id).external_id = error.new_external_id
        outbox.mark_retry(session, row.id, now, str(error))
    elif isinstance(error, Rejected):
        log.error("outbox %s: the platform refused the message: %s", row.id, error)
        outbox.mark_failed(session, row.id, "failed", str(error))
        delivery_faults.rejected(session, row, str(error), now, language)  # never silent
    elif isinstance(error, RetryLater) and error.throttled:  # 429: as often as it takes, never given up
        outbox.mark_retry(session, row.id, now + timedelta(seconds=error.seconds), str(error))
    else:
        delay = error.seconds if isinstance(error, RetryLater) else 30
        text = str(error) if isinstance(error, RetryLater) else f"{type(error).__name__}: {error}"
        if row.attempts >= MAX_ATTEMPTS:
            outbox.mark_failed(session, row.id, "failed", f"gave up after {row.attempts} attempts: {text}")
        else:
            outbox.mark_retry(session, row.id, now + timedelta(seconds=delay), text)
    return 0


def _store_receipt(session: Session, row: OutboxMessage, chat_id: int | None, receipt: Receipt) -> None:
    """A poll's id (its votes arrive under it) and a forum topic, linked to the concern."""
    if chat_id is None or row.concern_id is None:
        return
    payload = row.payload or {}
    if receipt.topic_id is not None:
        outbox.link(session, chat_id=chat_id, external_message_id=receipt.topic_id, concern_id=row.concern_id,
                    kind="topic")
    if receipt.poll_id is not None and "poll" in payload:
        poll = session.get(Deliberation, payload["poll"])
        if poll is not None:
            poll.external_poll_id = receipt.poll_id
        if receipt.message_id is not None:  # before mark_sent, which would link it as a plain message
            outbox.link(session, chat_id=chat_id, external_message_id=receipt.message_id,
                        concern_id=row.concern_id, kind="poll", deliberation_id=payload["poll"])
