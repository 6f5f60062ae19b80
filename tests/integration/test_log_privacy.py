"""A report that fails in the database leaves nothing personal in the log: not its text, not
a phone or ID number in it, not who sent it anonymously — with every logger at DEBUG,
SQLAlchemy's included. On SQLite and PostgreSQL.

The failures are real database errors, made on purpose: a trigger that writes to a table
that does not exist (an error the dispatcher logs with its traceback), and a constraint no
row can meet (an IntegrityError, which the dispatcher retries as a conflict).
"""
from __future__ import annotations

import logging

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError, IntegrityError

from bot.replay import PLATFORM
from storage.models import Concern, Grid, Identity, Person

from ..conftest import START
from ..harness import texts_to

REPORTER_ID = 770077  # distinctive, so that finding it in a log means something
HANDLE = "neighbour-x"
REPORT = "5栋楼下有人飞线给电动车充电，电话 139 0000 5621，身份证110101199003074518"
SECRETS = ("13900005621", "139 0000 5621", "0000 5621", "19900307", "飞线给电动车充电", "5栋楼下", str(REPORTER_ID),
           HANDLE)


@pytest.fixture
def anonymous_neighbour(h):
    """A resident of grid-1 with a distinctive id, known on the replay platform."""
    with h.app.sessions() as s:
        grid = s.scalars(select(Grid).where(Grid.key == "grid-1")).one()
        s.add(Person(id=REPORTER_ID, handle=HANDLE, display_name="邻居", home_grid_id=grid.id, created_at=START))
        s.flush()
        s.add(Identity(person_id=REPORTER_ID, platform=PLATFORM, external_id=HANDLE))
        s.commit()
    return h


@pytest.fixture
def logs(caplog):
    caplog.set_level(logging.DEBUG)                     # every logger
    caplog.set_level(logging.DEBUG, logger="sqlalchemy")  # SQLAlchemy keeps itself at WARNING otherwise
    return caplog


def break_concern_inserts(engine) -> None:
    """Every INSERT INTO concerns fails inside the database (not retryable)."""
    with engine.begin() as connection:
        if engine.dialect.name == "sqlite":
            connection.execute(text("CREATE TRIGGER refuse_concerns BEFORE INSERT ON concerns "
                                    "BEGIN INSERT INTO no_such_table VALUES (1); END"))
        else:
            connection.execute(text("CREATE FUNCTION refuse_concerns() RETURNS trigger LANGUAGE plpgsql AS "
                                    "$$ BEGIN INSERT INTO no_such_table VALUES (1); RETURN NEW; END $$"))
            connection.execute(text("CREATE TRIGGER refuse_concerns BEFORE INSERT ON concerns "
                                    "FOR EACH ROW EXECUTE FUNCTION refuse_concerns()"))


def forbid_concern_rows(engine) -> None:
    """Every new concern row violates a constraint (PostgreSQL then names the failing row's values)."""
    with engine.begin() as connection:
        if engine.dialect.name == "sqlite":
            connection.execute(text("CREATE TRIGGER refuse_concerns BEFORE INSERT ON concerns "
                                    "BEGIN SELECT RAISE(ABORT, 'no new concerns'); END"))
        else:
            connection.execute(text("ALTER TABLE concerns ADD CONSTRAINT refuse_concerns CHECK (false) NOT VALID"))


def leaked(log: str) -> list[str]:
    return [secret for secret in SECRETS if secret in log]


def concern_count(h) -> int:
    with h.app.sessions() as s:
        return len(s.scalars(select(Concern)).all())


def test_a_report_that_fails_logs_the_failure_but_nothing_of_the_report_or_its_reporter(anonymous_neighbour, logs):
    h = anonymous_neighbour
    break_concern_inserts(h.app.engine)
    result, sent = h.say("private", HANDLE, f"/report 匿名 {REPORT}")

    assert result.status == "error"
    assert texts_to(sent, "@" + HANDLE) and concern_count(h) == 0  # apologised to, nothing kept
    # the failure is in the log, with its traceback and the statement that failed ...
    assert "handling 'report' failed" in logs.text
    assert "INSERT INTO concerns" in logs.text and "Traceback" in logs.text
    # ... but not what the statement carried
    assert leaked(logs.text) == []


def test_a_report_refused_by_a_constraint_leaves_no_text_or_number_in_the_log(anonymous_neighbour, logs):
    h = anonymous_neighbour
    forbid_concern_rows(h.app.engine)
    result, _ = h.say("private", HANDLE, f"/report 匿名 {REPORT}")

    assert result.status in ("error", "refused")
    assert concern_count(h) == 0
    assert "INSERT INTO concerns" in logs.text  # the failing statement was logged (at INFO)
    # (the reporter's id is left to the next test: the dispatcher's retry log names the sender)
    assert [s for s in leaked(logs.text) if s != str(REPORTER_ID)] == []


def test_a_retried_report_does_not_log_its_anonymous_reporters_id(anonymous_neighbour, logs):
    h = anonymous_neighbour
    forbid_concern_rows(h.app.engine)
    h.say("private", HANDLE, f"/report 匿名 {REPORT}")
    assert "INSERT INTO concerns" in logs.text
    assert str(REPORTER_ID) not in logs.text


def test_a_database_error_names_no_value_of_the_failing_row(anonymous_neighbour):
    """The error itself (what any ``log.exception`` prints) holds neither the parameters nor,
    on PostgreSQL, the DETAIL line that repeats the row's key or values."""
    h = anonymous_neighbour
    with pytest.raises(IntegrityError) as caught:
        with h.app.engine.begin() as connection:
            connection.execute(text("INSERT INTO people (id, handle, display_name, language, created_at) "
                                    "VALUES (:id, :handle, :name, 'zh', :at)"),
                               {"id": REPORTER_ID, "handle": HANDLE + "-again", "name": REPORT, "at": START})
    error = caught.value
    assert isinstance(error, DBAPIError)
    for message in (str(error), str(error.orig)):
        assert leaked(message) == [], message
        assert HANDLE + "-again" not in message
    assert "people" in str(error)  # still says what failed
    if h.app.engine.dialect.name == "postgresql":
        assert error.orig.sqlstate == "23505"  # retries still see what kind of error it was
        assert "duplicate key" in str(error.orig)
