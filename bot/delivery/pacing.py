"""Pacing policy: the limits a platform declares, kept by every sender together.

A transport that must keep rate limits says so with ``limits`` (Telegram's: ``TELEGRAM``).
Before each send the delivery core asks ``Pacer.ask`` "may this go to that chat now, else
when?". The answer is booked in the database (``storage.pacing``: one row for the bot, one
per chat, changed only under their row locks), so any number of ``shangliang deliver``
processes share one budget instead of each spending its own. A send may wait a moment for
the bot's next slot (``wait_overall``); a chat that is busy for longer puts the row off —
with the chat's other waiting rows — until its slot, and the worker goes on with other
chats. A 429 that still comes holds the chat off for ``retry_after`` for every sender.

Telegram's limits (Bot API FAQ): about 30 messages a second for the bot, 20 a minute per
group, about one a second per private chat, short bursts allowed. Each is kept a little
inside the line, so the jitter between booking a slot and the request reaching Telegram
never crosses it: the bot's rate is 30 a second with bursts of 15 (Telegram's are taken to
be 30: half a second of jitter is absorbed), a group's window is 61 s for 20, a private
chat's bursts are 2. Every send into a chat is counted: edits and stopped polls too, which
Telegram is known to limit although the FAQ does not say how.
"""
from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy.orm import Session

from storage import pacing
from storage.pacing import Bucket, Rule, Window

from .outgoing import Target


@dataclass(frozen=True)
class Limits:
    overall: Rule          # every send of the bot
    group: Rule            # each group, supergroup or channel
    private: Rule          # each private chat
    wait_overall: float = 1.0   # seconds a send may wait for the bot's next slot, holding its row
    wait_chat: float = 0.05     # … for its chat's; longer, and the row is put off


TELEGRAM = Limits(overall=Bucket(per_second=30, burst=15), group=Window(count=20, seconds=61.0),
                  private=Bucket(per_second=1, burst=2))


@dataclass(frozen=True)
class Decision:
    """``go``: send after ``wait`` seconds. Otherwise try again in ``wait`` seconds; ``chat_busy``:
    the chat is the reason, so its other rows need not be tried before then either."""

    go: bool
    wait: float
    chat_busy: bool = False


class Pacer:
    def __init__(self, platform: str, limits: Limits, clock: Callable[[], float] = time.time) -> None:
        self.platform, self.limits, self.clock = platform, limits, clock

    def chat_key(self, target: Target) -> str:
        return f"{self.platform}:chat:{target.external_id}"

    def ask(self, session: Session, target: Target) -> Decision:
        """Book a slot for one send to ``target`` in the caller's transaction (it commits)."""
        lim = self.limits
        chat = pacing.Limit(self.chat_key(target), lim.private if target.private else lim.group, lim.wait_chat)
        overall = pacing.Limit(f"{self.platform}:all", lim.overall, lim.wait_overall)
        slot = pacing.take(session, [overall, chat], self.clock)
        wait = max(0.0, slot.at - slot.now)
        return Decision(slot.booked, wait, chat_busy=slot.held_by == chat.key)

    def refused(self, session: Session, target: Target, retry_after: float) -> None:
        """The platform answered 429: no sender sends to that chat before ``retry_after`` is over."""
        pacing.hold_off(session, self.chat_key(target), self.clock() + retry_after)
