"""When a platform refuses a message for good: never silent, and a deliberation never lost.

Called by the delivery core in the transaction that records the refusal (a 400 that will
not change on retry). A native poll that was refused falls back to voting by buttons and
``/vote`` in the same chat, and the member who opened it and the coordinators are told
why; a card whose edit was refused is posted again as a new message; a file that could not
be sent is reported to whoever asked for it and to the coordinators.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete
from sqlalchemy.orm import Session

from storage import outbox, queries
from storage.models import Deliberation, MessageLink, OutboxMessage, Person

from . import buttons
from .privacy import mask
from .tally import numbered
from .texts import render, resolve

FALLBACK_KINDS = ("delivery.poll_fallback", "delivery.card_resent", "delivery.failed")


def rejected(session: Session, row: OutboxMessage, reason: str, now: datetime, language: str) -> None:
    if row.kind in FALLBACK_KINDS:
        return  # a fallback refused in turn: logged, not chased in a loop
    payload = row.payload or {}
    reason = reason[:200]
    if "poll" in payload:
        _poll(session, row, payload["poll"], reason, now, language)
    elif "edit" in payload and row.chat_id is not None:
        # the card cannot be edited any more (deleted, too old): forget it and post it anew,
        # linked as that card, so the next change edits the new one instead of failing again
        session.execute(delete(MessageLink).where(MessageLink.chat_id == row.chat_id,
                                                  MessageLink.external_message_id == str(payload["edit"])))
        which = row.kind.split(".", 1)[1] if row.kind.startswith("card.") else None
        outbox.enqueue(session, kind="delivery.card_resent", text=row.text, now=now, platform=row.platform,
                       chat_id=row.chat_id, concern_id=row.concern_id, buttons=row.buttons,
                       payload={"card": which} if which else None)
    elif "file" in payload:
        _tell(session, row, language, now, "delivery.file_failed", reason=reason,
              name=row.text.split("\n", 1)[0][:80])


def _poll(session: Session, row: OutboxMessage, poll_id: int, reason: str, now: datetime, language: str) -> None:
    poll = session.get(Deliberation, poll_id)
    if poll is None or poll.state != "open" or row.chat_id is None:
        return
    rows = buttons.vote(poll.concern_id, [(o.position, o.text) for o in poll.options])
    text = render(language, "delivery.poll_fallback", number=poll.concern_id, question=poll.question,
                  options=numbered(poll))
    outbox.enqueue(session, kind="delivery.poll_fallback", text=mask(text), now=now, platform=row.platform,
                   chat_id=row.chat_id, concern_id=poll.concern_id,
                   buttons=[[{**b, "label": mask(resolve(language, b["label"]))} for b in r] for r in rows])
    _tell(session, row, language, now, "delivery.poll_failed", number=poll.concern_id, reason=reason,
          opener=session.get(Person, poll.opened_by_id))


def _tell(session: Session, row: OutboxMessage, language: str, now: datetime, key: str, *,
          opener: Person | None = None, **params: object) -> None:
    """The person concerned (who opened the poll, who asked for the file) and the coordinators."""
    person = opener or (session.get(Person, row.person_id) if row.person_id else None)
    if person is not None:
        platform = queries.reach_platform(session, person.id)
        if platform is not None:
            outbox.enqueue(session, kind="delivery.failed", text=mask(render(person.language, key, **params)),
                           now=now, platform=platform, person_id=person.id, concern_id=row.concern_id)
    chats = queries.chats_of_kind(session, "coordinators")
    for chat in chats:
        outbox.enqueue(session, kind="delivery.failed", text=render(language, key, **params), now=now,
                       platform=chat.platform, chat_id=chat.id, concern_id=row.concern_id)
    if not chats:
        for coordinator in queries.people_with_roles(session, ("coordinator",)):
            if person is not None and coordinator.id == person.id:
                continue
            platform = queries.reach_platform(session, coordinator.id)
            if platform is not None:
                outbox.enqueue(session, kind="delivery.failed", text=render(coordinator.language, key, **params),
                               now=now, platform=platform, person_id=coordinator.id, concern_id=row.concern_id)
