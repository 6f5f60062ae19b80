"""A year of concerns with their whole lifecycle, bulk-loaded for the reports bench.

``load`` writes the residents (``RESIDENTS_PER_GRID`` in each grid) and ``count`` concerns
spread over 2026, each with the rows its lifecycle leaves (``bench.report_lifecycle``), with
Core executemany, ``CHUNK`` concerns at a time; on PostgreSQL the sequences are moved past the
explicit ids and the tables vacuumed and analysed, as autovacuum leaves a year-old database.
"""
from __future__ import annotations

import random
from datetime import timedelta

from sqlalchemy import func, insert, select, text

from storage.models import Grid, Person, PersonRole

from .report_lifecycle import NOW, TABLES, YEAR, Rows, concern, name

__all__ = ["NOW", "YEAR", "load"]
RESIDENTS_PER_GRID = 20
CHUNK = 5000


def flush(rows: Rows, engine) -> int:
    """Insert the waiting rows, parents first, in one transaction; return how many."""
    written = 0
    with engine.begin() as connection:
        for model in TABLES:
            if rows.rows[model]:
                connection.execute(insert(model.__table__), rows.rows[model])
                written += len(rows.rows[model])
                rows.rows[model].clear()
    return written


def load(app, count: int, categories: dict[str, str], seed: int = 13) -> int:
    """``count`` concerns of 2026 over the configured grids; returns how many rows were written.

    ``categories``: the category of each problem of ``bench.corpus.PROBLEMS`` (as the intake
    reads it)."""
    engine, rng = app.engine, random.Random(seed)
    with app.sessions() as session:
        grids = list(session.scalars(select(Grid.id).order_by(Grid.id)))
        committee = list(session.scalars(select(Person.id).join(PersonRole, PersonRole.person_id == Person.id)
                                         .where(PersonRole.role.in_(("member", "coordinator"))).distinct()))
        first_person = (session.scalar(select(func.max(Person.id))) or 0) + 1
    residents = {g: [first_person + i * RESIDENTS_PER_GRID + k for k in range(RESIDENTS_PER_GRID)]
                 for i, g in enumerate(grids)}
    written = _people(engine, residents)
    rows = Rows({model: 1 for model in TABLES})
    for n in range(count):
        created = YEAR + timedelta(days=365 * (n + rng.random()) / count)
        concern(rows, rng, created, grids[rng.randrange(len(grids))], residents, committee, categories)
        if (n + 1) % CHUNK == 0:
            written += flush(rows, engine)
    written += flush(rows, engine)
    if engine.dialect.name == "postgresql":
        with engine.begin() as connection:  # explicit ids: move the sequences past them
            for model in (*TABLES, Person):
                table = model.__tablename__
                connection.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                                        f"(SELECT coalesce(max(id), 0) + 1 FROM {table}), false)"))
        # a year-old database has been vacuumed and analysed by autovacuum many times over
        # (visibility map set, statistics current); a bulk load has not
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text("VACUUM ANALYZE " + ", ".join(m.__tablename__ for m in (*TABLES, Person))))
    return written


def _people(engine, residents: dict) -> int:
    people = [dict(id=pid, handle=f"r{pid}", display_name=name(pid), language="zh", home_grid_id=grid,
                   created_at=YEAR) for grid, ids in residents.items() for pid in ids]
    with engine.begin() as connection:
        connection.execute(insert(Person.__table__), people)
    return len(people)
