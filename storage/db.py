"""Engines and sessions. Nothing is created at import time: call ``make_engine``.

What the database holds never reaches a log: statement parameters are hidden (a failing
INSERT would otherwise log the report's text and who sent it, anonymous or not), the rows
SQLAlchemy logs at DEBUG are dropped, and PostgreSQL's error DETAIL ("Failing row contains
(…)", "Key (…)=(…)") is cut from error messages.
"""
from __future__ import annotations

import logging
from pathlib import Path

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import ExceptionContext, make_url
from sqlalchemy.orm import Session, sessionmaker

DEFAULT_URL = "sqlite:///data/shangliang.db"


def make_engine(url: str = DEFAULT_URL, **kwargs) -> Engine:
    """Create an engine; a SQLite file's folder is created on first use.

    SQLite gets foreign keys on, WAL journaling and a busy timeout so a sender and the
    handlers can share the file. On both, nothing the database holds is logged (see above).
    """
    parsed = make_url(url)
    kwargs.setdefault("hide_parameters", True)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database or ""
        if database and database != ":memory:" and not database.startswith("file:"):
            Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
        kwargs.setdefault("connect_args", {"timeout": 30})
        engine = create_engine(url, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
    else:
        kwargs.setdefault("pool_pre_ping", True)
        engine = create_engine(url, **kwargs)
        event.listen(engine, "handle_error", _without_detail)
    _drop_logged_rows(engine)
    return engine


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


class _NoRows(logging.Filter):
    """Drops the result rows SQLAlchemy logs at DEBUG: they hold reports, names and ids."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.msg != "Row %r"


def _drop_logged_rows(engine: Engine) -> None:
    logger = getattr(engine.logger, "logger", engine.logger)  # an echo flag wraps the Logger
    if isinstance(logger, logging.Logger) and not any(isinstance(f, _NoRows) for f in logger.filters):
        logger.addFilter(_NoRows())


def _without_detail(context: ExceptionContext) -> None:
    """PostgreSQL's DETAIL line repeats values of the failing row; keep only the primary message.

    The driver's exception keeps its class and ``sqlstate`` (retries look at them); only its
    message, and the wrapping SQLAlchemy error's, lose the DETAIL.
    """
    orig = context.original_exception
    message = str(orig)
    if "\nDETAIL:" not in message:
        return
    primary = getattr(getattr(orig, "diag", None), "message_primary", None) or message.split("\nDETAIL:", 1)[0]
    scrubbed = f"{primary} (detail not logged)"
    orig.args = (scrubbed,)
    wrapped = context.sqlalchemy_exception
    if wrapped is not None and wrapped.args and isinstance(wrapped.args[0], str):
        wrapped.args = (f"({type(orig).__module__}.{type(orig).__name__}) {scrubbed}", *wrapped.args[1:])


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


def redact_url(url: str) -> str:
    """The URL with any password hidden, for logs."""
    return make_url(url).render_as_string(hide_password=True)
