"""One process at a time across the whole database, for work that must not run side by side.

Several processes share one PostgreSQL database (N webhook processes, delivery workers).
Their start-up — migrating the schema, writing the directory from the config — reads and
then writes, so two processes starting together would both insert the same grid and one
would crash. ``alone`` holds a session-level advisory lock on a connection of its own for
the duration: the others wait, then find everything done. SQLite needs nothing (one
process writes the file at a time, and scale-out is a PostgreSQL deployment).

The keys live apart from ``storage.locks`` (1 and 2, per person and per grid).
"""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine, text

START_UP = (100, 1)  # migrating and writing the directory


@contextmanager
def alone(engine: Engine, key: tuple[int, int] = START_UP) -> Iterator[None]:
    """Wait until no other process holds ``key``, hold it for the block, release it."""
    if engine.dialect.name != "postgresql":
        yield
        return
    with engine.connect() as connection:
        connection.execute(text("SELECT pg_advisory_lock(:kind, :ident)"), {"kind": key[0], "ident": key[1]})
        connection.commit()  # the lock is the session's: it outlives this transaction
        try:
            yield
        finally:
            connection.execute(text("SELECT pg_advisory_unlock(:kind, :ident)"), {"kind": key[0], "ident": key[1]})
            connection.commit()
