"""Duplicate lookup: ``folding.find`` for a new report, with many open concerns stored.

The concerns are bulk-loaded (Core executemany: concerns and their folding keys exactly as
``folding.index`` writes them) into 1,000 grids; then new reports — about half of them
repeats of a stored concern — are looked up, each in its own transaction, as the intake does;
the time is ``folding.find`` alone (the grid's lock, the candidates, their keys), not the
transaction's begin and end. The peer is the same lookup with 1,000 open concerns in the same grids,
measured in the same run: the ratio shows how the cost grows with the stored concerns.
"""
from __future__ import annotations

import statistics
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import insert, select

from bot import config as config_loader
from bot.bootstrap import bootstrap
from bot.replay import PLATFORM
from handlers import folding
from handlers.clock import SimulatedClock
from storage.models import Concern, ConcernKey, Grid, Person

from .community import write_config
from .corpus import reports
from .databases import Database

START = datetime.fromisoformat("2026-03-02T08:00:00+08:00")
GRIDS = 1000
CHUNK = 5000
LOOKUPS = 2000


def _load(app, analyses: list, count: int) -> None:
    """``count`` open concerns spread over the grids, with the keys their texts give."""
    with app.sessions() as session:
        grids = list(session.scalars(select(Grid.id).order_by(Grid.id)))
        reporter = session.scalars(select(Person.id).order_by(Person.id)).first()
    engine = app.engine
    concern_rows, key_rows, next_id = [], [], 1
    for n in range(count):
        text, analysis = analyses[n % len(analyses)]
        grid = grids[n % len(grids)]
        concern_rows.append(dict(id=next_id, text=text, category=analysis.category, size=analysis.size,
                                 size_confirmed=False, state="reported", location=analysis.place.display[:200],
                                 grid_id=grid, reporter_id=reporter, anonymous=False, reopen_count=0,
                                 created_at=START, updated_at=START, version=1))
        key_rows.extend(dict(concern_id=next_id, grid_id=grid, key=k)
                        for k in sorted({k[:120] for k in folding.keys_of(analysis)}))
        next_id += 1
        if len(concern_rows) >= CHUNK:
            _flush(engine, concern_rows, key_rows)
    _flush(engine, concern_rows, key_rows)


def _flush(engine, concern_rows: list, key_rows: list) -> None:
    if concern_rows:
        with engine.begin() as connection:
            connection.execute(insert(Concern.__table__), concern_rows)
            connection.execute(insert(ConcernKey.__table__), key_rows)
    concern_rows.clear()
    key_rows.clear()


def _lookups(app, probes: list) -> dict:
    with app.sessions() as session:
        grids = list(session.scalars(select(Grid.id).order_by(Grid.id)))
    latencies, found = [], 0
    for n, analysis in enumerate(probes):
        with app.sessions() as session:
            session.connection()  # the intake's transaction is open when it looks (its begin is not the lookup's)
            t0 = time.perf_counter()
            hit = folding.find(session, grids[n % len(grids)], analysis)  # the grid's lock and the queries
            latencies.append(time.perf_counter() - t0)
            session.rollback()
        found += hit is not None
    ordered = sorted(latencies)
    return {"lookups": len(ordered), "p50_ms": 1000 * statistics.median(ordered),
            "p99_ms": 1000 * ordered[int(0.99 * (len(ordered) - 1))], "folded": found}


def measure(db: Database, open_concerns: int, analyses: list, probes: list) -> dict:
    with db.fresh() as fresh, tempfile.TemporaryDirectory() as folder:
        config = config_loader.load(write_config(Path(folder), GRIDS, fresh.url), environ={})
        app = bootstrap(config, clock=SimulatedClock(START + timedelta(days=1)), engine=fresh.engine(),
                        platforms=(PLATFORM,))
        try:
            started = time.perf_counter()
            _load(app, analyses, open_concerns)
            loaded = time.perf_counter() - started
            out = _lookups(app, probes)
        finally:
            app.close()
    return {"open_concerns": open_concerns, "load_s": loaded, **out}


def add_arguments(parser) -> None:
    parser.add_argument("--stored", type=int, default=100_000,
                        help="lookup: open concerns stored in 1,000 grids (default 100,000)")


def run(db: Database, args) -> list[dict]:
    """The lookup always uses 1,000 grids; ``args.stored`` open concerns beside 1,000."""
    stored = args.stored
    from handlers.nlp.pipeline import Intake
    intake = Intake.load(tags=("#报事", "#求助", "#投诉", "#建议"))
    texts = {r.text.split(" ", 1)[1] for r in reports(6000, 1, seed=7)}
    analyses = [(t, intake.analyse(t)) for t in sorted(texts)][:3000]
    fresh_texts = [r.text.split(" ", 1)[1] for r in reports(LOOKUPS, 1, seed=11)]
    # half the probes repeat a stored text (a duplicate to fold), half are new reports
    probes = [intake.analyse(t) if n % 2 else analyses[n % len(analyses)][1] for n, t in enumerate(fresh_texts)]
    small = measure(db, 1000, analyses, probes)
    large = measure(db, stored, analyses, probes)
    return [{"bench": "duplicate lookup", "database": db.name, "messages": large["lookups"],
             "open_concerns": stored, "p50_ms": large["p50_ms"], "p99_ms": large["p99_ms"],
             "folded": large["folded"], "load_s": large["load_s"],
             "peer": "1,000 open concerns", "peer_p50_ms": small["p50_ms"], "peer_p99_ms": small["p99_ms"],
             "ratio": large["p99_ms"] / small["p99_ms"] if small["p99_ms"] else float("inf"),
             "figure": f"{stored:,} open: p50 {large['p50_ms']:.2f} p99 {large['p99_ms']:.2f} ms",
             "peer": f"1,000 open: p99 {small['p99_ms']:.2f} ms"}]
