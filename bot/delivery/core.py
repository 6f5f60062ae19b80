"""The delivery loop, one for every platform: claim, prepare, send, record.

Per row the database is touched twice (prepare, record), each in a worker thread off the
event loop, plus one claim per batch. ``run`` serves beside the bot or as a ``shangliang
deliver`` worker; ``stop`` lets the batch in hand finish, so a worker told to stop sends
nothing twice. ``drain_sync`` runs the same loop to completion for replay and the tests.

A transport with ``limits`` (Telegram's) is paced: in the prepare transaction the core books
the send's slot with every other sender (``pacing.Pacer``), waits for it if it is a moment
away, or puts the row off until its chat may have it and goes on with the next. A 429 that
still comes holds that chat off for everyone and retries the row after ``retry_after``.
"""
from __future__ import annotations

import asyncio
import heapq
import logging
from datetime import datetime, timedelta

from sqlalchemy.orm import Session, sessionmaker

from handlers.clock import Clock
from storage import locks, outbox
from storage.models import OutboxMessage

from .outcome import record
from .outgoing import Moved, Receipt, Rejected, RetryLater, Transport, Unreachable
from .pacing import Decision, Pacer
from .prepare import Prepared, prepare

log = logging.getLogger(__name__)
EXPECTED = (RetryLater, Unreachable, Rejected, Moved)
GIVE_UP_AFTER = 20  # failed rounds in a row after which an --until-idle worker stops


class DeliveryCore:
    def __init__(self, sessions: sessionmaker[Session], transport: Transport, clock: Clock, *, batch: int = 5,
                 idle: float = 1.0, lease: timedelta = timedelta(seconds=60), language: str = "zh") -> None:
        self.sessions, self.transport, self.clock = sessions, transport, clock
        self.language = language  # the community's, for notices about refused messages
        self.batch, self.idle, self.lease = batch, idle, lease
        limits = getattr(transport, "limits", None)
        self.pacer = Pacer(transport.platform, limits) if limits is not None else None
        self.wake = asyncio.Event()
        self.sent = 0  # rows this core delivered
        self.put_off = 0  # rows pacing put off to a later slot (not attempts)
        self.throttled = 0  # 429 answers the platform still gave
        self._stopping = False
        self._awaiting: list[datetime] = []  # (a heap) when rows this core put off or back are due

    async def run(self, *, until_idle: bool = False) -> int:
        """Send until cancelled or stopped (or, with ``until_idle``, until nothing is due and
        nothing this core put off or back is still to come)."""
        failures = 0
        while not self._stopping:
            try:
                handled = await self.drain_once()
                failures = 0
            except Exception:  # the database went away for a moment, say: log, wait, go on
                log.exception("delivery of %s messages failed; retrying", self.transport.platform)
                failures += 1
                if until_idle and failures >= GIVE_UP_AFTER:
                    break  # a worker told to finish does not wait forever for a database that is gone
                await asyncio.sleep(min(self.idle, 0.5))
                continue  # not idle: what failed is still to send (an --until-idle worker must not stop)
            if handled or self._stopping:
                continue
            if until_idle and self._awaited() is None:
                break
            self.wake.clear()
            try:
                await asyncio.wait_for(self.wake.wait(), timeout=self._nap())
            except asyncio.TimeoutError:
                pass
        return self.sent

    def _nap(self) -> float:
        """Until the next row this core put off is due (at most ``idle``): a paced row goes
        out on its slot, not up to a second later."""
        soonest = self._awaited()
        if soonest is None:
            return self.idle
        return min(self.idle, max(0.005, (soonest - self.clock.now()).total_seconds()))

    def _awaited(self) -> datetime | None:
        """When the next row this core put off (or back, after a 429) is due; None if none is
        still to come (once due, a claim takes it, here or in another worker)."""
        now = self.clock.now()
        while self._awaiting and self._awaiting[0] <= now:
            heapq.heappop(self._awaiting)
        return self._awaiting[0] if self._awaiting else None

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
        prepared, pace = await asyncio.to_thread(self._prepare, row)
        if pace is not None and not pace.go:
            self.put_off += 1
            return 0
        if pace is not None and pace.wait > 0:
            await asyncio.sleep(pace.wait)  # the bot's next slot, a moment away
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

    def _prepare(self, row: OutboxMessage) -> tuple[Prepared, Decision | None]:
        """The row as a delivery and, when paced, its slot (booked, or the row put off)."""
        with self.sessions() as session:
            if self.pacer is None:
                return prepare(session, row), None
            locks.begin(session)  # SQLite: the write lock before the first read; PostgreSQL: row locks
            prepared = prepare(session, row)
            if prepared.delivery is None:
                return prepared, None
            pace = self.pacer.ask(session, prepared.delivery.target)
            if not pace.go:
                until = self.clock.now() + timedelta(seconds=pace.wait)
                outbox.put_off(session, row, until, self.clock.now(), same_recipient=pace.chat_busy)
                self._remember(until)
            session.commit()
            return prepared, pace

    def _record(self, row: OutboxMessage, prepared: Prepared, now: datetime, receipt: Receipt | None,
                error: BaseException | None) -> int:
        with self.sessions() as session:
            throttled = isinstance(error, RetryLater) and error.throttled
            if throttled:
                self.throttled += 1
                log.warning("outbox %s: the platform said too many requests; again in %ss", row.id, error.seconds)
                if self.pacer is not None:
                    locks.begin(session)
                self._remember(now + timedelta(seconds=error.seconds))
            delivered = record(session, row, prepared.chat_id, now, receipt, error, person_id=prepared.person_id,
                               language=self.language)
            if throttled and self.pacer is not None:
                # after the outbox rows, as in _prepare: every sender locks rows before pacing keys
                # (the other order deadlocked against a sender booking a slot for the same chat)
                self.pacer.refused(session, prepared.delivery.target, error.seconds)
            session.commit()
            return delivered

    def _remember(self, due: datetime) -> None:
        if due not in self._awaiting:
            heapq.heappush(self._awaiting, due)


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
