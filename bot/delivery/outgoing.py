"""What an adapter is asked to send, what it answers, and how it says a send failed.

Typed messages replace the outbox's payload dicts at the adapter's door: a ``Text`` (with
buttons, maybe opening a forum topic), an ``Edit`` of a card sent before, a native ``Poll``
and its ``StopPoll``, a ``File``. The adapter renders them as its platform can (the
capabilities it declares decide what the handlers asked for in the first place) and returns
a ``Receipt``.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol, Union


@dataclass(frozen=True)
class Target:
    """Where a message goes: the platform's chat (or user) id, and how to thread it there."""

    external_id: str
    label: str                       # a readable name for logs and transcripts
    private: bool = False
    reply_to: str | None = None      # the platform message id this answers (quoted)
    thread: str | None = None        # the forum topic the concern already has in this chat
    forum: bool = False              # the chat is a forum (it has topics)


@dataclass(frozen=True)
class Text:
    text: str
    buttons: tuple = ()              # rows of {"label", "command" | "start"}
    open_topic: str | None = None    # open a forum topic of this name for the concern, if the chat is a forum


@dataclass(frozen=True)
class Edit:
    message_id: str
    text: str
    buttons: tuple = ()


@dataclass(frozen=True)
class Poll:
    question: str
    options: tuple[str, ...]
    multiple: bool
    closes_at: datetime


@dataclass(frozen=True)
class StopPoll:
    message_id: str
    closes_at: datetime


@dataclass(frozen=True)
class File:
    name: str
    media_type: str
    content: bytes = field(repr=False)
    caption: str = ""


Outgoing = Union[Text, Edit, Poll, StopPoll, File]


@dataclass(frozen=True)
class Delivery:
    """One outbox row, ready for an adapter."""

    row_id: int
    kind: str
    concern_id: int | None
    target: Target
    message: Outgoing


@dataclass(frozen=True)
class Receipt:
    """What the platform said it did; the core stores it."""

    message_id: str | None = None
    poll_id: str | None = None       # a native poll's own id (its votes arrive under it)
    topic_id: str | None = None      # a forum topic the send opened
    #: a platform without buttons numbered the buttons' commands in a private chat:
    #: a bare "2" from that person then means ``menu[1]``
    menu: tuple[str, ...] = ()


class RetryLater(Exception):
    """429, 5xx, a time-out: send the row again after ``seconds``.

    ``throttled``: the platform said "too many requests" (429). Such a row is retried for as
    long as it takes, never given up, and nobody sends to its chat before ``seconds`` are over.

    Any of these errors may carry ``partial``: a ``Receipt`` of what the platform did before
    it failed (a forum topic opened), which the core stores so a retry does not do it again.
    """

    def __init__(self, seconds: float, reason: str = "", *, throttled: bool = False) -> None:
        super().__init__(reason or f"retry after {seconds}s")
        self.seconds = seconds
        self.throttled = throttled


class Unreachable(Exception):
    """The recipient cannot be reached on this platform (blocked, kicked, never started)."""


class Rejected(Exception):
    """The platform refuses this message for good (malformed, too long, chat gone)."""


class Moved(Exception):
    """The chat has a new id on the platform (a Telegram group became a supergroup)."""

    def __init__(self, new_external_id: str) -> None:
        super().__init__(f"chat moved to {new_external_id}")
        self.new_external_id = new_external_id


class Transport(Protocol):
    """An adapter's sender. It may also have ``limits``: the platform's rate limits
    (``pacing.Limits``), which the core then keeps together with every other sender."""

    platform: str

    async def send(self, delivery: Delivery) -> Receipt:
        """Deliver, or raise RetryLater / Unreachable / Rejected / Moved."""
