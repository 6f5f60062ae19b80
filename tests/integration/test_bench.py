"""bench/ is not part of the suite, but it must not rot: its figures, run small on both
databases: the intake registers every generated report through the real dispatcher (none
refused, none lost to an error) and sends every outbox row it wrote; the lookup finds the
repeats it stored."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from bench import intake
from bench.corpus import reports
from storage.models import Concern, OutboxMessage

from .bench_databases import database  # noqa: F401 (a fixture)


def test_the_generated_reports_are_distinct_and_spread_over_the_grids():
    batch = reports(500, 20)
    assert len({(r.grid, r.text) for r in batch}) == 500
    assert len({r.grid for r in batch}) == 20 and all(r.text.startswith("#") for r in batch)


def test_the_intake_bench_registers_every_report_and_sends_every_row(database):
    batch = reports(40, 5)
    with database.fresh() as fresh:
        figures = intake.pipeline(fresh, batch, 5, deliver=True)
        engine = fresh.engine()
        with engine.connect() as connection:
            concerns = connection.scalar(select(func.count()).select_from(Concern))
            unsent = connection.scalar(select(func.count()).select_from(OutboxMessage)
                                       .where(OutboxMessage.state != "sent"))
            rows = connection.scalar(select(func.count()).select_from(OutboxMessage))
        engine.dispose()
    assert figures["statuses"] == {"done": 40}
    assert 0 < concerns <= 40          # repeats of an open concern fold into a 附议
    assert unsent == 0 and figures["sent"] == rows >= 2 * concerns
    assert figures["messages"] == 40 and figures["p99_ms"] >= figures["p50_ms"] > 0


def test_the_floor_is_measured_on_the_same_kind_of_database(database):
    with database.fresh() as fresh:
        floor = intake.floor(fresh, [r.text for r in reports(30, 3)])
    assert floor["messages"] == 30 and floor["per_s"] > 0


def test_the_lookup_bench_finds_the_repeats_it_stored(database):
    from bench import lookup
    from handlers.nlp.pipeline import Intake
    intake_ = Intake.load(tags=("#报事",))
    texts = ["3栋门口路灯坏了", "5号楼电梯停运", "东门垃圾没人清运", "小区花园有人飞线充电"]
    analyses = [(t, intake_.analyse(t)) for t in texts]
    probes = [a for _, a in analyses] * 3
    found = lookup.measure(database, 40, analyses, probes)
    # probe n is looked up in grid n, where concern n holds the same text: each one that names
    # a known problem folds (a report naming none is never folded: no guessing)
    assert found["open_concerns"] == 40 and found["lookups"] == 12
    assert found["folded"] == sum(1 for a in probes if a.concepts) > 0
    assert found["p99_ms"] >= found["p50_ms"] > 0
