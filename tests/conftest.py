"""Fixtures: a real database (SQLite file and PostgreSQL schema), the app, the harness.

PostgreSQL tests use a fresh schema each; when the server is unreachable they are skipped
on a developer machine but FAIL when ``CI=true``, so CI can never pass without them.
"""
from __future__ import annotations

import os
import shutil
import uuid
from contextlib import contextmanager
from dataclasses import replace
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from alembic import command

from bot.bootstrap import bootstrap
from bot.config import load
from handlers.clock import SimulatedClock
from storage import migrate
from storage.db import make_engine
from storage.models import Base

from .harness import Harness

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE_CONFIG = ROOT / "config.example.toml"
PG_URL = os.environ.get("SHANGLIANG_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
START = datetime.fromisoformat("2026-03-02T09:00:00+08:00")


def _postgres_or_fail():
    admin = make_engine(PG_URL)
    try:
        with admin.connect() as connection:
            connection.execute(text("SELECT 1"))
    except OperationalError as exc:
        admin.dispose()
        message = f"PostgreSQL at {PG_URL} is unreachable: {exc.orig}"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    return admin


@contextmanager
def fresh_schema(prefix: str = "t_"):
    """A new, empty PostgreSQL schema's name, dropped with everything in it afterwards."""
    admin = _postgres_or_fail()
    schema = prefix + uuid.uuid4().hex[:12]
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield schema
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture
def pg_engine():
    """An engine whose search_path is a fresh, empty schema (dropped afterwards)."""
    with fresh_schema() as schema:
        engine = make_engine(PG_URL, connect_args={"options": f"-csearch_path={schema}"})
        try:
            yield engine
        finally:
            engine.dispose()


@pytest.fixture
def sqlite_engine(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'test.db'}")
    yield engine
    engine.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def engine(request):
    """Each test using this runs twice: on SQLite and on PostgreSQL."""
    return request.getfixturevalue("sqlite_engine" if request.param == "sqlite" else "pg_engine")


@pytest.fixture
def config():
    """The shipped example config, with the six-step extras (public notice, residents' vote)
    off: most tests are about the committee path; the six-step tests use ``six_step_config``."""
    loaded = load(EXAMPLE_CONFIG)
    return replace(loaded, settings=replace(loaded.settings, public_notice=False, residents_vote=False))


@pytest.fixture
def six_step_config():
    return load(EXAMPLE_CONFIG)


@pytest.fixture(scope="session")
def migrated_sqlite_file(tmp_path_factory) -> Path:
    """A SQLite file the migrations ran on once; tests that need a ready schema copy it."""
    path = tmp_path_factory.mktemp("template") / "migrated.db"
    engine = make_engine(f"sqlite:///{path}")
    migrate.upgrade(engine)
    engine.dispose()  # the last connection checkpoints the WAL into the file
    return path


@pytest.fixture
def ready_engine(request, engine, migrated_sqlite_file):
    """``engine`` with the schema at head, made fast: SQLite copies the migrated template,
    PostgreSQL creates the tables from the models and stamps the head revision.
    (``test_migrations`` proves the migrations and the models build the same schema.)"""
    if engine.dialect.name == "sqlite":
        engine.dispose()
        shutil.copyfile(migrated_sqlite_file, engine.url.database)
    else:
        Base.metadata.create_all(engine)
        command.stamp(migrate.alembic_config(engine), "head")
    return engine


@pytest.fixture
def app(ready_engine, config):
    application = bootstrap(config, clock=SimulatedClock(START), engine=ready_engine)
    yield application


@pytest.fixture
def h(app) -> Harness:
    """The harness: ``h.say(chat, who, text)``, ``h.advance(timedelta)``."""
    return Harness(app)
