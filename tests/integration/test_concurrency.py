"""Two hands on one concern: optimistic locking, and what a conflict looks like to people and jobs."""
from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm.exc import StaleDataError

from handlers import committee, dispatch, jobs
from storage.models import AuditEntry, Concern, ScheduledJob
from tests.harness import texts_to

FIRST_DIGEST = datetime.fromisoformat("2026-03-03T08:30:00+08:00")


def report(h) -> None:
    result, _ = h.say("grid-1", "wang", "#报事 3栋门口路灯坏了")
    assert result.status == "done"


def digest_jobs(h) -> list[tuple[str, str]]:
    """(local due date, state) of every digest row, oldest first."""
    with h.app.sessions() as s:
        rows = s.scalars(select(ScheduledJob).where(ScheduledJob.kind == "digest").order_by(ScheduledJob.due_at))
        zone = h.app.config.settings.zone
        return [(r.due_at.astimezone(zone).strftime("%Y-%m-%d %H:%M"), r.state) for r in rows]


def digests(messages) -> list[str]:
    return [t for t in texts_to(messages, "coordinators") if t.startswith("📊")]


def test_the_second_of_two_overlapping_writes_to_a_concern_fails(h):
    report(h)
    first, second = h.app.sessions(), h.app.sessions()
    try:
        mine = first.get(Concern, 1)
        theirs = second.get(Concern, 1)
        assert mine.state == theirs.state == "reported"

        mine.state = "claimed"
        first.commit()

        theirs.state = "rejected"
        with pytest.raises(StaleDataError):
            second.commit()
        second.rollback()
    finally:
        first.close()
        second.close()

    with h.app.sessions() as s:
        concern = s.get(Concern, 1)
        assert concern.state == "claimed"
        assert concern.version == 2


def test_a_conflict_in_a_command_is_answered_and_leaves_the_concern_as_it_was(h, monkeypatch):
    report(h)

    def claim_then_lose_the_race(ctx, args):
        committee.claim(ctx, args)  # the change is made and messages queued ...
        raise StaleDataError("UPDATE statement on table 'concerns' expected to update 1 row(s); 0 were matched.")

    monkeypatch.setitem(dispatch.COMMANDS, "claim", claim_then_lose_the_race)
    result, sent = h.say("committee", "liu", "/claim 1")

    assert result.status == "refused"
    assert [m.to for m in sent] == ["committee"]  # ... but none of them is sent
    assert "刚刚有人同时处理了这件事" in sent[0].text and "/status" in sent[0].text
    with h.app.sessions() as s:
        concern = s.get(Concern, 1)
        assert (concern.state, concern.claimed_by_id, concern.claimed_at) == ("reported", None, None)
        assert [a.action for a in s.scalars(select(AuditEntry).order_by(AuditEntry.id))] == ["report"]

    monkeypatch.undo()  # once the race is over, the same command goes through
    result, _ = h.say("committee", "liu", "/claim 1")
    assert result.status == "done"


def test_a_job_that_meets_a_concurrent_change_stays_pending_and_runs_next_time(h, monkeypatch):
    real = jobs.JOBS["digest"]
    calls = []

    def digest_once_stale(ctx, job):
        calls.append(job.state)
        if len(calls) == 1:
            raise StaleDataError("concurrent change")
        return real(ctx, job)

    monkeypatch.setitem(jobs.JOBS, "digest", digest_once_stale)
    h.app.clock.set(FIRST_DIGEST)
    settings = h.app.config.settings

    jobs.run_due(h.app.sessions, settings, h.app.intake, h.now, limit=1)
    h.flush()
    assert calls == ["pending"]
    assert ("2026-03-03 08:30", "pending") in digest_jobs(h)
    assert digests(h.transport.sent) == []

    h.app.run_due()  # the next run
    h.flush()
    assert calls == ["pending", "pending"]
    assert ("2026-03-03 08:30", "done") in digest_jobs(h)
    sent = digests(h.transport.sent)
    assert len(sent) == 1 and "2026-03-03" in sent[0]


def test_a_failed_digest_does_not_stop_the_next_days_digest(h, monkeypatch):
    real = jobs.JOBS["digest"]
    calls = []

    def digest_broken_once(ctx, job):
        calls.append(job.due_at)
        if len(calls) == 1:
            raise RuntimeError("the digest broke")
        return real(ctx, job)

    monkeypatch.setitem(jobs.JOBS, "digest", digest_broken_once)
    first_day = h.advance(timedelta(days=1))  # to 2026-03-03 09:00
    assert len(calls) == 1
    assert digests(first_day) == []
    assert ("2026-03-03 08:30", "failed") in digest_jobs(h)
    with h.app.sessions() as s:
        failed = s.scalars(select(ScheduledJob).where(ScheduledJob.state == "failed")).one()
        assert "RuntimeError" in failed.result and "the digest broke" in failed.result
    assert ("2026-03-04 08:30", "pending") in digest_jobs(h)

    second_day = h.advance(timedelta(days=1))  # to 2026-03-04 09:00
    sent = digests(second_day)
    assert len(sent) == 1 and "2026-03-04" in sent[0]
    assert [m.to for m in second_day if m.text.startswith("📊")] == ["coordinators"]
    assert ("2026-03-04 08:30", "done") in digest_jobs(h)
