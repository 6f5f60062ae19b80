"""Draining the outbox through a platform's transport.

A row is leased (committed), sent, then marked sent with the platform's message id. A
transport says how a send failed: ``RetryLater`` (429, 5xx, timeouts) puts the row back
after a delay, ``Unreachable`` (the bot was blocked or removed) gives up on that recipient
and remembers it for the coordinators, ``Rejected`` (the platform refuses this message for
good) fails the row; any other error is retried a few times, then the row fails.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from storage import outbox
from storage.models import Chat, Identity, OutboxMessage, Person

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 8


class RetryLater(Exception):
    def __init__(self, seconds: float, reason: str = "") -> None:
        super().__init__(reason or f"retry after {seconds}s")
        self.seconds = seconds


class Unreachable(Exception):
    """The recipient cannot be reached on this platform (blocked, kicked, never started)."""


class Rejected(Exception):
    """The platform refuses this message for good (malformed, too long, chat gone)."""


@dataclass(frozen=True)
class Address:
    """Where a row goes on the platform: a chat id, or a person's private chat / user id."""

    external_id: str
    label: str
    chat_id: int | None
    person_id: int | None = None
    reply_to: str | None = None
    unreachable: bool = False  # the platform told us before: do not knock again


class Transport(Protocol):
    platform: str

    def send(self, message: OutboxMessage, address: Address) -> str | None:
        """Deliver and return the platform's message id."""


def resolve(session: Session, message: OutboxMessage) -> Address | None:
    if message.chat_id is not None:
        chat = session.get(Chat, message.chat_id)
        owner = session.get(Person, chat.person_id) if chat.person_id else None
        label = "@" + owner.handle if owner else chat.key or chat.title or chat.external_id
        return Address(chat.external_id, label, chat.id, reply_to=message.reply_to_external_id,
                       unreachable=chat.unreachable_since is not None)
    identity = session.scalars(select(Identity).where(Identity.person_id == message.person_id,
                                                      Identity.platform == message.platform)).first()
    if identity is None:
        return None
    person = session.get(Person, message.person_id)
    chat = session.get(Chat, identity.private_chat_id) if identity.private_chat_id else None
    return Address(chat.external_id if chat else identity.external_id, "@" + person.handle,
                   chat.id if chat else None, person.id,
                   unreachable=chat is not None and chat.unreachable_since is not None)


def address_of(sessions: sessionmaker[Session], row: OutboxMessage) -> Address | None:
    with sessions() as session:
        return resolve(session, row)


def record(sessions: sessionmaker[Session], row: OutboxMessage, address: Address | None, now: datetime,
           external_id: str | None = None, error: BaseException | None = None) -> int:
    """Write what became of one send attempt; return 1 if the row was sent."""
    with sessions() as session:
        if address is None:
            outbox.mark_failed(session, row.id, "unreachable", "no identity on this platform")
        elif error is None:
            outbox.mark_sent(session, row, now, external_id, address.chat_id)
        elif isinstance(error, Unreachable):
            log.warning("outbox %s: %s unreachable: %s", row.id, address.label, error)
            outbox.mark_failed(session, row.id, "unreachable", str(error))
            if address.chat_id is not None:
                chat = session.get(Chat, address.chat_id)
                chat.unreachable_since = chat.unreachable_since or now
        elif isinstance(error, Rejected):
            log.error("outbox %s: %s refused the message: %s", row.id, address.label, error)
            outbox.mark_failed(session, row.id, "failed", str(error))
        else:
            delay = error.seconds if isinstance(error, RetryLater) else 30
            text = str(error) if isinstance(error, RetryLater) else f"{type(error).__name__}: {error}"
            if row.attempts >= MAX_ATTEMPTS:
                outbox.mark_failed(session, row.id, "failed", f"gave up after {row.attempts} attempts: {text}")
            else:
                outbox.mark_retry(session, row.id, now + timedelta(seconds=delay), text)
        session.commit()
    return 1 if address is not None and error is None else 0


def drain(sessions: sessionmaker[Session], transport: Transport, now: datetime, *, batch: int = 5,
          limit: int = 10_000) -> int:
    """Send due rows for this transport's platform until none is left; return how many were sent."""
    sent = 0
    while sent < limit:
        rows = outbox.claim(sessions, transport.platform, now, limit=batch)
        if not rows:
            return sent
        for row in rows:
            sent += deliver(sessions, transport, row, now)
    return sent


def deliver(sessions: sessionmaker[Session], transport: Transport, row: OutboxMessage, now: datetime) -> int:
    address = address_of(sessions, row)
    if address is None:
        return record(sessions, row, None, now)
    if address.unreachable:
        return record(sessions, row, address, now, error=Unreachable("marked unreachable earlier"))
    try:
        external_id = transport.send(row, address)
    except (RetryLater, Unreachable, Rejected) as exc:
        return record(sessions, row, address, now, error=exc)
    except Exception as exc:  # an unexpected platform error: keep the row, try again later
        log.exception("outbox %s: sending to %s failed", row.id, address.label)
        return record(sessions, row, address, now, error=exc)
    return record(sessions, row, address, now, external_id)
