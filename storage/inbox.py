"""Incoming updates kept durably: stored before they are confirmed, marked when handled.

``store`` runs in its own short transaction (the adapter confirms the update to the
platform only after it returns); ``take`` runs inside the transaction of the command that
handles the update, so the command's effects and "handled" commit together. ``earlier``
finds a sender's updates stored before this one and not handled yet: with several
processes sharing the database, whoever handles an update handles those first.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from ._upsert import insert_ignoring_conflict
from .models import InboundUpdate

KEEP_HANDLED = timedelta(days=3)  # long enough for any redelivery; the payload is gone by then anyway


def store(session: Session, platform: str, external_id: str, payload: dict, now: datetime,
          sender: str | None = None) -> bool:
    """Keep an update; False when it was stored before (a redelivery after a restart)."""
    values = dict(platform=platform, external_id=external_id, payload=payload, received_at=now, handled_at=None,
                  sender=sender)
    return insert_ignoring_conflict(session, InboundUpdate.__table__, values, ("platform", "external_id")) is not None


def pending(session: Session, platform: str, limit: int = 10_000) -> list[InboundUpdate]:
    """Stored and not yet handled, oldest first: what a restart must process."""
    return list(session.scalars(select(InboundUpdate).where(
        InboundUpdate.platform == platform, InboundUpdate.handled_at.is_(None)).order_by(InboundUpdate.id).limit(limit)))


def earlier(session: Session, platform: str, sender: str, external_id: str) -> list[dict]:
    """Payloads of ``sender``'s updates stored before ``external_id`` and not handled, oldest first."""
    return list(session.scalars(_earlier(platform, sender, external_id).order_by(InboundUpdate.__table__.c.id)))


def behind(session: Session, platform: str, sender: str, external_id: str) -> bool:
    """Whether ``sender`` has an unhandled update stored before ``external_id``. Asked when it
    is stored: if not, none can appear later, and handling it needs no look back."""
    return session.scalar(_earlier(platform, sender, external_id).limit(1)) is not None


def _earlier(platform: str, sender: str, external_id: str):
    table = InboundUpdate.__table__
    this = select(table.c.id).where(table.c.platform == platform, table.c.external_id == external_id)
    return select(table.c.payload).where(table.c.platform == platform, table.c.sender == sender,
                                         table.c.handled_at.is_(None), table.c.id < this.scalar_subquery())


def take(session: Session, platform: str, external_id: str, now: datetime) -> bool:
    """Mark an update handled in the caller's transaction; False if it was handled already.

    An update that was never stored (replay, tests, a platform without an inbox) is taken.
    """
    table = InboundUpdate.__table__
    marked = session.execute(update(table).where(
        table.c.platform == platform, table.c.external_id == external_id, table.c.handled_at.is_(None))
        .values(handled_at=now, payload={})).rowcount
    if marked:
        return True
    return session.scalar(select(table.c.id).where(
        table.c.platform == platform, table.c.external_id == external_id)) is None


def prune(session: Session, now: datetime) -> int:
    """Forget handled updates older than ``KEEP_HANDLED``."""
    return session.execute(delete(InboundUpdate).where(
        InboundUpdate.handled_at.is_not(None), InboundUpdate.handled_at < now - KEEP_HANDLED)).rowcount
