"""Reports at scale: ``/stats`` for a year, the daily digest and a month's Excel ledger.

For each size (10,000, 100,000 and 1,000,000 concerns in 1,000 grids by default;
``--reports-sizes`` to choose), a fresh database gets a year of concerns with their lifecycle
rows (``bench.report_data``, Core executemany). Each report is then measured in a fresh
process of its own (``bench.report_probe``): its time (wall clock, and CPU time, which a
shared machine's other work does not inflate) and that process's peak resident memory beside
its memory at rest. /stats and the digest run ``--reports-repeat`` times (3), each in a new
process, and the median is shown; the ledger (a minute at a million) runs once. The ratio is
the time at N ÷ the time at the smallest size, printed beside N ÷ that size: a ratio well
under N/10k means the cost does not grow with the stored concerns.

Targets (issue 13), at 1,000,000 concerns: digest and ``/stats`` ≤ 2 s and ≤ 300 MB each; the
ledger built in a scheduled job, streamed to disk, ≤ 300 MB.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from sqlalchemy import update

from bot import config as config_loader
from bot.bootstrap import bootstrap
from bot.replay import PLATFORM
from handlers.clock import SimulatedClock
from storage.models import ScheduledJob

from . import report_data
from .community import write_config
from .corpus import PROBLEMS
from .databases import Database

GRIDS = 1000
SIZES = (10_000, 100_000, 1_000_000)
REPORTS = ("stats", "digest", "ledger")
FIGURES = {"stats": "/stats 2026", "digest": "digest 2027-01-01", "ledger": "ledger 2026-12"}
TARGET_S = {"stats": 2.0, "digest": 2.0}
TARGET_MB = 300.0
DIGEST = "digest:2027-01-01"  # the digest the probe runs (bench.report_data.NOW)


def add_arguments(parser) -> None:
    parser.add_argument("--reports-sizes", default=",".join(str(n) for n in SIZES),
                        help="reports: concerns stored, comma-separated (default 10000,100000,1000000)")
    parser.add_argument("--reports-grids", type=int, default=GRIDS, help="reports: grids (default 1,000)")
    parser.add_argument("--reports-repeat", type=int, default=3,
                        help="reports: runs of /stats and the digest at each size, the median shown (default 3)")


def categories() -> dict[str, str]:
    """The category the intake gives each of the corpus's problems."""
    from handlers.nlp.pipeline import Intake
    intake = Intake.load(tags=("#报事", "#求助", "#投诉", "#建议"))
    return {problem: intake.analyse(problem).category for problem in PROBLEMS}


def probe(what: str, config: Path, db: Database) -> dict:
    """One report in a fresh process; its JSON line."""
    command = [sys.executable, "-m", "bench.report_probe", what, "--config", str(config), "--url", db.url]
    if db.schema:
        command += ["--schema", db.schema]
    root = Path(__file__).resolve().parents[1]
    done = subprocess.run(command, cwd=root, capture_output=True, text=True, env=os.environ | {"PYTHONPATH": str(root)})
    if done.returncode != 0:
        raise RuntimeError(f"probe {what} failed:\n{done.stderr[-4000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def measure(db: Database, concerns: int, grids: int = GRIDS, kinds: dict | None = None,
            only: tuple[str, ...] = REPORTS, repeat: int = 1) -> dict:
    """Load ``concerns`` into a fresh database, then measure the bot at rest and each report:
    /stats and the digest ``repeat`` times (the run of median time kept, every time listed),
    the ledger once."""
    with db.fresh() as fresh, tempfile.TemporaryDirectory() as folder:
        config = write_config(Path(folder), grids, fresh.url)
        app = bootstrap(config_loader.load(config, environ={}), engine=fresh.engine(), platforms=(PLATFORM,),
                        clock=SimulatedClock(report_data.NOW - timedelta(hours=2)))
        try:
            started = time.perf_counter()
            rows = report_data.load(app, concerns, kinds or categories())
            loaded = time.perf_counter() - started
            print(f"reports: {db.name} {concerns:,} concerns, {rows:,} rows loaded in {loaded:.0f} s",
                  file=sys.stderr, flush=True)
            out = {"concerns": concerns, "rows": rows, "load_s": loaded, "idle": probe("idle", config, fresh)}
            for what in only:
                runs = []
                for _ in range(1 if what == "ledger" else max(1, repeat)):
                    if what == "digest":
                        _digest_due_again(app)
                    runs.append(probe(what, config, fresh))
                out[what] = sorted(runs, key=lambda r: r["seconds"])[len(runs) // 2] | {
                    "runs_s": [r["seconds"] for r in runs], "runs_jobs": [r.get("jobs_run") for r in runs]}
                print(f"reports: {db.name} {concerns:,} {what}: "
                      f"{json.dumps(out[what], ensure_ascii=False)[:300]}", file=sys.stderr, flush=True)
        finally:
            app.close()
    return out


def _digest_due_again(app) -> None:
    """The day's digest back on the schedule, as before its first run (a repeat measures the same)."""
    with app.engine.begin() as connection:
        connection.execute(update(ScheduledJob).where(ScheduledJob.dedupe_key == DIGEST)
                           .values(state="pending", done_at=None, result=""))


def run(db: Database, args) -> list[dict]:
    sizes = sorted(int(n) for n in str(args.reports_sizes).replace("_", "").split(",") if n.strip())
    kinds = categories()
    return table(db.name, [measure(db, n, args.reports_grids, kinds, repeat=args.reports_repeat) for n in sizes],
                 args.reports_grids)


def table(database: str, measured: list[dict], grids: int) -> list[dict]:
    """One row per report and size: its time beside the smallest size's, its memory beside rest."""
    base, n0 = measured[0], measured[0]["concerns"]
    out = []
    for what in REPORTS:
        for m in measured:
            got, first, n = m[what], base[what], m["concerns"]
            met = None
            if n >= 1_000_000:
                met = got["peak_rss_mb"] <= TARGET_MB and got["seconds"] <= TARGET_S.get(what, float("inf"))
            out.append({
                "bench": f"reports: {what}", "database": database, "concerns": n, "grids": grids,
                "report_s": got["seconds"], "runs_s": got.get("runs_s"), "cpu_s": got["cpu_s"], "peak_rss_mb": got["peak_rss_mb"],
                "rest_rss_mb": got["rest_rss_mb"], "startup_peak_mb": got["startup_peak_mb"],
                "idle_peak_mb": m["idle"]["peak_rss_mb"], "command_s": got.get("command_s"),
                "file_bytes": got.get("file_bytes"), "sent": got.get("sent"), "rows_loaded": m["rows"],
                "load_s": m["load_s"], "target_met": met,
                "figure": f"{FIGURES[what]} @{n:,}: {got['seconds']:.2f} s (cpu {got['cpu_s']:.2f}), "
                          f"{got['peak_rss_mb']:.0f} MB",
                "peer": f"@{n0:,}: {first['seconds']:.2f} s (N× {n / n0:g}); "
                        f"rest {got['rest_rss_mb']:.0f} MB",
                "ratio": got["seconds"] / first["seconds"] if first["seconds"] else float("inf"),
                "size_ratio": n / n0,
            })
    return out
