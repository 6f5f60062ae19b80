"""Numbered menus on platforms without buttons: what "1", "2", "3" mean in a private chat."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from .models import Menu


def remember(session: Session, person_id: int, platform: str, commands: list[str], now: datetime) -> None:
    """The person's newest menu replaces the one before (one per person and platform)."""
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    stmt = insert(Menu.__table__).values(person_id=person_id, platform=platform, commands=list(commands), at=now)
    session.execute(stmt.on_conflict_do_update(index_elements=["person_id", "platform"],
                                               set_=dict(commands=list(commands), at=now)))


def choice(session: Session, person_id: int, platform: str, number: int) -> str | None:
    """The command behind ``number`` in the person's last menu, or None."""
    commands = session.scalar(select(Menu.commands).where(Menu.person_id == person_id, Menu.platform == platform))
    if not commands or not 1 <= number <= len(commands):
        return None
    return commands[number - 1]
