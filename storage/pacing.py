"""Send pacing shared by every sender of a platform: the rules and their table (``send_pacing``).

Before a send, a sender calls ``take`` with the keys that apply to it (the bot as a whole,
the chat), each with its rule and how long the sender may wait for it. Under the rows' locks
— PostgreSQL: ``SELECT … FOR UPDATE`` in key order, so two senders never wait for each
other crosswise; SQLite: the caller's ``BEGIN IMMEDIATE`` — it works out the earliest moment
every rule admits one more send. If no rule makes the sender wait longer than it may, that
moment is booked in every row (and commits with the caller's transaction); otherwise nothing
is booked and the caller learns when to come back. No read-then-write outside a lock, so N
processes together keep the rules as one would.

Times are seconds since the epoch (``time.time``, read after the locks are held): senders on
several machines need synchronised clocks, as any shared schedule does.
"""
from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session

from ._upsert import insert_many_ignoring_conflict, supports_row_locks
from .models import SendPacing


class Rule(Protocol):
    def earliest(self, state: dict, now: float) -> float:
        """The first moment from ``now`` this rule admits one more send."""

    def book(self, state: dict, at: float) -> dict:
        """The state after a send at ``at``."""


@dataclass(frozen=True)
class Bucket:
    """``burst`` sends at once, then ``per_second`` (a token bucket, as the generic cell rate
    algorithm: ``tat`` is the theoretical arrival time of the next send)."""

    per_second: float
    burst: int

    def earliest(self, state: dict, now: float) -> float:
        tat = state.get("tat")
        at = now if tat is None else max(now, tat - (self.burst - 1) / self.per_second)
        return max(at, state.get("until", at))

    def book(self, state: dict, at: float) -> dict:
        return {**state, "tat": max(state.get("tat", at), at) + 1 / self.per_second}


@dataclass(frozen=True)
class Window:
    """At most ``count`` sends in any ``seconds``, booked in order (never before the last)."""

    count: int
    seconds: float

    def earliest(self, state: dict, now: float) -> float:
        sent = state.get("sent", [])
        at = max([now, *sent[-1:]])
        if len(sent) >= self.count:
            at = max(at, sent[-self.count] + self.seconds)
        return max(at, state.get("until", at))

    def book(self, state: dict, at: float) -> dict:
        sent = [t for t in state.get("sent", []) if t > at - self.seconds] + [at]
        return {**state, "sent": sent[-self.count:]}


@dataclass(frozen=True)
class Limit:
    key: str
    rule: Rule
    wait: float   # how long the sender may wait for this key (seconds); longer: nothing is booked


@dataclass(frozen=True)
class Slot:
    at: float              # when the send may go (booked), or when to ask again (not booked)
    now: float             # the time it was worked out at
    booked: bool
    held_by: str | None    # not booked: the key that would have made the sender wait too long


def take(session: Session, limits: Sequence[Limit], clock: Callable[[], float] = time.time) -> Slot:
    """Book the earliest moment every limit admits, unless one would make the sender wait too long."""
    states = _locked(session, [limit.key for limit in limits])
    now = clock()
    earliest = {limit.key: limit.rule.earliest(states[limit.key], now) for limit in limits}
    at = max(earliest.values())
    late = [limit for limit in limits if earliest[limit.key] - now > limit.wait]
    if late:
        worst = max(late, key=lambda limit: earliest[limit.key] - now - limit.wait)
        return Slot(at, now, False, worst.key)
    _store(session, {limit.key: limit.rule.book(states[limit.key], at) for limit in limits})
    return Slot(at, now, True, None)


def hold_off(session: Session, key: str, until: float) -> None:
    """The platform refused a send under ``key`` (429): nobody sends under it before ``until``."""
    state = _locked(session, [key])[key]
    if until > state.get("until", 0.0):
        _store(session, {key: {**state, "until": until}})


def _locked(session: Session, keys: list[str]) -> dict[str, dict]:
    """Each key's state, its row locked until the transaction ends (created if new)."""
    keys = sorted(set(keys))
    query = select(SendPacing.key, SendPacing.state).where(SendPacing.key.in_(keys)).order_by(SendPacing.key)
    if supports_row_locks(session):
        query = query.with_for_update()
    found = dict(session.execute(query).all())
    missing = [key for key in keys if key not in found]
    if missing:
        insert_many_ignoring_conflict(session, SendPacing.__table__, [{"key": k, "state": {}} for k in missing], "key")
        found = dict(session.execute(query).all())
    return {key: dict(found[key] or {}) for key in keys}


def _store(session: Session, states: dict[str, dict]) -> None:
    """The new states, in one statement (executemany: one round trip while the locks are held)."""
    table = SendPacing.__table__
    session.execute(update(table).where(table.c.key == bindparam("k")).values(state=bindparam("s")),
                    [{"k": key, "s": state} for key, state in states.items()])
