"""Telegram's rate limits on sending, as the Bot API FAQ states them (off unless asked for).

"My bot is hitting limits, how do I avoid this?" (Bot API FAQ):

- a particular chat: "avoid sending more than one message per second. We may allow short
  bursts that go over this limit" — here for private chats: a token bucket of
  ``private_burst`` (3) refilled at 1 a second;
- bulk: "the API will not allow more than 30 messages per second or so" — a token bucket of
  ``overall_burst`` (30) refilled at 30 a second, over every chat;
- "your bot will not be able to send more than 20 messages per minute to the same group" —
  a sliding window: at most 20 in any 60 seconds, per group, supergroup or channel.

Only sending methods count (``send*`` but ``sendChatAction``, ``forward*``, ``copy*``): edits,
polls stopped, answers to button presses do not. A call one rule refuses is answered as
Telegram does, ``429 Too Many Requests: retry after N`` with ``parameters.retry_after`` N (whole
seconds, at least 1: until every rule would admit it), charges nothing, and is counted in
``refused`` (and ``refusals`` by rule). ``admitted`` keeps (time, chat id) of every send let
through, so a test can check the windows itself.
"""
from __future__ import annotations

import copy
import math
import time
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .base import ApiError


def counts(method: str) -> bool:
    """Whether a Bot API method sends a message (and so counts against the limits)."""
    return (method.startswith("send") and method != "sendChatAction") or method.startswith(("forward", "copy"))


@dataclass
class Bucket:
    """``burst`` sends at once, then ``per_second``: the generic cell rate algorithm."""

    per_second: float
    burst: int
    _tat: float = field(default=-math.inf, repr=False)  # theoretical arrival time of the next send

    def wait(self, now: float) -> float:
        return max(0.0, self._tat - (self.burst - 1) / self.per_second - now)

    def take(self, now: float) -> None:
        self._tat = max(self._tat, now) + 1 / self.per_second


@dataclass
class Window:
    """At most ``limit`` sends in any ``seconds``."""

    limit: int
    seconds: float
    _sent: deque = field(default_factory=deque, repr=False)

    def wait(self, now: float) -> float:
        while self._sent and self._sent[0] <= now - self.seconds:
            self._sent.popleft()
        return 0.0 if len(self._sent) < self.limit else self._sent[0] + self.seconds - now

    def take(self, now: float) -> None:
        self._sent.append(now)


class RateLimits:
    """Telegram's limits for one bot; ``clock`` is seconds on a monotonic scale.

    ``group_window`` (60 s) may be shortened, with a pacer's window to match, for tests that
    must see a group's window pass in seconds.
    """

    def __init__(self, *, overall_per_second: float = 30, overall_burst: int = 30, group_per_minute: int = 20,
                 group_window: float = 60.0, private_per_second: float = 1, private_burst: int = 3,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self.overall = Bucket(overall_per_second, overall_burst)
        self.group = Window(group_per_minute, group_window)        # each group's rule, as it starts
        self.private = Bucket(private_per_second, private_burst)   # each private chat's
        self._chats: dict[Any, Bucket | Window] = {}
        self.refused = 0
        self.refusals: Counter = Counter()  # by rule: "overall", "group", "private"
        self.admitted: list[tuple[float, Any]] = []

    def wait(self, chat_id: Any, chat_type: str | None) -> float:
        """Seconds until a send to that chat would be let through (0: now)."""
        return max(wait for wait, _ in self._waits(self._rules(chat_id, chat_type), self.clock()))

    def charge(self, method: str, chat_id: Any, chat_type: str | None) -> None:
        """Let one call through (and count it), or raise Telegram's 429."""
        if not counts(method):
            return
        now = self.clock()
        rules = self._rules(chat_id, chat_type)
        waits = self._waits(rules, now)
        longest, name = max(waits)
        if longest > 0:
            self.refused += 1
            self.refusals[name] += 1
            retry_after = max(1, math.ceil(longest))
            raise ApiError(429, f"Too Many Requests: retry after {retry_after}", retry_after)
        for _, rule in rules:
            rule.take(now)
        self.admitted.append((now, chat_id))

    def _rules(self, chat_id: Any, chat_type: str | None) -> list[tuple[str, Bucket | Window]]:
        rules: list[tuple[str, Bucket | Window]] = [("overall", self.overall)]
        if chat_type is not None:
            kind = "private" if chat_type == "private" else "group"
            rule = self._chats.get(chat_id)
            if rule is None:
                rule = self._chats[chat_id] = copy.deepcopy(self.private if kind == "private" else self.group)
            rules.append((kind, rule))
        return rules

    @staticmethod
    def _waits(rules, now: float) -> list[tuple[float, str]]:
        return [(rule.wait(now), name) for name, rule in rules]


def charge(sb, method: str, params: dict) -> None:
    """The server's hook: charge ``sb.limits`` (when on) for a decoded call."""
    if sb.limits is None or not counts(method):
        return
    chat_id = params.get("chat_id")
    if isinstance(chat_id, str) and chat_id.lstrip("-").isdigit():
        chat_id = int(chat_id)
    state = sb.world.chats.get(chat_id) if isinstance(chat_id, int) else None
    sb.limits.charge(method, chat_id, state.type if state is not None else None)
