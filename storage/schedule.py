"""Timed work kept as rows: schedule idempotently, find what is due, mark it done."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from ._upsert import insert_ignoring_conflict, insert_many_ignoring_conflict, skip_locked, supports_row_locks
from .models import ScheduledJob


def schedule(session: Session, *, kind: str, due_at: datetime, dedupe_key: str, now: datetime,
             concern_id: int | None = None, payload: dict | None = None) -> bool:
    """Schedule a job once: a second call with the same ``dedupe_key`` changes nothing.

    Returns whether a new row was written.
    """
    values = dict(kind=kind, due_at=due_at, dedupe_key=dedupe_key, concern_id=concern_id,
                  payload=payload or {}, state="pending", created_at=now, result="")
    return insert_ignoring_conflict(session, ScheduledJob.__table__, values, "dedupe_key") is not None


def schedule_many(session: Session, jobs: list[dict], *, now: datetime) -> None:
    """Schedule several jobs in one statement; each dedupe key is written at most once.

    ``jobs``: dicts with ``kind``, ``due_at``, ``dedupe_key`` and optionally ``concern_id``
    and ``payload``.
    """
    rows = [{"concern_id": None, **job, "payload": job.get("payload") or {}, "state": "pending",
             "created_at": now, "result": ""} for job in jobs]
    insert_many_ignoring_conflict(session, ScheduledJob.__table__, rows, "dedupe_key")


def cancel(session: Session, *, concern_id: int, kinds: tuple[str, ...], now: datetime) -> None:
    """Cancel a concern's pending jobs of these kinds (e.g. a withdrawn concern's survey)."""
    session.execute(update(ScheduledJob).where(
        ScheduledJob.concern_id == concern_id, ScheduledJob.kind.in_(kinds), ScheduledJob.state == "pending"
    ).values(state="cancelled", done_at=now))


def next_due(session: Session, now: datetime) -> ScheduledJob | None:
    """The earliest due pending job, locked for this transaction (skipping rows others hold)."""
    stmt = (select(ScheduledJob).where(ScheduledJob.state == "pending", ScheduledJob.due_at <= now)
            .order_by(ScheduledJob.due_at, ScheduledJob.id).limit(1))
    if supports_row_locks(session):
        stmt = stmt.with_for_update(**skip_locked(session))
    return session.scalars(stmt).first()


def pending_due(session: Session, kind: str, now: datetime) -> list[ScheduledJob]:
    """Every due pending job of ``kind``, oldest first, locked (skipping rows others hold):
    a job that handles its kind in batches takes its siblings with it."""
    stmt = (select(ScheduledJob).where(ScheduledJob.kind == kind, ScheduledJob.state == "pending",
                                       ScheduledJob.due_at <= now).order_by(ScheduledJob.due_at, ScheduledJob.id))
    if supports_row_locks(session):
        stmt = stmt.with_for_update(**skip_locked(session))
    return list(session.scalars(stmt))


def earliest_pending_due(session: Session) -> datetime | None:
    stmt = select(ScheduledJob.due_at).where(ScheduledJob.state == "pending").order_by(ScheduledJob.due_at).limit(1)
    return session.scalars(stmt).first()


def finish(job: ScheduledJob, now: datetime, result: str = "") -> None:
    job.state = "done"
    job.done_at = now
    job.result = result[:2000]
