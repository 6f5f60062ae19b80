"""The delivery loop, one for every platform: claim, prepare, send, record.

Per row the database is touched twice (prepare, record), each in a worker thread off the
event loop, plus one claim per batch. ``run`` serves beside the bot or as a ``shangliang
deliver`` worker; ``stop`` lets the batch in hand finish, so a worker told to stop sends
nothing twice. ``drain_sync`` runs the same loop to completion for replay and the tests.
"""
from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timedelta

from sqlalchemy.orm import Session, sessionmaker

from handlers.clock import Clock
from storage import outbox
from storage.models import OutboxMessage

from .outcome import record
from .outgoing import Moved, Receipt, Rejected, RetryLater, Transport, Unreachable
from .prepare import Prepared, prepare

log = logging.getLogger(__name__)
EXPECTED = (RetryLater, Unreachable, Rejected, Moved)


class DeliveryCore:
    def __init__(self, sessions: sessionmaker[Session], transport: Transport, clock: Clock, *, batch: int = 5,
                 idle: float = 1.0, lease: timedelta = timedelta(seconds=60), language: str = "zh") -> None:
        self.sessions, self.transport, self.clock = sessions, transport, clock
        self.language = language  # the community's, for notices about refused messages
        self.batch, self.idle, self.lease = batch, idle, lease
        self.wake = asyncio.Event()
        self.sent = 0  # rows this core delivered
        self._stopping = False

    async def run(self, *, until_idle: bool = False) -> int:
        """Send until cancelled or stopped (or, with ``until_idle``, until nothing is due)."""
        while not self._stopping:
            try:
                handled = await self.drain_once()
            except Exception:  # the database went away for a moment, say: log, wait, go on
                log.exception("delivery of %s messages failed; retrying", self.transport.platform)
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

    async def drain_once(self, now: datetime | None = None) -> int:
        """Claim one batch due at ``now`` (the clock's by default) and send it; return its size."""
        now = now or self.clock.now()
        rows = await asyncio.to_thread(outbox.claim, self.sessions, self.transport.platform, now,
                                       limit=self.batch, lease=self.lease)
        for row in rows:
            self.sent += await self.deliver(row, now)
        return len(rows)

    async def deliver(self, row: OutboxMessage, now: datetime | None = None) -> int:
        """Send one leased row and record the outcome; 1 if it was delivered."""
        prepared = await asyncio.to_thread(self._prepare, row)
        receipt, error = None, prepared.error
        if prepared.delivery is not None:
            try:
                receipt = await self.transport.send(prepared.delivery)
            except EXPECTED as exc:
                error = exc
            except Exception as exc:
                log.exception("outbox %s: sending failed", row.id)  # never to whom: it may be an anonymous reporter
                error = exc
        at = self.clock.now() if now is None else now
        return await asyncio.to_thread(self._record, row, prepared, at, receipt, error)

    def _prepare(self, row: OutboxMessage):
        with self.sessions() as session:
            return prepare(session, row)

    def _record(self, row: OutboxMessage, prepared: Prepared, now: datetime, receipt: Receipt | None,
                error: BaseException | None) -> int:
        with self.sessions() as session:
            delivered = record(session, row, prepared.chat_id, now, receipt, error, person_id=prepared.person_id,
                               language=self.language)
            session.commit()
            return delivered


def drain_sync(sessions: sessionmaker[Session], transport: Transport, now: datetime, *, batch: int = 5,
               limit: int = 10_000, language: str = "zh") -> int:
    """Send every row due at ``now`` through the same loop, from synchronous code (replay, tests)."""
    core = DeliveryCore(sessions, transport, _Fixed(now), batch=batch, language=language)

    async def drain() -> int:
        handled = 0
        while handled < limit:
            batch_size = await core.drain_once(now)
            if not batch_size:
                break
            handled += batch_size
        return core.sent
    return asyncio.run(drain())


class _Fixed:
    def __init__(self, at: datetime) -> None:
        self.at = at

    def now(self) -> datetime:
        return self.at
