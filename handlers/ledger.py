"""The ledger (台账): every concern with its fields, timestamps, outcome and source messages.

Personal numbers are masked in every free-text field (the report, its place, the plan, the
folded messages) and anonymous reporters are left blank, so the ledger can be handed to
anyone; ``hide_reporters`` blanks every reporter's identity.
"""
from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from storage.models import CategoryCorrection, Chat, Concern, Outcome, Person, SourceMessage, Support

from .privacy import mask

FIELDS = ("number", "grid", "category", "size", "state", "location", "reporter", "anonymous", "supports",
          "created_at", "first_response_at", "claimed_at", "decided_at", "resolved_at", "closed_at",
          "reopen_count", "outcome", "text", "sources")


def rows(session: Session, zone: ZoneInfo, *, hide_reporters: bool = False) -> list[dict]:
    supports = dict(session.execute(select(Support.concern_id, func.count()).group_by(Support.concern_id)).all())
    latest = select(Outcome.concern_id, func.max(Outcome.id).label("id")).group_by(Outcome.concern_id).subquery()
    plans = dict(session.execute(select(Outcome.concern_id, Outcome.plan).join(latest, latest.c.id == Outcome.id)).all())
    sources: dict[int, list[dict]] = {}
    stmt = (select(SourceMessage, Person.handle, Chat.key, Concern.anonymous, Concern.reporter_id)
            .join(Person, Person.id == SourceMessage.person_id).outerjoin(Chat, Chat.id == SourceMessage.chat_id)
            .join(Concern, Concern.id == SourceMessage.concern_id).order_by(SourceMessage.id))
    for source, handle, chat_key, anonymous, reporter_id in session.execute(stmt):
        hidden = hide_reporters or (anonymous and source.person_id == reporter_id)
        sources.setdefault(source.concern_id, []).append({
            "kind": source.kind, "chat": "" if hidden else (chat_key or "private"),
            "sender": "" if hidden else handle, "event_id": source.event_id or "",
            "text": mask(source.text), "at": _iso(source.at, zone)})
    out = []
    concerns = session.scalars(select(Concern).options(selectinload(Concern.grid), selectinload(Concern.reporter))
                               .order_by(Concern.id))
    for c in concerns:
        out.append({
            "number": c.id, "grid": c.grid.key, "category": c.category, "size": c.size, "state": c.state,
            "location": mask(c.location or ""),
            "reporter": "" if (c.anonymous or hide_reporters) else c.reporter.handle,
            "anonymous": c.anonymous, "supports": supports.get(c.id, 0),
            "created_at": _iso(c.created_at, zone), "first_response_at": _iso(c.first_response_at, zone),
            "claimed_at": _iso(c.claimed_at, zone), "decided_at": _iso(c.decided_at, zone),
            "resolved_at": _iso(c.resolved_at, zone), "closed_at": _iso(c.closed_at, zone),
            "reopen_count": c.reopen_count, "outcome": mask(plans.get(c.id, "")), "text": mask(c.text),
            "sources": sources.get(c.id, []),
        })
    return out


def _iso(at: datetime | None, zone: ZoneInfo) -> str:
    return at.astimezone(zone).isoformat() if at else ""


def corrections(session: Session) -> list[dict]:
    """Members' category corrections as training data: masked text, right category, what intake said."""
    rows = session.scalars(select(CategoryCorrection).order_by(CategoryCorrection.id))
    return [{"text": mask(c.text), "category": c.after, "was": c.before, "concern": c.concern_id}
            for c in rows]
