"""The two databases every figure is taken on: a SQLite file and a fresh PostgreSQL schema."""
from __future__ import annotations

import os
import tempfile
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine, text

from storage.db import make_engine

PG_URL = os.environ.get("SHANGLIANG_BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


@dataclass
class Database:
    name: str               # "sqlite" or "postgresql"
    url: str
    schema: str | None = None

    def engine(self, **kwargs) -> Engine:
        if self.schema:
            kwargs.setdefault("connect_args", {"options": f"-csearch_path={self.schema}"})
        return make_engine(self.url, **kwargs)

    @contextmanager
    def fresh(self):
        """An empty database of this kind, removed afterwards."""
        if self.name == "sqlite":
            with tempfile.TemporaryDirectory(prefix="shangliang-bench-") as folder:
                yield Database("sqlite", f"sqlite:///{Path(folder) / 'bench.db'}")
            return
        schema = "bench_" + uuid.uuid4().hex[:10]
        admin = make_engine(self.url)
        try:
            with admin.begin() as connection:
                connection.execute(text(f'CREATE SCHEMA "{schema}"'))
            yield Database("postgresql", self.url, schema)
        finally:
            with admin.begin() as connection:
                connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
            admin.dispose()


def available(names: list[str]) -> list[Database]:
    """The databases asked for; PostgreSQL must answer (a benchmark that silently skips it lies)."""
    out = []
    for name in names:
        if name == "sqlite":
            out.append(Database("sqlite", "sqlite://"))
        elif name == "postgresql":
            engine = make_engine(PG_URL)
            try:
                with engine.connect() as connection:
                    connection.execute(text("SELECT 1"))
            finally:
                engine.dispose()
            out.append(Database("postgresql", PG_URL))
        else:
            raise SystemExit(f"unknown database {name!r} (sqlite, postgresql)")
    return out
