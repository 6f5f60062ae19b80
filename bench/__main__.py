"""``python -m bench``: the benchmarks of bench/README.md, printed as a table and written as JSON.

Every figure is printed beside its floor or peer measured in the same run, as a ratio: the
machines are noisy, so absolute numbers alone say little. Each bench is a module with
``run(db, args) -> list[dict]`` (and, if it takes options, ``add_arguments(parser)``); a row
names its ``bench``, ``database``, a short ``figure`` (what we measured), a ``peer`` (what it
is set beside) and the ``ratio`` between them, plus whatever raw numbers it has.
"""
from __future__ import annotations

import argparse
import json
import logging
import platform
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

from . import intake, lookup, outbox, reports, startup, telegram_path
from .databases import available

BENCHES = {"intake": intake, "lookup": lookup, "reports": reports, "telegram_path": telegram_path,
           "outbox": outbox, "startup": startup}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--only", default=",".join(BENCHES), help="comma-separated: " + ", ".join(BENCHES))
    parser.add_argument("--db", default="sqlite,postgresql", help="sqlite, postgresql or both")
    parser.add_argument("--out", type=Path, default=Path("bench/results.json"))
    for module in BENCHES.values():
        if hasattr(module, "add_arguments"):
            module.add_arguments(parser)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    logging.getLogger("jieba").setLevel(logging.WARNING)

    databases = available(args.db.split(","))
    rows = []
    for name in args.only.split(","):
        if name not in BENCHES:
            parser.error(f"unknown bench {name!r}")
        for db in databases:
            started = time.perf_counter()
            found = BENCHES[name].run(db, args)
            for row in found:
                row["seconds"] = time.perf_counter() - started
                print_row(row)
            rows.extend(found)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({
        "at": datetime.now(timezone.utc).isoformat(timespec="seconds"), "python": platform.python_version(),
        "machine": platform.machine(), "cpus": _cpus(), "args": vars(args) | {"out": str(args.out)}, "rows": rows,
    }, ensure_ascii=False, indent=2, default=str), encoding="utf-8")
    print(f"\nwritten to {args.out}", file=sys.stderr)
    return 0


def print_row(row: dict) -> None:
    """One line: the figure, and beside it the floor or peer of the same run, and the ratio."""
    if not print_row.header:
        print(f"{'bench':<24} {'db':<11} {'figure':<44} {'floor or peer':<40} {'ratio':>6}")
        print_row.header = True
    print(f"{row['bench']:<24} {row['database']:<11} {row['figure']:<44} {row['peer']:<40} {row['ratio']:>6.2f}",
          flush=True)


print_row.header = False


def _cpus() -> int:
    import os
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


if __name__ == "__main__":
    sys.exit(main())
