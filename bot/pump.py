"""The asynchronous outbox sender for one platform: beside the bot, or alone as a worker.

It claims a few rows at a time (the database work runs in a thread, off the event loop),
sends them, and records each outcome; it sleeps until woken by new work or for a second.
``stop()`` lets the batch in hand finish, so a worker told to stop sends nothing twice.
"""
from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

from sqlalchemy.orm import Session, sessionmaker

from handlers.clock import Clock
from storage import outbox

from .sender import Rejected, RetryLater, Unreachable, address_of, record

log = logging.getLogger(__name__)


class OutboxPump:
    def __init__(self, sessions: sessionmaker[Session], transport, clock: Clock, *, batch: int = 5,
                 idle: float = 1.0, lease: timedelta = timedelta(seconds=60)) -> None:
        self.sessions, self.transport, self.clock = sessions, transport, clock
        self.batch, self.idle, self.lease = batch, idle, lease
        self.wake = asyncio.Event()
        self.sent = 0  # rows this pump delivered
        self._stopping = False

    async def run(self, *, until_idle: bool = False) -> int:
        """Send until cancelled or stopped (or, with ``until_idle``, until nothing is due)."""
        while not self._stopping:
            try:
                handled = await self.drain_once()
            except Exception:  # the database went away for a moment, say: log, wait, go on
                log.exception("outbox pump failed; retrying")
                handled = 0
            if handled or self._stopping:
                continue
            if until_idle:
                break
            self.wake.clear()
            try:
                await asyncio.wait_for(self.wake.wait(), timeout=self.idle)
            except asyncio.TimeoutError:
                pass
        return self.sent

    def stop(self) -> None:
        """Finish the batch in hand, then return from ``run``."""
        self._stopping = True
        self.wake.set()

    async def drain_once(self) -> int:
        """Claim one batch and send it; return how many rows were handled."""
        now = self.clock.now()
        rows = await asyncio.to_thread(outbox.claim, self.sessions, self.transport.platform, now,
                                       limit=self.batch, lease=self.lease)
        for row in rows:
            self.sent += await self.deliver(row)
        return len(rows)

    async def deliver(self, row) -> int:
        """Send one leased row and record the outcome; 1 if it was delivered."""
        address = await asyncio.to_thread(address_of, self.sessions, row)
        external_id, error = None, None
        if address is not None and address.unreachable:
            error = Unreachable("marked unreachable earlier")
        elif address is not None:
            try:
                external_id = await self.transport.send(row, address)
            except (RetryLater, Unreachable, Rejected) as exc:
                error = exc
            except Exception as exc:
                log.exception("outbox %s: sending to %s failed", row.id, address.label)
                error = exc
        return await asyncio.to_thread(record, self.sessions, row, address, self.clock.now(), external_id, error)
