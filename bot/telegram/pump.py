"""The asynchronous outbox sender for one platform, run as a task beside the bot.

It claims a few rows at a time (the database work runs in a thread, off the event loop),
sends them, and records each outcome; it sleeps until woken by new work or for a second.
"""
from __future__ import annotations

import asyncio
import logging

from sqlalchemy.orm import Session, sessionmaker

from handlers.clock import Clock
from storage import outbox

from ..sender import Rejected, RetryLater, Unreachable, address_of, record

log = logging.getLogger(__name__)


class OutboxPump:
    def __init__(self, sessions: sessionmaker[Session], transport, clock: Clock, *, batch: int = 5,
                 idle: float = 1.0) -> None:
        self.sessions, self.transport, self.clock = sessions, transport, clock
        self.batch, self.idle = batch, idle
        self.wake = asyncio.Event()

    async def run(self) -> None:
        """Send forever (until cancelled)."""
        while True:
            try:
                sent = await self.drain_once()
            except Exception:  # the database went away for a moment, say: log, wait, go on
                log.exception("outbox pump failed; retrying")
                sent = 0
            if not sent:
                self.wake.clear()
                try:
                    await asyncio.wait_for(self.wake.wait(), timeout=self.idle)
                except asyncio.TimeoutError:
                    pass

    async def drain_once(self) -> int:
        """Claim one batch and send it; return how many rows were handled."""
        now = self.clock.now()
        rows = await asyncio.to_thread(outbox.claim, self.sessions, self.transport.platform, now, limit=self.batch)
        for row in rows:
            await self.deliver(row)
        return len(rows)

    async def deliver(self, row) -> None:
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
        await asyncio.to_thread(record, self.sessions, row, address, self.clock.now(), external_id, error)
