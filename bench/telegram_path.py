"""Updates per second through the real bot and the local Bot API server, beside PTB's echo bot.

`shangliang run` (a separate process, long polling, on the bench's SQLite file or PostgreSQL
schema, no rate limiter) is started against the sandbox and, once it polls, N generated
reports from residents of 100 grids are posted at once; the figure is N over the time from
the first post to the last answer (the bot's reply quoting the report) reaching the sandbox.
The reports take the whole path: getUpdates, the inbox, the dispatcher, the outbox and the
delivery core's sendMessage (each report also sends the committee its card, which is not
waited for). The peer is PTB's minimal echo bot (bench/echo_bot.py) answering the same N
messages on a sandbox of its own in the same run; the ratio is ours/echo (target ≥ 0.5).
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
TARGET = 0.5


def add_arguments(parser) -> None:
    parser.add_argument("--telegram-path-messages", type=int, default=2000,
                        help="telegram path: reports posted at once (default 2,000)")
    parser.add_argument("--telegram-path-rounds", type=int, default=1,
                        help="telegram path: rounds of ours and the echo bot, alternating (default 1)")


async def through(command, db: Database, folder: Path, batch: list, *, migrate: bool) -> dict:
    """Start the bot, post ``batch`` once it polls, wait for every answer; the figures."""
    sb = await rig.sandbox(GRIDS)
    try:
        config = rig.write_config(folder, GRIDS, db, sb)
        if migrate:
            await rig.migrate(db)
        bot = await rig.start(sb, command(config, sb), folder / "bot.log")
        try:
            answers = rig.Answers(sb)
            cpu0 = rig.cpu_s(bot.pid)
            posted = {}
            first = time.perf_counter()
            for report in batch:
                posted[rig.say(sb, report)] = time.perf_counter()
            queued = time.perf_counter() - first
            await rig.wait(lambda: len(answers.scan().keys() & posted.keys()) == len(posted), 60 + len(batch) / 2,
                           step=0.05)
            cpu = rig.cpu_s(bot.pid) - cpu0
            rss = rig.rss_mb(bot.pid)
        finally:
            await rig.stop(bot)
        if sb.errors:
            raise RuntimeError(f"the sandbox saw broken requests: {sb.errors[:3]}")
        failed = rig.apologies(answers, posted)
        if failed:
            raise RuntimeError(f"{failed} of {len(posted)} reports were answered with the apology; the bot's log:\n"
                               f"{bot.log.read_text()[-3000:]}")
        last = max(answers.at[k] for k in posted)
        latencies = sorted(answers.at[k] - at for k, at in posted.items())
        return {"messages": len(batch), "seconds": last - first, "per_s": len(batch) / (last - first),
                "post_s": queued, "cpu_s": cpu, "cpu_ms_per_update": 1000 * cpu / len(batch), "rss_mb": rss,
                "p50_s": statistics.median(latencies), "max_s": latencies[-1],
                "requests": len(sb.calls), "sent": sum(1 for c in sb.calls if c.method == "sendMessage")}
    finally:
        await sb.stop()


def _ours(config: Path, sb) -> list[str]:
    return rig.ours_command(config)


def _echo(config: Path, sb) -> list[str]:
    return rig.echo_command(sb)


async def measure(db: Database, messages: int, rounds: int) -> dict:
    ours, echo = [], []
    with tempfile.TemporaryDirectory(prefix="shangliang-tgpath-") as folder:
        for n in range(rounds):
            batch = reports(messages, GRIDS, seed=300 + n)
            pair = [(_ours, ours), (_echo, echo)]
            for command, into in (pair if n % 2 == 0 else pair[::-1]):
                with db.fresh() as fresh:
                    into.append(await through(command, fresh, Path(folder), batch, migrate=command is _ours))
    return {"ours": ours, "echo": echo}


def run(db: Database, args) -> list[dict]:
    found = asyncio.run(measure(db, args.telegram_path_messages, args.telegram_path_rounds))
    ours = statistics.median(r["per_s"] for r in found["ours"])
    echo = statistics.median(r["per_s"] for r in found["echo"])
    best = min(found["ours"], key=lambda r: abs(r["per_s"] - ours))
    peer = min(found["echo"], key=lambda r: abs(r["per_s"] - echo))
    return [{"bench": "telegram path", "database": db.name, "messages": args.telegram_path_messages,
             "rounds": args.telegram_path_rounds, "per_s": ours, "peer_per_s": echo, "ratio": ours / echo,
             "target": TARGET, "met": ours / echo >= TARGET,
             "cpu_ms_per_update": best["cpu_ms_per_update"], "peer_cpu_ms_per_update": peer["cpu_ms_per_update"],
             "p50_s": best["p50_s"], "max_s": best["max_s"], "post_s": best["post_s"], "rss_mb": best["rss_mb"],
             "runs": found,
             "figure": f"{ours:.0f} updates/s ({best['cpu_ms_per_update']:.1f} ms CPU each)",
             "peer": f"PTB echo bot: {echo:.0f}/s ({peer['cpu_ms_per_update']:.1f} ms CPU)"}]
