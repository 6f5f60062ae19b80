"""From an outbox row to a ``Delivery``: everything an adapter needs, read in one session.

The row says where (a chat, or a person reached privately) and what (its payload: a card
to edit, a poll to open or stop, a file); this module resolves both from the database, so
the adapter only renders and sends.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from handlers.poll_limits import native_question
from handlers.privacy import mask
from storage import files, queries
from storage.models import Chat, Deliberation, Identity, OutboxMessage, Person

from .outgoing import Delivery, Edit, File, Outgoing, Poll, Rejected, StopPoll, Target, Text, Unreachable


@dataclass(frozen=True)
class Prepared:
    """``delivery`` to send; or None with ``error`` (give up) or without (nothing left to do)."""

    delivery: Delivery | None
    chat_id: int | None = None     # our id of the chat it goes to, when known
    error: Exception | None = None
    person_id: int | None = None   # who reads it, in a private chat


def prepare(session: Session, row: OutboxMessage) -> Prepared:
    target, chat = _target(session, row)
    if target is None:
        return Prepared(None, error=Unreachable("no identity on this platform"))
    chat_id = chat.id if chat is not None else None
    person_id = row.person_id if row.person_id is not None else (chat.person_id if chat is not None else None)
    if chat is not None and chat.unreachable_since is not None:
        return Prepared(None, chat_id, Unreachable("marked unreachable earlier"))
    try:
        message = _message(session, row, chat)
    except Rejected as error:
        return Prepared(None, chat_id, error)
    if message is None:
        return Prepared(None, chat_id)
    if not isinstance(message, (Edit, StopPoll)) and chat is not None and chat.forum and row.concern_id is not None:
        topic = queries.link_of(session, chat.id, row.concern_id, "topic")
        if topic is not None:
            target = dataclasses.replace(target, thread=topic.external_message_id)
    return Prepared(Delivery(row.id, row.kind, row.concern_id, target, message), chat_id, person_id=person_id)


def _target(session: Session, row: OutboxMessage) -> tuple[Target | None, Chat | None]:
    if row.chat_id is not None:
        chat = session.get(Chat, row.chat_id)
        owner = session.get(Person, chat.person_id) if chat.person_id else None
        label = "@" + owner.handle if owner else chat.key or chat.title or chat.external_id
        return Target(chat.external_id, label, chat.kind == "private", row.reply_to_external_id,
                      forum=chat.forum), chat
    identity = session.scalars(select(Identity).where(Identity.person_id == row.person_id,
                                                      Identity.platform == row.platform)).first()
    if identity is None:
        return None, None
    person = session.get(Person, row.person_id)
    chat = session.get(Chat, identity.private_chat_id) if identity.private_chat_id else None
    return Target(chat.external_id if chat else identity.external_id, "@" + person.handle, True), chat


def _message(session: Session, row: OutboxMessage, chat: Chat | None) -> Outgoing | None:
    payload = row.payload or {}
    buttons = tuple(tuple(r) for r in row.buttons or ())
    if "edit" in payload:
        return Edit(str(payload["edit"]), row.text, buttons)
    if "stop_poll" in payload:
        poll = session.get(Deliberation, payload["stop_poll"])
        link = (queries.link_of(session, chat.id, row.concern_id, "poll", poll.id)
                if poll is not None and chat is not None and row.concern_id is not None else None)
        return StopPoll(link.external_message_id, poll.closes_at) if link is not None else None
    if "poll" in payload:
        poll = session.get(Deliberation, payload["poll"])
        if poll is None or poll.state != "open":
            return None  # closed or cancelled before it could be sent
        # a poll goes to the committee, never the coordinators' own chat: numbers in it are masked
        return Poll(mask(native_question(poll.concern_id, poll.question)),
                    tuple(mask(o.text) for o in poll.options), poll.multiple, poll.closes_at)
    if "file" in payload:
        stored = files.load(session, payload["file"])
        if stored is None:
            raise Rejected(f"file {payload['file']} is gone")
        return File(stored.name, stored.media_type, stored.content, row.text)
    return Text(row.text, buttons, payload.get("topic"))
