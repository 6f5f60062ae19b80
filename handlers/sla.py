"""Deadlines per size (SLA): first response and resolution, with reminders when overdue.

A new concern gets two timed rows: the response check (was it claimed in time?) and the
resolution check (was it resolved in time?). An overdue response goes to the committee and
the coordinators; an overdue resolution first reminds whoever carries it out, and a day later,
if still open, the coordinators. Sizing a concern again moves its deadlines; a reopened
concern gets a new resolution deadline from the reopening.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select

from storage import queries, schedule
from storage.models import Concern, ScheduledJob

from .context import Context, Word
from .lifecycle import OPEN

ESCALATE_AFTER = timedelta(days=1)
KINDS = ("sla_response", "sla_resolution")


def plan(ctx: Context, concern: Concern, *, new: bool = False) -> None:
    """(Re)schedule a concern's checks for its current size (``new``: just reported, so it
    has no checks yet to cancel)."""
    if not new:
        schedule.cancel(ctx.session, concern_id=concern.id, kinds=KINDS, now=ctx.now)
    sla = ctx.settings.sla[concern.size]
    start = concern.reopened_at or concern.created_at
    set_deadlines(concern, ctx.settings)
    checks = [("sla_resolution", start + sla.resolution)]
    if concern.first_response_at is None:
        checks.insert(0, ("sla_response", start + sla.response))
    schedule.schedule_many(ctx.session, [_job(ctx, concern, kind, due, stage=1) for kind, due in checks], now=ctx.now)


def set_deadlines(concern: Concern, settings) -> None:
    """The deadlines the figures compare against: the first answer counts from the report,
    the resolution from the report or the latest reopening."""
    sla = settings.sla[concern.size]
    concern.respond_by = concern.created_at + sla.response
    concern.resolve_by = (concern.reopened_at or concern.created_at) + sla.resolution


def fill_missing_deadlines(session, settings) -> int:
    """Deadlines for concerns stored before they were kept (run at start-up; cheap when none)."""
    missing = list(session.scalars(select(Concern).where(Concern.respond_by.is_(None))))
    for concern in missing:
        set_deadlines(concern, settings)
    return len(missing)


def _job(ctx: Context, concern: Concern, kind: str, due: datetime, *, stage: int) -> dict:
    key = f"{kind}:{concern.id}:{concern.size}:{concern.reopen_count}:{stage}:{due.isoformat()}"
    return dict(kind=kind, due_at=max(due, ctx.now), dedupe_key=key, concern_id=concern.id,
                payload={"stage": stage, "due": due.isoformat()})


def _at(ctx: Context, concern: Concern, kind: str, due: datetime, *, stage: int) -> None:
    schedule.schedule(ctx.session, now=ctx.now, **_job(ctx, concern, kind, due, stage=stage))


def response_job(ctx: Context, job: ScheduledJob) -> str:
    concern = ctx.session.get(Concern, job.concern_id)
    if concern is None or concern.first_response_at is not None or concern.state not in OPEN:
        return "answered in time"
    params = dict(number=concern.id, size=Word("size", concern.size),
                  limit=_span(ctx.settings.sla[concern.size].response))
    ctx.to_committee("sla.response_overdue", concern=concern, skip_chat=False, **params)
    ctx.to_coordinators("sla.response_overdue", concern=concern, **params)
    return "overdue: response"


def resolution_job(ctx: Context, job: ScheduledJob) -> str:
    concern = ctx.session.get(Concern, job.concern_id)
    if concern is None or concern.state not in OPEN:
        return "resolved in time"
    limit = _span(ctx.settings.sla[concern.size].resolution)
    carrier = _carrier(ctx, concern)
    if job.payload.get("stage", 1) == 1 and carrier is not None:
        ctx.to_person(carrier, "sla.resolution_overdue", concern=concern, number=concern.id, limit=limit)
        _at(ctx, concern, "sla_resolution", ctx.now + ESCALATE_AFTER, stage=2)
        return "overdue: reminded the carrier"
    assignment = queries.active_assignment(ctx.session, concern.id)
    who = (carrier.display_name if carrier else assignment.department if assignment and assignment.department
           else "—")
    ctx.to_coordinators("sla.escalated", concern=concern, number=concern.id, limit=limit, who=who,
                        state=Word("state", concern.state))
    return "overdue: coordinators told"


def _carrier(ctx: Context, concern: Concern):
    assignment = queries.active_assignment(ctx.session, concern.id)
    if assignment is not None and assignment.assignee is not None:
        return assignment.assignee
    return concern.claimed_by


def _span(delta: timedelta) -> str:
    hours = int(delta.total_seconds() // 3600)
    return f"{hours // 24}天" if hours >= 24 and hours % 24 == 0 else f"{hours}小时"
