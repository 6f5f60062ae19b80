"""Storing a large file the bot sends (a ledger of a big district) without holding it in memory.

``files.save`` takes the content as bytes; a month's ledger of a million-concern district is
16 MB, and bytes, driver and database each keep a copy while it is inserted. ``save`` reads
the file from disk in chunks instead, in the caller's transaction: on SQLite into a blob
reserved at its size (incremental blob I/O); on PostgreSQL through ``COPY … FROM STDIN``, the
bytea written as hex a chunk at a time. The row is the same ``StoredFile`` either way.
"""
from __future__ import annotations

import os
from datetime import datetime
from typing import BinaryIO

from sqlalchemy import func, insert, select, text
from sqlalchemy.orm import Session

from .models import StoredFile

CHUNK = 1 << 20


def save(session: Session, *, name: str, media_type: str, source: BinaryIO, now: datetime) -> int:
    """Store what ``source`` holds (read from its start) as a file; return its id."""
    size = source.seek(0, os.SEEK_END)  # flushes what the writer still buffered
    source.seek(0)
    connection = session.connection()
    if connection.dialect.name == "sqlite":
        file_id = session.execute(insert(StoredFile).values(
            name=name, media_type=media_type, content=func.zeroblob(size), created_at=now)
            .returning(StoredFile.id)).scalar_one()
        with connection.connection.driver_connection.blobopen("files", "content", file_id) as blob:
            while chunk := source.read(CHUNK):
                blob.write(chunk)
        return file_id
    file_id = session.scalar(select(func.nextval(text("pg_get_serial_sequence('files', 'id')"))))
    with connection.connection.driver_connection.cursor() as cursor, cursor.copy(
            "COPY files (id, name, media_type, created_at, content) FROM STDIN") as copy:
        copy.write(f"{file_id}\t{_escaped(name)}\t{_escaped(media_type)}\t{now.isoformat()}\t\\\\x")
        while chunk := source.read(CHUNK):
            copy.write(chunk.hex())
        copy.write("\n")
    return file_id


def _escaped(value: str) -> str:
    """A value in COPY's text format: backslash, tab and line breaks escaped."""
    return (value.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r"))
