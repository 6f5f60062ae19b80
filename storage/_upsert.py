"""``INSERT … ON CONFLICT DO NOTHING`` for the backends we run on."""
from __future__ import annotations

from typing import Any

from sqlalchemy import Table
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session


def insert_ignoring_conflict(session: Session, table: Table, values: dict[str, Any],
                             key: str | tuple[str, ...]) -> int | None:
    """Insert a row unless one with the same unique ``key`` exists; return the new id or None."""
    keys = [key] if isinstance(key, str) else list(key)
    dialect = session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    stmt = insert(table).values(**values).on_conflict_do_nothing(index_elements=keys).returning(table.c.id)
    return session.execute(stmt).scalar_one_or_none()


def insert_many_ignoring_conflict(session: Session, table: Table, rows: list[dict[str, Any]],
                                  key: str | tuple[str, ...]) -> None:
    """Insert rows in one statement, skipping any whose unique ``key`` exists already."""
    if not rows:
        return
    keys = [key] if isinstance(key, str) else list(key)
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    session.execute(insert(table).values(rows).on_conflict_do_nothing(index_elements=keys))


def skip_locked(session: Session) -> dict[str, Any]:
    """``with_for_update`` arguments: row locks that skip rows others hold, where supported.

    SQLite has no row locks; its writers are serialised by the database lock instead, so
    the single-worker path there needs none.
    """
    if session.get_bind().dialect.name == "postgresql":
        return {"skip_locked": True}
    return {}


def supports_row_locks(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"
