"""Timed work with several tickers on one PostgreSQL database (one per `shangliang run`
process): every due job runs once, and a job that fails is marked failed once — no other
ticker can take it up again while the first one records the failure."""
from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from bot.bootstrap import bootstrap
from handlers import jobs
from handlers.clock import SimulatedClock
from storage import schedule
from storage.models import OutboxMessage, ScheduledJob

from ..conftest import START

pytestmark = pytest.mark.postgres


@pytest.fixture
def pg_app(pg_engine, config):
    app = bootstrap(config, clock=SimulatedClock(START), engine=pg_engine)
    yield app


def tick(app) -> int:
    return jobs.run_due(app.sessions, app.config.settings, app.intake, app.clock.now())


def schedule_due(app, kind: str, keys: list[str]) -> None:
    with app.sessions() as session:
        for key in keys:
            schedule.schedule(session, kind=kind, due_at=app.clock.now() - timedelta(minutes=1), dedupe_key=key,
                              now=app.clock.now(), payload={"key": key})
        session.commit()


def states(app, kind: str) -> list[str]:
    with app.sessions() as session:
        return list(session.scalars(select(ScheduledJob.state).where(ScheduledJob.kind == kind)))


def test_three_tickers_at_once_run_each_due_job_once(pg_app, monkeypatch):
    ran, lock = [], threading.Lock()

    def counted(ctx, job):
        with lock:
            ran.append(job.payload["key"])
        ctx.session.execute(select(func.pg_sleep(0.01)))  # long enough for the tickers to overlap
        return "ok"

    monkeypatch.setitem(jobs.JOBS, "counted", counted)
    keys = [f"job-{i}" for i in range(60)]
    schedule_due(pg_app, "counted", keys)
    start = threading.Barrier(3)
    totals = []

    def ticker() -> None:
        start.wait()
        totals.append(tick(pg_app))

    threads = [threading.Thread(target=ticker) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sorted(ran) == sorted(keys)  # each once
    assert sum(totals) == 60 and len([t for t in totals if t]) >= 2, totals  # and the work was shared
    assert set(states(pg_app, "counted")) == {"done"}


def test_a_failing_job_is_not_taken_up_by_another_ticker_while_its_failure_is_recorded(pg_app, monkeypatch):
    attempts = []

    def broken(ctx, job):
        attempts.append(job.id)
        raise RuntimeError("the handler broke")

    monkeypatch.setitem(jobs.JOBS, "broken", broken)
    schedule_due(pg_app, "broken", ["broken-1"])
    other, asked = [], []
    logged = jobs.log.exception

    def another_ticker_meanwhile(*args, **kwargs):  # between the failure and its record
        logged(*args, **kwargs)
        if not asked:
            asked.append(True)
            thread = threading.Thread(target=lambda: other.append(tick(pg_app)))
            thread.start()
            thread.join(30)

    monkeypatch.setattr(jobs.log, "exception", another_ticker_meanwhile)
    assert tick(pg_app) == 1
    assert attempts == [attempts[0]]  # run once: the other ticker found nothing to take
    assert other == [0]
    assert states(pg_app, "broken") == ["failed"]
    with pg_app.sessions() as session:
        notices = session.scalar(select(func.count()).select_from(OutboxMessage).where(
            OutboxMessage.kind == "job.failed"))
    assert notices == 1  # the coordinators hear of it once
