"""Serialising commands that must not interleave: one person's, one grid's.

Two identical reports at once must fold into one concern, one person's twenty reports at
once must meet the flood limit, one member's votes at once must leave one vote. The
database orders them, never a read-then-write in Python:

- PostgreSQL: transaction-level advisory locks (``pg_advisory_xact_lock``), released at
  commit or rollback. Locks are always taken person first, then grid, so two commands
  cannot wait for each other.
- SQLite has a single writer: ``begin`` opens the command's transaction with
  ``BEGIN IMMEDIATE``, so it holds the write lock before its first read, sees every earlier
  commit, and nothing else commits until it ends; ``hold`` then has nothing left to do.
"""
from __future__ import annotations

from sqlalchemy import Integer, cast, func, literal, select
from sqlalchemy.orm import Session

PERSON, GRID = 1, 2


def begin(session: Session, *keys: tuple[int, int]) -> None:
    """Start a serialised transaction; call before the session has read or written anything."""
    if session.get_bind().dialect.name == "sqlite":
        session.connection().exec_driver_sql("BEGIN IMMEDIATE")
        return
    hold(session, *keys)


def hold(session: Session, *keys: tuple[int, int]) -> None:
    """Wait for, and keep until the transaction ends, the locks named by ``(kind, id)``."""
    if session.get_bind().dialect.name != "postgresql":
        return
    for kind, ident in sorted(set(keys)):
        session.execute(select(func.pg_advisory_xact_lock(cast(literal(kind), Integer), cast(literal(ident), Integer))))
