"""Timed work kept as rows: idempotent scheduling, running what is due, the daily digest,
and catching up after the bot was down (a second app on the same database)."""
from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select

from bot.bootstrap import bootstrap
from handlers import jobs
from handlers.clock import SimulatedClock
from storage import outbox, schedule
from storage.models import Chat, OutboxMessage, ScheduledJob

from ..conftest import START
from ..harness import Harness, texts_to

TUESDAY_0830 = datetime.fromisoformat("2026-03-03T08:30:00+08:00")


def all_jobs(app, kind: str | None = None) -> list[ScheduledJob]:
    with app.sessions() as session:
        stmt = select(ScheduledJob).order_by(ScheduledJob.id)
        if kind is not None:
            stmt = stmt.where(ScheduledJob.kind == kind)
        return list(session.scalars(stmt))


def add_job(app, key: str, due_at: datetime, kind: str = "test_job", **payload) -> bool:
    with app.sessions() as session:
        written = schedule.schedule(session, kind=kind, due_at=due_at, dedupe_key=key, now=app.clock.now(),
                                    payload={"key": key, **payload})
        session.commit()
        return written


@pytest.fixture
def ran(monkeypatch) -> list[str]:
    """Register two temporary job kinds: ``test_job`` records its key, ``test_broken`` first
    writes an outbox message, then raises."""
    keys: list[str] = []

    def test_job(ctx, job):
        keys.append(job.payload["key"])
        return f"ran {job.payload['key']}"

    def test_broken(ctx, job):
        keys.append(job.payload["key"])
        chat = ctx.session.scalars(select(Chat).where(Chat.key == "coordinators")).first()
        outbox.enqueue(ctx.session, kind="test", text="half-done", now=ctx.now, platform="replay", chat_id=chat.id)
        raise RuntimeError("the handler broke")

    monkeypatch.setitem(jobs.JOBS, "test_job", test_job)
    monkeypatch.setitem(jobs.JOBS, "test_broken", test_broken)
    return keys


# --- the schedule itself ------------------------------------------------------------------


def test_schedule_with_the_same_dedupe_key_writes_one_row(app):
    now = app.clock.now()
    assert add_job(app, "once", now + timedelta(hours=1)) is True
    assert add_job(app, "once", now + timedelta(hours=5)) is False
    rows = [j for j in all_jobs(app) if j.dedupe_key == "once"]
    assert len(rows) == 1
    assert rows[0].due_at == now + timedelta(hours=1)  # the second call changed nothing
    assert rows[0].state == "pending"


def test_run_due_runs_due_jobs_in_due_order_and_marks_them_done(app, ran):
    now = app.clock.now()
    add_job(app, "c", now - timedelta(minutes=1))
    add_job(app, "a", now - timedelta(hours=2))
    add_job(app, "future", now + timedelta(minutes=1))
    add_job(app, "b", now - timedelta(hours=1))
    add_job(app, "exactly-now", now)

    assert app.run_due() == 4
    assert ran == ["a", "b", "c", "exactly-now"]
    by_key = {j.dedupe_key: j for j in all_jobs(app, "test_job")}
    for key in ("a", "b", "c", "exactly-now"):
        assert (by_key[key].state, by_key[key].done_at, by_key[key].result) == ("done", now, f"ran {key}")
    assert by_key["future"].state == "pending" and by_key["future"].done_at is None

    assert app.run_due() == 0  # done jobs never run again
    assert ran == ["a", "b", "c", "exactly-now"]

    app.clock.set(now + timedelta(minutes=1))
    assert app.run_due() == 1 and ran[-1] == "future"


def test_a_failing_job_is_marked_failed_and_does_not_block_later_jobs(app, ran):
    now = app.clock.now()
    add_job(app, "first", now - timedelta(minutes=3))
    add_job(app, "broken", now - timedelta(minutes=2), kind="test_broken")
    add_job(app, "after", now - timedelta(minutes=1))

    assert app.run_due() == 3
    assert ran == ["first", "broken", "after"]
    states = {j.dedupe_key: j for j in all_jobs(app) if j.kind.startswith("test_")}
    assert states["first"].state == "done" and states["after"].state == "done"
    broken = states["broken"]
    assert broken.state == "failed" and broken.done_at == now
    assert "RuntimeError" in broken.result and "the handler broke" in broken.result
    with app.sessions() as session:  # what the broken job wrote was rolled back with it;
        # the one message left tells the coordinators the job failed
        rows = session.scalars(select(OutboxMessage)).all()
        assert [(r.kind, r.chat_id is not None) for r in rows] == [("job.failed", True)]
        assert "执行失败" in rows[0].text

    assert app.run_due() == 0  # a failed job is not retried in a loop
    assert ran == ["first", "broken", "after"]


def test_an_unknown_job_kind_fails_without_blocking(app, ran):
    now = app.clock.now()
    add_job(app, "ghost", now - timedelta(minutes=2), kind="no_such_kind")
    add_job(app, "real", now - timedelta(minutes=1))
    assert app.run_due() == 2
    assert ran == ["real"]
    states = {j.dedupe_key: j.state for j in all_jobs(app)}
    assert states["ghost"] == "failed" and states["real"] == "done"


# --- the daily digest ---------------------------------------------------------------------


def digest_rows(app) -> list[OutboxMessage]:
    with app.sessions() as session:
        return list(session.scalars(select(OutboxMessage).where(OutboxMessage.kind.like("digest%"))
                                    .order_by(OutboxMessage.id)))


def test_one_digest_a_day_at_0830_to_the_coordinators(h: Harness):
    h.say("grid-1", "wang", "#报事 3栋门口路灯坏了")
    sent = h.advance(timedelta(hours=24))  # Monday 09:00 → Tuesday 09:00
    to_coordinators = [t for t in texts_to(sent, "coordinators") if t.startswith("📊")]  # digests only
    assert len(to_coordinators) == 1
    assert to_coordinators[0].startswith("📊") and "2026-03-03" in to_coordinators[0]
    assert "新报事 1 件" in to_coordinators[0]
    assert "补发" not in to_coordinators[0]
    assert [m.to for m in sent if m.kind.startswith("digest")] == ["coordinators"]
    (row,) = digest_rows(h.app)
    assert row.sent_at == TUESDAY_0830 and row.state == "sent"
    digests = {j.dedupe_key: j for j in all_jobs(h.app, "digest")}
    assert digests["digest:2026-03-03"].state == "done"
    assert digests["digest:2026-03-03"].done_at == TUESDAY_0830
    assert digests["digest:2026-03-04"].state == "pending"
    assert digests["digest:2026-03-04"].due_at == TUESDAY_0830 + timedelta(days=1)

    sent = h.advance(timedelta(days=2))  # → Thursday 09:00: Wednesday's and Thursday's
    assert [m.kind.startswith("digest") for m in sent if m.to == "coordinators"] == [True, True]


def test_a_second_start_does_not_schedule_a_second_digest(app, config):
    again = bootstrap(config, clock=SimulatedClock(START + timedelta(minutes=5)), engine=app.engine)
    assert [j.dedupe_key for j in all_jobs(again, "digest")] == ["digest:2026-03-03"]


def restart(app, config, after: timedelta) -> Harness:
    """The bot was down for ``after``; a new process starts on the same database."""
    return Harness(bootstrap(config, clock=SimulatedClock(app.clock.now() + after), engine=app.engine))


def test_after_downtime_one_late_digest_then_the_next_at_the_following_0830(h: Harness, config):
    h.say("grid-1", "wang", "#报事 3栋门口路灯坏了")
    later = restart(h.app, config, timedelta(days=3))  # Thursday 2026-03-05 09:00
    later.app.run_due()
    later.flush()
    to_coordinators = [t for t in texts_to(later.transport.sent, "coordinators") if t.startswith("📊")]
    assert len(to_coordinators) == 1, to_coordinators
    assert "补发" in to_coordinators[0]
    assert "新报事 1 件" in to_coordinators[0]  # what happened before the downtime is still reported
    (row,) = digest_rows(later.app)
    assert row.sent_at == later.now

    digests = {j.dedupe_key: j for j in all_jobs(later.app, "digest")}
    pending = [j for j in digests.values() if j.state == "pending"]
    assert len(pending) == 1
    assert pending[0].due_at == datetime.fromisoformat("2026-03-06T08:30:00+08:00")
    assert len(digests) == 2  # not one row per missed day

    assert later.app.run_due() == 0
    later.flush()
    assert len([t for t in texts_to(later.transport.sent, "coordinators") if t.startswith("📊")]) == 1

    sent = later.advance(timedelta(days=1))  # Friday 09:00
    friday = [t for t in texts_to(sent, "coordinators") if t.startswith("📊")]
    assert len(friday) == 1 and "补发" not in friday[0] and "2026-03-06" in friday[0]
    assert digest_rows(later.app)[-1].sent_at == datetime.fromisoformat("2026-03-06T08:30:00+08:00")


def test_a_survey_due_during_downtime_is_sent_once_on_restart(h: Harness, config):
    h.say("grid-1", "wang", "#报事 3栋门口路灯坏了")
    h.say("committee", "liu", "/claim 1")
    h.say("committee", "liu", "/decide 1 换灯泡")
    h.advance(timedelta(minutes=30))
    resolved_at = h.now
    _, sent = h.say("committee", "liu", "/resolve 1 已换好")
    assert any("已办结" in m.text for m in sent)
    (survey_job,) = all_jobs(h.app, "survey_send")
    assert survey_job.due_at == resolved_at + timedelta(hours=24)

    later = restart(h.app, config, timedelta(days=3))
    later.app.run_due()
    later.flush()
    asks = [m for m in later.transport.sent if m.kind == "survey.ask"]
    assert [(m.to, m.concern) for m in asks] == [("@wang", 1)]
    (survey_job,) = all_jobs(later.app, "survey_send")
    assert survey_job.state == "done" and survey_job.done_at == later.now

    count = len(later.transport.sent)
    assert later.app.run_due() == 0
    later.flush()
    assert len(later.transport.sent) == count  # nothing more

    # a third start on the same database sends nothing again either
    third = restart(later.app, config, timedelta(minutes=1))
    third.app.run_due()
    third.flush()
    assert [m for m in third.transport.sent if m.kind == "survey.ask"] == []
    with third.app.sessions() as session:
        assert session.scalar(select(func.count()).select_from(OutboxMessage).where(
            OutboxMessage.kind == "survey.ask")) == 1
