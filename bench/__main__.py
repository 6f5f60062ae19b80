"""``python -m bench``: the benchmarks of bench/README.md, printed as a table and written as JSON.

Every figure is printed beside its floor or peer measured in the same run, as a ratio: the
machines are noisy, so absolute numbers alone say little.
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

from . import intake, lookup
from .databases import available

BENCHES = {"intake": intake, "lookup": lookup}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--only", default=",".join(BENCHES), help="comma-separated: " + ", ".join(BENCHES))
    parser.add_argument("--db", default="sqlite,postgresql", help="sqlite, postgresql or both")
    parser.add_argument("--messages", type=int, default=20_000, help="intake: how many reports (default 20,000)")
    parser.add_argument("--grids", type=int, default=100, help="intake: over how many grids (default 100)")
    parser.add_argument("--stored", type=int, default=100_000,
                        help="lookup: open concerns stored in 1,000 grids (default 100,000)")
    parser.add_argument("--out", type=Path, default=Path("bench/results.json"))
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
            extra = {"stored": args.stored} if name == "lookup" else {}
            found = BENCHES[name].run(db, args.messages, args.grids, **extra)
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
        print(f"{'bench':<18} {'db':<11} {'n':>6} {'msg/s':>7} {'p50 ms':>7} {'p99 ms':>7}   "
              f"{'floor or peer':<34} {'ratio':>6}")
        print_row.header = True
    rate = f"{row['per_s']:>7.1f}" if "per_s" in row else f"{'':>7}"
    if "floor_per_s" in row:
        peer = f"floor {row['floor_per_s']:.0f} msg/s (÷ ours)"
    else:
        peer = f"{row['peer']}: p99 {row['peer_p99_ms']:.2f} ms"
    print(f"{row['bench']:<18} {row['database']:<11} {row['messages']:>6} {rate} {row['p50_ms']:>7.2f} "
          f"{row['p99_ms']:>7.2f}   {peer:<34} {row['ratio']:>6.1f}", flush=True)


print_row.header = False


def _cpus() -> int:
    import os
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


if __name__ == "__main__":
    sys.exit(main())
