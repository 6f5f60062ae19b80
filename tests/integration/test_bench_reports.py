"""The reports bench, run tiny on both databases so it does not rot: a year of concerns loaded,
then /stats, the digest and a month's ledger each measured in a process of its own, each
having sent what a coordinator would get, and the table's rows set beside the smallest size."""
from __future__ import annotations

import pytest

from bench import report_data, reports

from .bench_databases import database  # noqa: F401 (a fixture)

KINDS = {"路灯坏了": "公共设施", "垃圾没人清运": "环境卫生"}


def test_each_report_is_measured_in_a_fresh_process_and_sent(database):
    measured = reports.measure(database, 240, grids=6, kinds=KINDS, repeat=2)
    assert measured["concerns"] == 240 and measured["rows"] > 240 * 5  # the lifecycle rows came too
    stats, digest, ledger = measured["stats"], measured["digest"], measured["ledger"]
    assert stats["status"] == "done" and stats["text"].startswith("📈 统计 2026-01-01~2026-12-31")
    assert "收集 240 件" in stats["text"]
    assert digest["jobs_run"] >= 1 and digest["text"].startswith("📊 每日汇总 2027-01-01")
    assert len(stats["runs_s"]) == 2 and len(ledger["runs_s"]) == 1
    assert digest["runs_jobs"] == [1, 1]  # the digest was due again for the repeat, and ran
    assert ledger["command_s"] < ledger["seconds"]  # the command only scheduled it; the job built it
    assert ledger["text"].startswith("📎 台账 2026-12-01~2026-12-31") and ledger["file_bytes"] > 4000
    for probe in (measured["idle"], stats, digest, ledger):
        assert probe["peak_reset"] and probe["peak_rss_mb"] >= probe["rest_rss_mb"] * 0.9 > 30
        assert probe["seconds"] > 0 and probe["cpu_s"] > 0
        assert probe["server_cpu_counted"] == (database.name == "postgresql")

    rows = reports.table(database.name, [measured, measured | {"concerns": 480}], 6)
    assert [(r["bench"], r["concerns"]) for r in rows] == [
        (f"reports: {w}", n) for w in ("stats", "digest", "ledger") for n in (240, 480)]
    assert all(r["ratio"] == 1 and r["size_ratio"] in (1, 2) and r["target_met"] is None for r in rows)
    assert rows[0]["figure"].startswith("/stats 2026 @240: ") and rows[1]["peer"].startswith("@240: ")


def test_the_year_spreads_over_the_states_a_real_year_has():
    import random
    from collections import Counter

    from bench.report_lifecycle import TABLES, Rows, concern
    rows = Rows({model: 1 for model in TABLES})
    rng = random.Random(1)
    residents = {1: list(range(100, 120))}
    for n in range(2000):
        concern(rows, rng, report_data.YEAR + (report_data.NOW - report_data.YEAR) * n / 2000, 1, residents,
                 [1, 2, 3, 4, 5, 6], KINDS)
    states = Counter(c["state"] for c in rows.rows[TABLES[0]])
    assert states["closed"] > 1000 and 0 < states["withdrawn"] < 100 and states["rejected"] > 0
    assert states["converted"] > 0 and states["reopened"] + states["resolved"] > 0
    assert sum(states[s] for s in ("reported", "claimed", "decided", "in_progress", "deliberating")) > 30
