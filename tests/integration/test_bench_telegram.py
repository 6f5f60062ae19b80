"""The Telegram benches (bench/startup.py, bench/telegram_path.py) run tiny, so they keep
working: `shangliang run` and PTB's echo bot as separate processes against the local Bot API
sandbox; every report answered (none with the apology), the first one with the category the
intake gives it, and figures that are numbers. Each bot start costs a second or two of CPU,
so the start-up bench runs on SQLite and the path on PostgreSQL (a schema the bot process
reaches through its URL); the benches themselves run on both."""
from __future__ import annotations

import argparse

from bench import startup, telegram_path
from bench.databases import Database

from ..conftest import PG_URL, _postgres_or_fail


def test_the_startup_bench_times_both_bots_and_the_first_report_is_classified_right():
    database = Database("sqlite", "sqlite://")
    rows = startup.run(database, argparse.Namespace(startup_repeats=1, startup_reports=3))
    polling, first, memory = rows
    assert [r["bench"] for r in rows] == ["startup: to polling", "startup: first report", "startup: memory"]
    assert all(r["database"] == database.name and r["ratio"] > 0 for r in rows)
    assert 0 < polling["median_s"] <= polling["max_s"] and polling["empty_database_s"] > 0
    assert polling["peer_median_s"] > 0
    assert first["classified_right"] is True and first["median_s"] > 0
    # the bot holds jieba once it has read a report; the echo bot holds no such thing
    assert memory["rss_after_mb"] > memory["rss_polling_mb"] > memory["peer_rss_polling_mb"] > 0


def test_the_telegram_path_bench_answers_every_report_through_both_bots():
    _postgres_or_fail().dispose()
    database = Database("postgresql", PG_URL)
    rows = telegram_path.run(database, argparse.Namespace(telegram_path_messages=20, telegram_path_rounds=1))
    [row] = rows
    assert row["bench"] == "telegram path" and row["database"] == database.name
    ours, echo = row["runs"]["ours"][0], row["runs"]["echo"][0]
    assert ours["messages"] == echo["messages"] == 20
    assert ours["sent"] >= 2 * 20  # an answer in the grid and the committee's card for each new concern...
    assert echo["sent"] == 20      # ...where the echo bot answers each once
    assert row["per_s"] > 0 and row["peer_per_s"] > 0 and row["ratio"] == row["per_s"] / row["peer_per_s"]
