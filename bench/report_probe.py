"""One report measured in a process of its own: ``python -m bench.report_probe WHAT ...``.

The process starts the bot as ``shangliang run`` would (``bootstrap``: migrations, the intake
with jieba loaded, the directory), then does one thing the way it happens in production and
prints one JSON line: its time (wall clock, and the CPU time of this process and of its
PostgreSQL server processes, which other people's work on a shared machine does not inflate)
and the process's memory, read by the process itself from
/proc/self/status, so no other measurement's peak can hide in it — the resident set at rest
(``VmRSS`` after start-up), the start-up's own peak, and the peak while the report runs: the
high-water mark is reset (``/proc/self/clear_refs``) once the bot is at rest, so that figure is
the bot process's peak during the report (its rest included), not start-up's.

- ``idle``: ``/帮助`` from the coordinator (the bot at rest: the memory every figure includes);
- ``stats``: ``/统计 2026`` from the coordinator, through the dispatcher;
- ``digest``: the ticker's ``run_due`` at 08:30 with the day's digest due;
- ``ledger``: ``/导出 2026-12`` from the coordinator, then the ticker's ``run_due`` (the job
  that builds the workbook, if the command left one), until the file is in the outbox.
"""
from __future__ import annotations

import argparse
import gc
import json
import os
import resource
import sys
import time
from datetime import timedelta

from sqlalchemy import event, func, select

from bot import config as config_loader
from bot.bootstrap import bootstrap
from bot.replay import PLATFORM
from handlers.clock import SimulatedClock
from handlers.messages import Incoming
from storage.db import make_engine
from storage.models import OutboxMessage, StoredFile

from .report_data import NOW

COMMANDS = {"idle": "/帮助", "stats": "/统计 2026", "ledger": "/导出 2026-12"}


def memory_mb(field: str = "VmHWM") -> float:
    """This process's peak (``VmHWM``) or current (``VmRSS``) resident set, in MB."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def reset_peak() -> bool:
    """Start the high-water mark again from the current resident set (Linux 4.0 and later)."""
    try:
        with open("/proc/self/clear_refs", "w", encoding="ascii") as refs:
            refs.write("5")
        return True
    except OSError:
        return False


def backend_pids(engine) -> list[int]:
    """The PostgreSQL server processes of ``engine``'s connections, as they are opened."""
    pids: list[int] = []
    if engine.dialect.name == "postgresql":
        @event.listens_for(engine, "connect")
        def _remember(dbapi_connection, _record) -> None:
            with dbapi_connection.cursor() as cursor:
                cursor.execute("SELECT pg_backend_pid()")
                pids.append(cursor.fetchone()[0])
    return pids


def cpu_s(pids: list[int]) -> float:
    """CPU seconds used so far by this process and by the server processes ``pids`` (same host):
    on a shared machine the wall clock waits for other people's work, CPU time does not."""
    used = time.process_time()
    tick = os.sysconf("SC_CLK_TCK")
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
            used += (int(fields[11]) + int(fields[12])) / tick  # utime, stime
        except (OSError, IndexError, ValueError):
            pass
    return used


def say(app, text: str):
    message = Incoming(platform=PLATFORM, chat_id="coordinators", sender_id="ma", sender_name="马书记", text=text,
                       at=app.clock.now(), message_id="probe", private=False, event_id="probe")
    return app.dispatcher.handle(message)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.report_probe")
    parser.add_argument("what", choices=("idle", "stats", "digest", "ledger"))
    parser.add_argument("--config", required=True)
    parser.add_argument("--url", required=True)
    parser.add_argument("--schema")
    args = parser.parse_args(argv)
    kwargs = {"connect_args": {"options": f"-csearch_path={args.schema}"}} if args.schema else {}
    engine = make_engine(args.url, **kwargs)
    pids = backend_pids(engine)
    # the digest is due at NOW; everything else runs an hour before, when no timed work is due
    clock = SimulatedClock(NOW if args.what == "digest" else NOW - timedelta(hours=1))
    app = bootstrap(config_loader.load(args.config, environ={}), clock=clock, engine=engine, platforms=(PLATFORM,))
    gc.collect()
    out: dict = {"what": args.what, "startup_peak_mb": memory_mb(), "rest_rss_mb": memory_mb("VmRSS"),
                 "peak_reset": reset_peak()}
    try:
        started, cpu = time.perf_counter(), cpu_s(pids)
        if args.what == "digest":
            out["jobs_run"] = app.run_due()
        else:
            result = say(app, COMMANDS[args.what])
            out["status"] = result.status
            out["command_s"] = time.perf_counter() - started
            if args.what == "ledger":
                out["jobs_run"] = app.run_due()
        out["seconds"] = time.perf_counter() - started
        out["cpu_s"] = cpu_s(pids) - cpu
        out["server_cpu_counted"] = bool(pids)
        out["peak_rss_mb"] = memory_mb()
        out.update(_outcome(app, args.what))
    finally:
        app.close()
    print(json.dumps(out))
    return 0


def _outcome(app, what: str) -> dict:
    """What a coordinator would have got: the reply's or digest's length, the ledger's file."""
    with app.sessions() as session:
        kind = {"idle": "reply:help", "stats": "reply:stats", "digest": "digest.body", "ledger": "reply:export"}[what]
        row = session.scalars(select(OutboxMessage).where(OutboxMessage.kind == kind)
                              .order_by(OutboxMessage.id.desc())).first()
        if row is None:
            return {"sent": False}
        out = {"sent": True, "text_chars": len(row.text), "text": row.text[:400]}
        if "file" in (row.payload or {}):
            out["file_bytes"] = session.scalar(select(func.length(StoredFile.content))
                                               .where(StoredFile.id == row.payload["file"]))
        return out


if __name__ == "__main__":
    sys.exit(main())
