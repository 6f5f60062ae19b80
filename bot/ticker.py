"""The in-process ticker: APScheduler only wakes us; the schedule itself lives in the database.

Every few seconds it runs the due ``scheduled_jobs`` rows (which write outbox rows) and
then lets the platform senders drain. No job store: several processes may tick against one
PostgreSQL database, and the row locks in ``storage.schedule`` keep a job from running twice.
"""
from __future__ import annotations

import logging
from collections.abc import Callable

from apscheduler.schedulers.background import BackgroundScheduler

from .bootstrap import App

log = logging.getLogger(__name__)


class Ticker:
    def __init__(self, app: App, *, seconds: float = 5.0, after_tick: Callable[[], object] | None = None) -> None:
        self.app = app
        self.after_tick = after_tick
        self.scheduler = BackgroundScheduler(timezone=app.config.settings.zone)
        self.scheduler.add_job(self.tick, "interval", seconds=seconds, id="tick", max_instances=1, coalesce=True,
                               misfire_grace_time=None)

    def tick(self) -> int:
        """Run what is due now, then the after-tick hook (a sender's drain); never raises."""
        try:
            ran = self.app.run_due()
            if self.after_tick is not None:
                self.after_tick()
            return ran
        except Exception:
            log.exception("tick failed")
            return 0

    def start(self) -> None:
        self.scheduler.start()

    def stop(self) -> None:
        self.scheduler.shutdown(wait=True)
