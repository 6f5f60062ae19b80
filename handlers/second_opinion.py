"""A large model's second opinion on a report, for communities that run one (``[intake.llm]``).

Intake never waits for it: the report is read by the local classifier, recorded and
answered at once, and an ``llm_review`` job is scheduled with it. Before each tick's jobs
run, ``ask`` puts the question to the model *outside any transaction* (a slow or dead model
holds no lock and no connection) and stores the answer, or that there was none, in the job's
payload. The job then applies it in its own transaction like any other job:

* a member who already re-categorised or sized the concern has the last word: nothing changes;
* a different category is taken (the card follows; the committee is told why);
* urgent is taken, with the coordinators alerted and told the model's reason; the model never
  takes urgency away (doubt leans urgent), and big or small follows it otherwise;
* no answer (timeout, refusal, nonsense): the local reading stands; the adapter has logged why.
"""
from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from sqlalchemy import exists, select
from sqlalchemy.orm import Session, sessionmaker

from storage import schedule
from storage.models import AuditEntry, Concern, ScheduledJob

from . import sla
from .context import Context, concern_params
from .lifecycle import OPEN

KIND = "llm_review"
SIZES = ("small", "big", "urgent")


class Verdict(Protocol):
    category: str
    size: str
    reason: str


class Judge(Protocol):
    def judge(self, text: str, categories: Sequence[str]) -> Verdict | None: ...


def request(ctx: Context, concern: Concern) -> None:
    """Ask for a second opinion on a new concern (when the community has a model)."""
    if ctx.intake.judge is not None:
        schedule.schedule(ctx.session, kind=KIND, due_at=ctx.now, dedupe_key=f"{KIND}:{concern.id}",
                          now=ctx.now, concern_id=concern.id)


def ask(sessions: sessionmaker[Session], judge: Judge | None, categories: Sequence[str], now: datetime,
        limit: int = 20) -> int:
    """Put the due questions to the model, each answer stored in its job; returns how many were asked."""
    if judge is None:
        return 0
    with sessions() as session:
        due = session.execute(
            select(ScheduledJob.id, ScheduledJob.payload, Concern.text).join(Concern, Concern.id == ScheduledJob.concern_id)
            .where(ScheduledJob.kind == KIND, ScheduledJob.state == "pending", ScheduledJob.due_at <= now)
            .order_by(ScheduledJob.id).limit(limit)).all()
    asked = 0
    for job_id, payload, text in due:
        if (payload or {}).get("asked"):
            continue
        verdict = judge.judge(text, categories)  # bounded by the adapter's timeout; no transaction open
        answer = None if verdict is None else {"category": verdict.category, "size": verdict.size,
                                                "reason": verdict.reason}
        with sessions() as session:
            job = session.get(ScheduledJob, job_id)
            if job is not None and job.state == "pending":
                job.payload = {**(job.payload or {}), "asked": True, "verdict": answer}
                session.commit()
        asked += 1
    return asked


def review_job(ctx: Context, job: ScheduledJob) -> str:
    """Apply the stored second opinion to the concern (see the module's rules)."""
    payload = job.payload or {}
    concern = ctx.session.get(Concern, job.concern_id) if job.concern_id else None
    if concern is None or concern.state not in {s.value for s in OPEN}:
        return "concern gone or closed"
    if not payload.get("asked"):
        return "not asked (no model configured in the process that ran it)"
    verdict = payload.get("verdict")
    if not verdict:
        return "no answer: the local reading stands"
    member_said = ctx.session.scalar(select(exists().where(  # /分类 or /定级, even one that changed nothing
        AuditEntry.concern_id == concern.id, AuditEntry.action.in_(("category", "size")),
        AuditEntry.actor_id.is_not(None))))
    if member_said or concern.size_confirmed:
        return "a member decided already"
    category, size, reason = verdict["category"], verdict["size"], verdict["reason"]
    changed = []
    if category != concern.category and category in ctx.intake.categories:
        before, concern.category = concern.category, category
        ctx.audit(concern, "category", concern.state, concern.state, before=before, after=category, by="llm",
                  reason=reason)
        ctx.to_committee("llm.recategorised", concern=concern, before=before, reason=reason,
                         **concern_params(concern))
        changed.append(f"category {before} → {category}")
    if size in SIZES and size != concern.size and concern.size != "urgent":
        before, concern.size = concern.size, size
        sla.plan(ctx, concern)
        ctx.audit(concern, "size", concern.state, concern.state, before=before, after=size, by="llm", reason=reason)
        if size == "urgent":
            ctx.to_coordinators("llm.urgent_alert", concern=concern, reason=reason, **concern_params(concern))
        changed.append(f"size {before} → {size}")
    if changed:
        concern.updated_at = ctx.now
        ctx.touch(concern)
    return "; ".join(changed) or "agrees with the local reading"

