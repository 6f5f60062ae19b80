"""The shipped Alembic migrations against the models, on SQLite and PostgreSQL."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, select, text

from storage import migrate
from storage.db import make_engine, session_factory
from storage.models import Base, Grid, Person


def diff(engine) -> list:
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True,
                                                               "compare_server_default": True})
        return compare_metadata(context, Base.metadata)


def current_revision(engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def head() -> str:
    return ScriptDirectory.from_config(migrate.alembic_config()).get_current_head()


def snapshot(engine) -> dict:
    """Tables with their columns, indexes, unique and foreign keys, as plain data."""
    inspector = inspect(engine)
    out = {}
    for table in sorted(inspector.get_table_names()):
        out[table] = (
            [(c["name"], str(c["type"]), c["nullable"]) for c in inspector.get_columns(table)],
            sorted((i["name"], tuple(i["column_names"]), bool(i["unique"])) for i in inspector.get_indexes(table)),
            sorted((u["name"], tuple(u["column_names"])) for u in inspector.get_unique_constraints(table)),
            sorted((f["name"], tuple(f["constrained_columns"]), f["referred_table"])
                   for f in inspector.get_foreign_keys(table)),
        )
    return out


def test_after_upgrade_the_schema_matches_the_models(engine):
    assert set(inspect(engine).get_table_names()) == set()  # a fresh database / schema
    migrate.upgrade(engine)
    assert diff(engine) == []
    assert set(Base.metadata.tables) <= set(inspect(engine).get_table_names())
    assert current_revision(engine) == head()


def test_upgrading_twice_is_a_no_op_and_keeps_the_data(engine):
    migrate.upgrade(engine)
    with session_factory(engine)() as session:
        session.add(Grid(key="grid-1", name="幸福里网格"))
        session.commit()
    before = snapshot(engine)

    migrate.upgrade(engine)

    assert snapshot(engine) == before
    assert current_revision(engine) == head()
    with engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM alembic_version")).scalar_one() == 1
    with session_factory(engine)() as session:
        assert session.scalars(select(Grid.key)).all() == ["grid-1"]
    assert diff(engine) == []


def test_downgrade_to_base_then_upgrade_again(engine):
    migrate.upgrade(engine)
    migrate.downgrade(engine, "base")
    left = set(inspect(engine).get_table_names()) - {"alembic_version"}
    assert left == set()
    assert current_revision(engine) is None

    migrate.upgrade(engine)
    assert diff(engine) == []
    assert current_revision(engine) == head()
    with session_factory(engine)() as session:  # and the tables work
        session.add(Person(handle="wang", display_name="王阿姨", created_at=datetime.now(timezone.utc)))
        session.commit()
        assert session.scalars(select(Person.handle)).all() == ["wang"]


def test_make_engine_creates_the_folder_of_a_new_sqlite_file(tmp_path):
    path = tmp_path / "new" / "x.db"
    assert not path.parent.exists()
    engine = make_engine(f"sqlite:///{path}")
    try:
        assert path.parent.is_dir()
        migrate.upgrade(engine)
        assert path.is_file()
        assert diff(engine) == []
        with engine.connect() as connection:  # the connection pragmas are applied
            assert connection.execute(text("PRAGMA foreign_keys")).scalar_one() == 1
            assert connection.execute(text("PRAGMA journal_mode")).scalar_one().lower() == "wal"
    finally:
        engine.dispose()


def test_the_comparison_notices_drift(engine):
    """Guards the check above: a schema that differs from the models is reported."""
    migrate.upgrade(engine)
    with engine.begin() as connection:
        connection.execute(text("DROP INDEX ix_outbox_state_not_before"))
    changes = diff(engine)
    assert changes and any(change[0] == "add_index" for change in changes)


def test_0002_fills_new_columns_of_existing_rows(engine):
    """Rows written under 0001 get payload {} and forum false when 0002 adds those columns."""
    migrate.upgrade(engine, "0001")
    now = datetime(2026, 3, 2, tzinfo=timezone.utc)
    with engine.begin() as connection:
        connection.execute(text("INSERT INTO chats (platform, external_id, kind, title) "
                                "VALUES ('replay', 'g', 'grid', 'g')"))
        connection.execute(text(
            "INSERT INTO outbox (kind, platform, chat_id, text, buttons, state, attempts, last_error, "
            "created_at, not_before) VALUES ('x', 'replay', 1, 'hi', '[]', 'pending', 0, '', :now, :now)"),
            {"now": now.replace(tzinfo=None) if engine.dialect.name == "sqlite" else now})
    migrate.upgrade(engine)
    assert current_revision(engine) == head()
    with engine.connect() as connection:
        assert connection.execute(text("SELECT forum FROM chats")).scalar_one() in (False, 0)
        payload = connection.execute(text("SELECT payload FROM outbox")).scalar_one()
    assert payload in ({}, "{}")
    assert diff(engine) == []


def test_0005_keeps_the_first_answer_of_older_concerns_and_start_up_fills_their_deadlines(engine, config):
    """A concern stored before 0005: its claim becomes its first answer, and the next start
    gives it the deadlines of its size, so the figures count it like any other."""
    from bot.bootstrap import bootstrap
    from handlers.clock import SimulatedClock
    from storage.models import Concern

    migrate.upgrade(engine, "0004")
    created = datetime(2026, 3, 2, 1, 0, tzinfo=timezone.utc)
    claimed = datetime(2026, 3, 2, 3, 0, tzinfo=timezone.utc)
    bind = (lambda at: at.replace(tzinfo=None)) if engine.dialect.name == "sqlite" else (lambda at: at)
    with engine.begin() as connection:
        connection.execute(text("INSERT INTO grids (key, name) VALUES ('grid-1', '幸福里网格')"))
        connection.execute(text("INSERT INTO people (handle, display_name, language, created_at) "
                                "VALUES ('wang', '王阿姨', 'zh', :at)"), {"at": bind(created)})
        connection.execute(text(
            "INSERT INTO concerns (text, category, size, size_confirmed, state, location, grid_id, reporter_id, "
            "anonymous, reopen_count, created_at, updated_at, first_response_at, claimed_at, version) VALUES "
            "('路灯坏了', '公共设施', 'small', false, 'claimed', '', 1, 1, false, 0, :created, :claimed, "
            ":claimed, :claimed, 1)"), {"created": bind(created), "claimed": bind(claimed)})
    app = bootstrap(config, clock=SimulatedClock(created), engine=engine)
    with app.sessions() as s:
        concern = s.get(Concern, 1)
        assert concern.responded_at == claimed
        assert concern.respond_by == created + timedelta(hours=24)
        assert concern.resolve_by == created + timedelta(days=7)


def test_0006_leaves_one_vote_per_member_on_single_choice_polls_and_every_choice_on_multiple(engine):
    """Concurrent votes could leave a member two rows on a single-choice poll before 0006:
    the newest stays; a multiple-choice poll keeps each chosen option."""
    migrate.upgrade(engine, "0005")
    at = datetime(2026, 3, 2, 1, 0, tzinfo=timezone.utc)
    bind = {"at": at.replace(tzinfo=None) if engine.dialect.name == "sqlite" else at}
    with engine.begin() as c:
        c.execute(text("INSERT INTO grids (key, name) VALUES ('grid-1', '幸福里网格')"))
        c.execute(text("INSERT INTO people (handle, display_name, language, created_at) "
                       "VALUES ('liu', '刘委员', 'zh', :at)"), bind)
        c.execute(text(
            "INSERT INTO concerns (text, category, size, size_confirmed, state, location, grid_id, reporter_id, "
            "anonymous, reopen_count, created_at, updated_at, version) VALUES "
            "('路灯坏了', '公共设施', 'big', false, 'deliberating', '', 1, 1, false, 0, :at, :at, 1)"), bind)
        for poll, multiple in ((1, False), (2, True)):
            c.execute(text(
                "INSERT INTO deliberations (concern_id, opened_by_id, question, multiple, quorum_share, "
                "hide_results, kind, electorate, state, result, opened_at, closes_at) VALUES "
                f"(1, 1, '换路灯?', {'true' if multiple else 'false'}, 0.5, false, 'committee', 4, 'open', '', "
                ":at, :at)"), bind)
            for position in (1, 2):
                c.execute(text("INSERT INTO deliberation_options (deliberation_id, position, text) "
                               f"VALUES ({poll}, {position}, 'o{position}')"))
        options = {(p, pos): oid for oid, p, pos in c.execute(
            text("SELECT id, deliberation_id, position FROM deliberation_options"))}
        for poll, position in ((1, 1), (1, 2), (2, 1), (2, 2)):  # liu: two rows on each poll
            c.execute(text("INSERT INTO votes (deliberation_id, person_id, option_id, platform, at) "
                           f"VALUES ({poll}, 1, {options[(poll, position)]}, 'text', :at)"), bind)
    migrate.upgrade(engine)
    with engine.connect() as c:
        rows = c.execute(text("SELECT deliberation_id, option_id, slot FROM votes ORDER BY id")).all()
    assert rows == [(1, options[(1, 2)], 0), (2, options[(2, 1)], 1), (2, options[(2, 2)], 2)]
    assert diff(engine) == []
