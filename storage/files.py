"""Files the bot sends (ledgers, charts), stored with the command that made them."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from .models import StoredFile

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PNG = "image/png"


def save(session: Session, *, name: str, media_type: str, content: bytes, now: datetime) -> int:
    row = StoredFile(name=name, media_type=media_type, content=content, created_at=now)
    session.add(row)
    session.flush()
    return row.id


def load(session: Session, file_id: int) -> StoredFile | None:
    return session.get(StoredFile, file_id)
