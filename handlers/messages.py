"""The neutral messages adapters exchange with the handlers."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class Incoming:
    """One message from any platform, translated by its adapter.

    ``chat_id`` and ``sender_id`` are the platform's own ids; ``reply_to_id`` is the
    platform id of the message this one answers, and ``reply_to_concern`` lets an adapter
    that already knows the concern (a button, a forum topic, a replay's ``"#12"``) say so.
    """

    platform: str
    chat_id: str
    sender_id: str
    sender_name: str
    text: str
    at: datetime
    message_id: str | None = None
    reply_to_id: str | None = None
    reply_to_concern: int | None = None
    private: bool = False
    language: str | None = None
    event_id: str | None = None
    #: "text" for a typed message; "button" for a pressed button and "poll" for a native
    #: poll vote, whose answers the platform shows itself (nothing is posted for them).
    via: str = "text"
    #: the sender edited an earlier message (``message_id`` is that message's id)
    edited: bool = False
    #: a picture, voice or file came with the message (``text`` is its caption, maybe empty)
    media: bool = False
    #: the platform's id of the update that carried it, when the adapter stored that update
    #: in the inbox: the command marks it handled in its own transaction (exactly once)
    update_id: str | None = None


@dataclass(frozen=True)
class Result:
    """What became of an incoming message.

    ``status``: done, ignored (nothing for the bot), unbound (a group the bot is not bound
    to), refused (rules said no; ``reply`` says why), error (logged; an apology queued) or
    duplicate (the update was handled before: a redelivery after a restart).
    """

    status: str
    command: str | None = None
    reply: str | None = None
    concern: int | None = None
