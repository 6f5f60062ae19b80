"""Timed work: the table of job kinds, and running what is due.

Each due ``scheduled_jobs`` row is run in its own transaction together with the state
changes and outbox messages it causes, then marked done; on PostgreSQL the row is locked
with SKIP LOCKED so two tickers never run the same job. The job runs in a savepoint: if it
fails, its work is undone but the row stays locked while it is marked failed, so another
ticker cannot run it a second time in between.
"""
from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.orm.exc import StaleDataError

from storage import schedule
from storage.models import ScheduledJob

from . import cards, deliberation, digest, learning, ledger_job, notice, second_opinion, sla, surveys, weekly
from .capabilities import TEXT_ONLY, Capabilities
from .nlp.pipeline import Intake
from .context import Context, Word
from .settings import Settings

log = logging.getLogger(__name__)

JobHandler = Callable[[Context, ScheduledJob], str]
JOBS: dict[str, JobHandler] = {
    "poll_close": deliberation.poll_close_job,
    "poll_reminder": deliberation.poll_reminder_job,
    "survey_send": surveys.send_job,
    "survey_reminder": surveys.reminder_job,
    "survey_close": surveys.close_job,
    "digest": digest.digest_job,
    "weekly": weekly.weekly_job,
    "members_monthly": weekly.members_job,
    "notice_end": notice.notice_end_job,
    "review": notice.review_job,
    "sla_response": sla.response_job,
    "sla_resolution": sla.resolution_job,
    "grid_notice": surveys.grid_notice_job,  # held notices of anonymous concerns, batched per grid
    "ledger": ledger_job.job,  # the Excel ledger asked for with /export
    "llm_review": second_opinion.review_job,  # a large model's second opinion, asked before the tick
    "retrain": learning.retrain_job,  # intake retrained from corrections, asked for with /重新学习
}


def run_due(sessions: sessionmaker[Session], settings: Settings, intake: Intake, now: datetime,
            limit: int = 200, caps: Capabilities = TEXT_ONLY) -> int:
    """Run every job due at ``now`` (up to ``limit``), oldest first; return how many ran."""
    with sessions() as session:  # a digest that failed yesterday must not stop today's
        digest.ensure_scheduled(session, settings, now)
        learning.ensure_nightly(session, settings, now)
        session.commit()
    ran = 0
    while ran < limit:
        with sessions() as session:
            job = schedule.next_due(session, now)
            if job is None:
                return ran
            job_id, kind = job.id, job.kind
            ctx = Context(session=session, settings=settings, intake=intake, now=now, caps=caps)
            try:
                with session.begin_nested():  # a failure undoes the job's work, not the row's lock
                    result = JOBS[kind](ctx, job)
                    schedule.finish(job, now, result)
                    cards.refresh(ctx)
                session.commit()
            except StaleDataError:  # a command changed the same concern meanwhile: run it again
                session.rollback()
                log.info("scheduled job %s (%s) met a concurrent change; retrying", job_id, kind)
            except Exception as exc:  # a broken job must not block the ones behind it
                # still locked: no other ticker can take it (and run it again) while it is marked
                log.exception("scheduled job %s (%s) failed", job_id, kind)
                concern_id = session.scalar(select(ScheduledJob.concern_id).where(ScheduledJob.id == job_id))
                session.execute(update(ScheduledJob).where(ScheduledJob.id == job_id).values(
                    state="failed", done_at=now, result=f"{type(exc).__name__}: {exc}"[:2000]))
                # whoever runs the process reads the log; the coordinators must hear of it too
                ctx = Context(session=session, settings=settings, intake=intake, now=now)
                ctx.to_coordinators("job.failed", job=Word("job", kind),
                                    number=f"#{concern_id}" if concern_id else "—")
                session.commit()
        ran += 1
    return ran
