"""Outbox drain: ``shangliang deliver`` worker processes sending to the local Bot API server.

The outbox is filled (``storage.outbox.enqueue``, round robin over the chats, as a burst of
reports leaves it) with messages for many group chats and some private chats, held back until
every worker is polling, then released at once. The workers are real ``shangliang deliver``
processes on PostgreSQL, talking HTTP to the sandbox in this process.

- **Limits on** (the sandbox answers 429 past 30/s overall, 20 a minute per group, about 1/s
  per private chat): 1, 2 and 4 workers. The figure is the drain time, first send to last;
  the peer is the shortest drain those limits allow for this mix (``allowed.shortest_drain``,
  checked against ``allowed.lower_bound``); ratio = allowed ÷ ours, the share of the allowed
  rate we reached (target ≥ 0.95), with the 429s the server gave (target 0).
- **Limits off**: messages/s with 1, 2 and 4 workers; the peer is 1 worker in the same run.

Every run also checks that each row was sent exactly once.
"""
from __future__ import annotations

from .allowed import lower_bound, shortest_drain
from .databases import Database
from .drain import Mix, drain


def add_arguments(parser) -> None:
    parser.add_argument("--outbox-groups", type=int, default=60, help="outbox: group chats (default 60)")
    parser.add_argument("--outbox-per-group", type=int, default=21, help="outbox: messages per group (default 21)")
    parser.add_argument("--outbox-private", type=int, default=60, help="outbox: private chats (default 60)")
    parser.add_argument("--outbox-per-private", type=int, default=10,
                        help="outbox: messages per private chat (default 10)")
    parser.add_argument("--outbox-workers", default="1,2,4", help="outbox: worker counts to drain with")
    parser.add_argument("--outbox-unlimited", type=int, default=1500,
                        help="outbox: messages for the runs without limits (0: skip them)")


def run(db: Database, args) -> list[dict]:
    """PostgreSQL only: several worker processes on one SQLite file is not a deployment we offer."""
    if db.name != "postgresql":
        return []
    workers = [int(n) for n in str(args.outbox_workers).split(",") if n]
    limited = Mix(args.outbox_groups, args.outbox_per_group, args.outbox_private, args.outbox_per_private)
    allowed, bound = shortest_drain(limited.chats()), lower_bound(limited.chats())
    rows = []
    for count in workers:
        with db.fresh() as fresh:
            got = drain(fresh, limited, count, limits=True)
        rows.append({"bench": "outbox, Telegram's limits", "database": db.name, "workers": count, **got,
                     "allowed_s": allowed, "lower_bound_s": bound, "ratio": allowed / got["drain_s"],
                     "figure": f"{got['messages']} msgs, {count} worker(s): {got['drain_s']:.1f} s, "
                               f"{got['refused']}×429",
                     "peer": f"allowed {allowed:.1f} s ({limited.describe()})"})
        if not allowed:
            raise ValueError("outbox: the mix fits in one burst; give it more messages")
    if args.outbox_unlimited:
        free = Mix.spread(args.outbox_unlimited, args.outbox_groups, args.outbox_private)
        single = None
        for count in sorted(set(workers) | {1}):  # the peer, 1 worker, first
            with db.fresh() as fresh:
                got = drain(fresh, free, count, limits=False)
            single = single or got["per_s"]
            rows.append({"bench": "outbox, no limits", "database": db.name, "workers": count, **got,
                         "ratio": got["per_s"] / single,
                         "figure": f"{got['messages']} msgs, {count} worker(s): {got['per_s']:.0f}/s",
                         "peer": f"1 worker {single:.0f}/s (ratio ours ÷ peer)"})
    return rows
