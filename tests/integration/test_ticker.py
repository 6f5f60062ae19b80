"""The APScheduler ticker runs due scheduled rows without anyone calling run_due."""
import time
from datetime import timedelta

from sqlalchemy import select

from bot.ticker import Ticker
from storage.models import ScheduledJob


def test_ticker_runs_a_due_digest_by_itself(app):
    with app.sessions() as session:
        digest = session.scalars(select(ScheduledJob).where(ScheduledJob.kind == "digest")).one()
        due_at = digest.due_at
    app.clock.set(due_at + timedelta(minutes=1))
    ticker = Ticker(app, seconds=0.05)
    ticker.start()
    try:
        deadline = time.monotonic() + 10
        state = "pending"
        while time.monotonic() < deadline and state == "pending":
            time.sleep(0.05)
            with app.sessions() as session:
                state = session.get(ScheduledJob, digest.id).state
    finally:
        ticker.stop()
    assert state == "done"
    with app.sessions() as session:
        # the digest scheduled the next day's digest, once
        pending = session.scalars(select(ScheduledJob.due_at).where(
            ScheduledJob.kind == "digest", ScheduledJob.state == "pending")).all()
        assert pending == [due_at + timedelta(days=1)]


def test_a_failing_tick_is_logged_not_raised(app, monkeypatch, caplog):
    ticker = Ticker(app, seconds=60)
    monkeypatch.setattr(app, "run_due", lambda: 1 / 0)
    assert ticker.tick() == 0
    assert "tick failed" in caplog.text
