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
    stmt = _insert(session)(table).values(**values).on_conflict_do_nothing(index_elements=_keys(key))
    return session.execute(stmt.returning(table.c.id)).scalar_one_or_none()


def insert_many_ignoring_conflict(session: Session, table: Table, rows: list[dict[str, Any]],
                                  key: str | tuple[str, ...]) -> None:
    """Insert rows in one statement, skipping any whose unique ``key`` exists already."""
    if rows:
        session.execute(_insert(session)(table).values(rows).on_conflict_do_nothing(index_elements=_keys(key)))


def _insert(session: Session):
    return pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert


def _keys(key: str | tuple[str, ...]) -> list[str]:
    return [key] if isinstance(key, str) else list(key)


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
