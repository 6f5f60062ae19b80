"""The bench tests' databases: each runs on a SQLite file and on a PostgreSQL schema (which must answer in CI)."""
from __future__ import annotations

import pytest

from bench.databases import Database

from ..conftest import PG_URL, _postgres_or_fail


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request):
    if request.param == "postgresql":
        _postgres_or_fail().dispose()
        return Database("postgresql", PG_URL)
    return Database("sqlite", "sqlite://")
