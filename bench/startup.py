"""Cold start and resident memory of `shangliang run`, beside PTB's minimal echo bot.

Each start execs the command as an operator does (``.venv/bin/shangliang run --config …``,
token from the environment) against the local Bot API sandbox; the time is from just before
exec to the first ``getUpdates`` request reaching the sandbox. Every start is on a fresh
database already migrated (a deployment runs ``shangliang migrate`` once), and one more
start on an empty database (which it migrates) is reported apart. The moment the bot polls,
a resident posts a report: the first-report latency is from that post to the bot's answer
reaching the sandbox, and the answer must name the category the intake gives the text.
Then 99 more reports; memory (VmRSS) is read when polling starts and after all 100 are
answered. The echo bot (bench/echo_bot.py) gets the same starts and the same messages;
the two alternate, so both see the same machine.
"""
from __future__ import annotations

import asyncio
import statistics
import tempfile
import time
from pathlib import Path

from . import telegram_rig as rig
from .corpus import reports
from .databases import Database

GRIDS = 100
TARGET_S = 2.0


def add_arguments(parser) -> None:
    parser.add_argument("--startup-repeats", type=int, default=5, help="startup: starts of each bot (default 5)")
    parser.add_argument("--startup-reports", type=int, default=100,
                        help="startup: reports after each start before memory is read again (default 100)")


async def _one(command, db: Database, folder: Path, batch: list, *, migrated: bool) -> dict:
    sb = await rig.sandbox(GRIDS)
    try:
        config = rig.write_config(folder, GRIDS, db, sb)
        if migrated and command is _ours:
            await rig.migrate(db)
        bot = await rig.start(sb, command(config, sb), folder / "bot.log")
        try:
            answers = rig.Answers(sb)
            posted = time.perf_counter()
            first = rig.say(sb, batch[0])
            await rig.wait(lambda: first in answers.scan(), 60, step=0.002)
            latency = answers.at[first] - posted
            cpu_first = rig.cpu_s(bot.pid)
            bot.rss["first"] = rig.rss_mb(bot.pid)
            text = answers.text[first]
            keys = [first, *(rig.say(sb, r) for r in batch[1:])]
            await rig.wait(lambda: all(k in answers.scan() for k in keys), 30 + len(keys))
            bot.rss["after"] = rig.rss_mb(bot.pid)
        finally:
            await rig.stop(bot)
        if sb.errors:
            raise RuntimeError(f"the sandbox saw broken requests: {sb.errors[:3]}")
        if rig.apologies(answers, keys):
            raise RuntimeError(f"reports answered with the apology; the bot's log:\n{bot.log.read_text()[-3000:]}")
        return {"to_polling_s": bot.polling_at - bot.started, "cpu_to_polling_s": bot.cpu_to_polling,
                "first_answer_s": latency, "exec_to_first_answer_s": answers.at[first] - bot.started,
                "cpu_to_first_answer_s": cpu_first, "first_text": text, "first_report": batch[0].text,
                "rss_polling_mb": bot.rss["polling"],
                "rss_first_mb": bot.rss["first"], "rss_after_mb": bot.rss["after"]}
    finally:
        await sb.stop()


def _ours(config: Path, sb) -> list[str]:
    return rig.ours_command(config)


def _echo(config: Path, sb) -> list[str]:
    return rig.echo_command(sb)


async def measure(db: Database, repeats: int, per_start: int) -> dict:
    """``repeats`` starts of each bot on migrated fresh databases, and ours once on an empty one."""
    batches = iter([reports(per_start, GRIDS, seed=100 + n) for n in range(2 * repeats + 1)])
    ours, echo = [], []
    with tempfile.TemporaryDirectory(prefix="shangliang-startup-") as folder:
        for n in range(repeats):
            pair = [(_ours, ours), (_echo, echo)]
            for command, into in (pair if n % 2 == 0 else pair[::-1]):
                with db.fresh() as fresh:
                    into.append(await _one(command, fresh, Path(folder), next(batches), migrated=True))
        with db.fresh() as fresh:
            empty = await _one(_ours, fresh, Path(folder), next(batches), migrated=False)
    return {"ours": ours, "echo": echo, "empty": empty}


def classified_right(runs: list[dict]) -> bool:
    """Each first answer names the category the intake (built as the bot builds it) gives."""
    from handlers.nlp.pipeline import Intake
    from handlers.settings import Settings
    intake = Intake.load(tags=Settings().report_tags)
    return all(f"【{intake.analyse(r['first_report']).category}】" in r["first_text"] for r in runs)


def _stats(runs: list[dict], key: str) -> tuple[float, float]:
    values = [r[key] for r in runs]
    return statistics.median(values), max(values)


def run(db: Database, args) -> list[dict]:
    found = asyncio.run(measure(db, args.startup_repeats, args.startup_reports))
    ours, echo, empty = found["ours"], found["echo"], found["empty"]
    right = classified_right([*ours, empty])
    start, start_max = _stats(ours, "to_polling_s")
    e_start, e_max = _stats(echo, "to_polling_s")
    cpu, e_cpu = _stats(ours, "cpu_to_polling_s")[0], _stats(echo, "cpu_to_polling_s")[0]
    first, first_max = _stats(ours, "first_answer_s")
    e_first, _ = _stats(echo, "first_answer_s")
    rss = statistics.median(r["rss_after_mb"] for r in ours)
    rss_polling = statistics.median(r["rss_polling_mb"] for r in ours)
    e_rss = statistics.median(r["rss_after_mb"] for r in echo)
    e_rss_polling = statistics.median(r["rss_polling_mb"] for r in echo)
    common = {"database": db.name, "starts": len(ours), "reports_per_start": args.startup_reports}
    return [
        {"bench": "startup: to polling", **common, "median_s": start, "max_s": start_max,
         "empty_database_s": empty["to_polling_s"], "target_s": TARGET_S, "met": start_max <= TARGET_S,
         "cpu_s": cpu, "peer_median_s": e_start, "peer_max_s": e_max, "peer_cpu_s": e_cpu, "ratio": start / e_start,
         "figure": f"{start:.2f} s (CPU {cpu:.2f}), max {start_max:.2f}; empty db {empty['to_polling_s']:.2f}",
         "peer": f"PTB echo bot: {e_start:.2f} s (CPU {e_cpu:.2f}), max {e_max:.2f}"},
        {"bench": "startup: first report", **common, "median_s": first, "max_s": first_max,
         "exec_to_answer_s": _stats(ours, "exec_to_first_answer_s")[0],
         "cpu_to_answer_s": _stats(ours, "cpu_to_first_answer_s")[0],
         "classified_right": right, "peer_median_s": e_first, "ratio": first / e_first,
         "figure": f"answered in {1000 * first:.0f} ms, max {1000 * first_max:.0f}"
                   + ("" if right else " MISCLASSIFIED"),
         "peer": f"echo answered in {1000 * e_first:.0f} ms"},
        {"bench": "startup: memory", **common, "rss_polling_mb": rss_polling, "rss_after_mb": rss,
         "peer_rss_polling_mb": e_rss_polling, "peer_rss_after_mb": e_rss, "ratio": rss / e_rss,
         "figure": f"RSS {rss_polling:.0f} MB polling, {rss:.0f} after {args.startup_reports}",
         "peer": f"echo: {e_rss_polling:.0f} MB, {e_rss:.0f} after"},
    ]
