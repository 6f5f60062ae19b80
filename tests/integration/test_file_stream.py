"""A large file stored from disk a chunk at a time reads back byte for byte, on SQLite and
PostgreSQL, in the caller's transaction (rolled back: nothing stored)."""
from __future__ import annotations

import os
import tempfile
from datetime import datetime

from sqlalchemy import func, select

from storage import file_stream, files
from storage.db import session_factory
from storage.models import StoredFile

NOW = datetime.fromisoformat("2026-12-01T09:30:00+08:00")


def test_a_file_bigger_than_a_chunk_is_stored_whole(ready_engine):
    content = os.urandom(int(2.5 * file_stream.CHUNK)) + b"\\\t\n\x00end"
    name = "台账 2026-12\t\\ 导出\n.xlsx"
    with tempfile.TemporaryFile() as source, session_factory(ready_engine)() as session:
        source.write(content)
        first = files.save(session, name="before.png", media_type=files.PNG, content=b"png", now=NOW)
        file_id = file_stream.save(session, name=name, media_type=files.XLSX, source=source, now=NOW)
        session.commit()
    assert file_id > first
    with session_factory(ready_engine)() as session:
        stored = session.get(StoredFile, file_id)
        assert (stored.name, stored.media_type, stored.created_at) == (name, files.XLSX, NOW)
        assert stored.content == content
        after = files.save(session, name="after.png", media_type=files.PNG, content=b"png", now=NOW)
        assert after > file_id  # the sequence moved past the streamed row
        session.commit()


def test_nothing_is_stored_when_the_transaction_rolls_back(ready_engine):
    with tempfile.TemporaryFile() as source, session_factory(ready_engine)() as session:
        source.write(b"x" * 1000)
        file_stream.save(session, name="a.xlsx", media_type=files.XLSX, source=source, now=NOW)
        session.rollback()
    with session_factory(ready_engine)() as session:
        assert session.scalar(select(func.count()).select_from(StoredFile)) == 0
