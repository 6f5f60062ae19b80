"""The outbox: messages written with the change they report, drained by senders.

Senders claim a few rows at a time with a lease (``locked_until``) committed before
sending, so any number of workers can drain one PostgreSQL database without sending a
row twice; a worker killed between sending and marking sent leaves its lease to expire
and the row is sent again (at-least-once: only the row whose send was under way when the
worker died can go twice, because each row is marked sent right after its own send).
"""
from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import func, insert, or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from ._upsert import insert_ignoring_conflict, skip_locked, supports_row_locks
from .models import MessageLink, OutboxMessage


def enqueue(session: Session, *, kind: str, text: str, now: datetime, platform: str, chat_id: int | None = None,
            person_id: int | None = None, concern_id: int | None = None,
            reply_to_external_id: str | None = None, buttons: Sequence[dict] = (),
            dedupe_key: str | None = None, payload: dict | None = None) -> int | None:
    """Add a message to send; with ``dedupe_key`` a second enqueue of the same key is ignored."""
    if (chat_id is None) == (person_id is None):
        raise ValueError("an outbox message goes to exactly one chat or one person")
    values = dict(kind=kind, platform=platform, text=text, chat_id=chat_id, person_id=person_id, concern_id=concern_id,
                  reply_to_external_id=reply_to_external_id, buttons=list(buttons), dedupe_key=dedupe_key,
                  payload=payload or {},
                  state="pending", attempts=0, last_error="", created_at=now, not_before=now)
    if dedupe_key is not None:
        return insert_ignoring_conflict(session, OutboxMessage.__table__, values, "dedupe_key")
    return session.execute(insert(OutboxMessage).values(**values).returning(OutboxMessage.id)).scalar_one()


def supersede_edits(session: Session, *, platform: str, chat_id: int, external_message_id: str,
                    now: datetime) -> int:
    """A newer edit of one sent message makes the waiting ones pointless: they are marked
    ``superseded`` (never sent), so a burst of supports edits a card once per send slot,
    not once per support. Rows a sender holds are left alone (they may be on the wire)."""
    table = OutboxMessage.__table__
    return session.execute(update(table).where(
        table.c.platform == platform, table.c.chat_id == chat_id, table.c.state == "pending",
        table.c.payload["edit"].as_string() == external_message_id,
        or_(table.c.locked_until.is_(None), table.c.locked_until <= now),
    ).values(state="superseded", locked_until=None)).rowcount


def claim(sessions: sessionmaker[Session], platform: str, now: datetime, *, limit: int = 5,
          lease: timedelta = timedelta(seconds=60)) -> list[OutboxMessage]:
    """Lease up to ``limit`` due rows to this worker, in their own committed transaction.

    PostgreSQL: ``SELECT … FOR UPDATE SKIP LOCKED`` then the lease, so claimers never wait
    for each other. SQLite: one ``UPDATE … RETURNING`` statement, which takes the database's
    write lock before it reads, so two processes sharing the file cannot lease the same row.
    """
    table = OutboxMessage.__table__
    due = (
        select(OutboxMessage.id)
        .where(OutboxMessage.platform == platform, OutboxMessage.state == "pending",
               OutboxMessage.not_before <= now,
               or_(OutboxMessage.locked_until.is_(None), OutboxMessage.locked_until <= now))
        .order_by(OutboxMessage.id)
        .limit(limit)
    )
    with sessions() as session, session.begin():
        if supports_row_locks(session):
            ids = list(session.scalars(due.with_for_update(**skip_locked(session))))
            if ids:
                session.execute(update(table).where(table.c.id.in_(ids))
                                .values(locked_until=now + lease, attempts=table.c.attempts + 1))
        else:
            ids = list(session.scalars(update(table).where(table.c.id.in_(due.scalar_subquery()))
                                       .values(locked_until=now + lease, attempts=table.c.attempts + 1)
                                       .returning(table.c.id)))
        if not ids:
            return []
        rows = list(session.scalars(select(OutboxMessage).where(OutboxMessage.id.in_(ids))
                                    .order_by(OutboxMessage.id)))
        session.expunge_all()
        return rows


def mark_sent(session: Session, message: OutboxMessage, now: datetime, external_message_id: str | None,
              chat_id: int | None) -> None:
    """Record delivery; a concern's message in a known chat is linked so replies thread to it.

    A row that carried ``{"card": which}`` is linked as ``card:which`` so it can be edited.
    """
    session.execute(update(OutboxMessage).where(OutboxMessage.id == message.id).values(
        state="sent", sent_at=now, locked_until=None, external_message_id=external_message_id))
    if message.concern_id is not None and chat_id is not None and external_message_id is not None:
        insert_ignoring_conflict(session, MessageLink.__table__, dict(
            chat_id=chat_id, external_message_id=external_message_id, concern_id=message.concern_id,
            kind=f"card:{message.payload['card']}" if (message.payload or {}).get("card") else "message"),
            ("chat_id", "external_message_id"))


def mark_retry(session: Session, message_id: int, not_before: datetime, error: str) -> None:
    session.execute(update(OutboxMessage).where(OutboxMessage.id == message_id).values(
        not_before=not_before, locked_until=None, last_error=error[:2000]))


def put_off(session: Session, message: OutboxMessage, until: datetime, now: datetime, *,
            same_recipient: bool = False) -> None:
    """Not sent, not tried: the row goes back unleased until ``until``, its claim not counted
    as an attempt. With ``same_recipient`` every other pending row for the same chat (or
    person) that no sender holds waits as long: they would only be put off one by one."""
    table = OutboxMessage.__table__
    session.execute(update(table).where(table.c.id == message.id).values(
        not_before=until, locked_until=None, attempts=table.c.attempts - 1))
    if same_recipient:
        recipient = (table.c.chat_id == message.chat_id if message.chat_id is not None
                     else table.c.person_id == message.person_id)
        session.execute(update(table).where(
            recipient, table.c.platform == message.platform, table.c.state == "pending",
            table.c.not_before < until, or_(table.c.locked_until.is_(None), table.c.locked_until <= now),
        ).values(not_before=until))


def mark_failed(session: Session, message_id: int, state: str, error: str) -> None:
    """Give up on a row: ``state`` is ``failed`` or ``unreachable``."""
    session.execute(update(OutboxMessage).where(OutboxMessage.id == message_id).values(
        state=state, locked_until=None, last_error=error[:2000]))


def pending_count(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(OutboxMessage).where(OutboxMessage.state == "pending")) or 0


def link(session: Session, *, chat_id: int, external_message_id: str, concern_id: int, kind: str,
         deliberation_id: int | None = None) -> None:
    """Remember that a platform message (a topic, a poll) belongs to a concern."""
    insert_ignoring_conflict(session, MessageLink.__table__, dict(
        chat_id=chat_id, external_message_id=external_message_id, concern_id=concern_id, kind=kind,
        deliberation_id=deliberation_id), ("chat_id", "external_message_id"))
