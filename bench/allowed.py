"""The fastest drain Telegram's limits allow for a mix of chats: the peer of the outbox bench.

``shortest_drain`` plays the local Bot API server's own rules (``sandbox.telegram.limits``)
forward on a simulated clock: at every step the message that the rules let out soonest goes,
from the chat with the most still to send when several could (the backlog that would
otherwise hold up the end). Every step is one the server admits, so the result is a drain
time the limits allow. ``lower_bound`` is what no schedule can beat: the bot's rate for all
messages, and each chat's own rule for its messages alone. When the two agree, the first is
the shortest possible drain, and the bench's share of the allowed rate is exact.
"""
from __future__ import annotations

import math
from collections.abc import Callable, Sequence

from sandbox.telegram.limits import RateLimits

EPSILON = 1e-9  # seconds: a step lands just past the moment a rule admits, never on it


def shortest_drain(chats: Sequence[tuple[str, int]], make_limits: Callable[..., RateLimits] = RateLimits) -> float:
    """Seconds from the first send to the last; ``chats`` are (``"group"`` | ``"private"``, messages)."""
    clock = [0.0]
    limits = make_limits(clock=lambda: clock[0])
    left = {n: count for n, (_, count) in enumerate(chats) if count}
    kinds = {n: "private" if kind == "private" else "supergroup" for n, (kind, _) in enumerate(chats)}
    last = 0.0
    while left:
        wait, _, chat = min((limits.wait(n, kinds[n]), -count, n) for n, count in left.items())
        clock[0] += wait + (EPSILON if wait else 0.0)
        limits.charge("sendMessage", chat, kinds[chat])
        last = clock[0]
        left[chat] -= 1
        if not left[chat]:
            del left[chat]
    return last


def lower_bound(chats: Sequence[tuple[str, int]], limits: RateLimits | None = None) -> float:
    """No drain is shorter: the bot's bucket for every message, each chat's rule for its own."""
    limits = limits or RateLimits()
    total = sum(count for _, count in chats)
    bound = max(0, total - limits.overall.burst) / limits.overall.per_second
    group, private = limits.group, limits.private
    for kind, count in chats:
        if kind == "private":
            bound = max(bound, max(0, count - private.burst) / private.per_second)
        elif count:
            bound = max(bound, group.seconds * math.floor((count - 1) / group.limit))
    return bound
