"""Intake: generated reports through the real dispatcher, beside the floor on the same database.

The pipeline is ``Dispatcher.handle`` as every adapter calls it (cleaning, parsing, the
sender and chat, the grid lock, jieba and the lexicon, duplicate folding, the concern and its
keys, deadlines and scheduled jobs, the outbox rows of the answers and the committee card).
"With delivery" also drains the outbox rows each message wrote through a transport that only
counts, so the delivery core's reads and writes are in the figure.

The floor is the least any intake must do per message: ``jieba.lcut`` of the text and one
committed SQLAlchemy Core insert of it into a one-table schema on the same database.
"""
from __future__ import annotations

import asyncio
import statistics
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

import jieba
from sqlalchemy import Column, DateTime, Integer, MetaData, String, Table, Text, insert

from bot import config as config_loader
from bot.bootstrap import bootstrap
from bot.delivery.core import DeliveryCore
from bot.delivery.outgoing import Delivery, Receipt
from bot.replay import PLATFORM
from handlers.clock import SimulatedClock
from handlers.messages import Incoming

from .community import grid_key, write_config
from .corpus import Report, reports
from .databases import Database

START = datetime.fromisoformat("2026-03-02T08:00:00+08:00")
STEP = timedelta(seconds=2)  # between two reports: nobody hits the flood limit


class CountingTransport:
    platform = PLATFORM

    def __init__(self) -> None:
        self.sent = 0

    async def send(self, delivery: Delivery) -> Receipt:
        self.sent += 1
        return Receipt(f"out{delivery.row_id}")


def figures(latencies: list[float], wall: float) -> dict:
    ordered = sorted(latencies)
    return {"messages": len(latencies), "per_s": len(latencies) / wall if wall else 0.0,
            "p50_ms": 1000 * statistics.median(ordered),
            "p99_ms": 1000 * ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))]}


def floor(db: Database, texts: list[str]) -> dict:
    """jieba.lcut plus one committed Core insert per message."""
    engine = db.engine()
    table = Table("floor_messages", MetaData(), Column("id", Integer, primary_key=True),
                  Column("chat", String(64)), Column("text", Text), Column("words", Integer),
                  Column("at", DateTime(timezone=True)))
    table.metadata.create_all(engine)
    latencies = []
    started = time.perf_counter()
    try:
        for n, text in enumerate(texts):
            t0 = time.perf_counter()
            words = jieba.lcut(text)
            with engine.begin() as connection:
                connection.execute(insert(table).values(chat=f"c{n % 100}", text=text, words=len(words),
                                                        at=START + n * STEP))
            latencies.append(time.perf_counter() - t0)
        return figures(latencies, time.perf_counter() - started)
    finally:
        engine.dispose()


def pipeline(db: Database, batch: list[Report], grids: int, *, deliver: bool) -> dict:
    with tempfile.TemporaryDirectory() as folder:
        config = config_loader.load(write_config(Path(folder), grids, db.url), environ={})
        clock = SimulatedClock(START)
        app = bootstrap(config, clock=clock, engine=db.engine(), platforms=(PLATFORM,))
        transport = CountingTransport()
        core = DeliveryCore(app.sessions, transport, clock, language=config.settings.language)
        loop = asyncio.new_event_loop()  # one loop for the run, as in `shangliang run`
        statuses: dict[str, int] = {}
        latencies = []
        try:
            app.intake.analyse("#报事 3栋路灯坏了")  # jieba's dictionary loaded before the clock starts
            started = time.perf_counter()
            for n, report in enumerate(batch):
                clock.set(START + (n + 1) * STEP)
                message = Incoming(platform=PLATFORM, chat_id=grid_key(report.grid), sender_id=report.sender,
                                   sender_name=report.name, text=report.text, at=clock.now(), message_id=f"m{n}",
                                   event_id=f"m{n}")
                t0 = time.perf_counter()
                result = app.dispatcher.handle(message)
                if deliver:  # what the message wrote, sent before the next one comes
                    while loop.run_until_complete(core.drain_once(clock.now())):
                        pass
                latencies.append(time.perf_counter() - t0)
                statuses[result.status] = statuses.get(result.status, 0) + 1
            out = figures(latencies, time.perf_counter() - started)
        finally:
            loop.close()
            app.close()
        out["statuses"] = statuses
        if deliver:
            out["sent"] = transport.sent
        return out


def add_arguments(parser) -> None:
    parser.add_argument("--messages", type=int, default=20_000, help="intake: how many reports (default 20,000)")
    parser.add_argument("--grids", type=int, default=100, help="intake: over how many grids (default 100)")


def run(db: Database, args) -> list[dict]:
    """The two figures on one database, each beside the floor measured just before it."""
    grids = args.grids
    batch = reports(args.messages, grids)
    rows = []
    for deliver in (False, True):
        with db.fresh() as fresh:
            base = floor(fresh, [r.text for r in batch])
        with db.fresh() as fresh:
            ours = pipeline(fresh, batch, grids, deliver=deliver)
        rows.append({"bench": "intake" + (" + delivery" if deliver else ""), "database": db.name, **ours,
                     "floor_per_s": base["per_s"], "floor_p99_ms": base["p99_ms"],
                     "ratio": base["per_s"] / ours["per_s"] if ours["per_s"] else float("inf"),
                     "figure": f"{ours['messages']} msgs {ours['per_s']:.0f}/s p50 {ours['p50_ms']:.1f} p99 "
                               f"{ours['p99_ms']:.1f} ms",
                     "peer": f"floor {base['per_s']:.0f}/s (ratio floor ÷ ours)"})
    return rows
