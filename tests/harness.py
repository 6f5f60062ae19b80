"""A small driver for tests: talk to the real dispatcher as people in chats, read what was sent.

The only fake is the outermost edge: ``RecordingTransport`` stands in for a chat platform
and records every message the sender hands it.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.bootstrap import App
from bot.delivery import Delivery, Receipt
from bot.replay import PLATFORM, Replay, text_of
from handlers.messages import Incoming, Result


@dataclass
class SentMessage:
    to: str
    text: str
    kind: str
    concern: int | None
    reply_to: str | None
    buttons: list


class RecordingTransport:
    platform = PLATFORM

    def __init__(self) -> None:
        self.sent: list[SentMessage] = []

    async def send(self, delivery: Delivery) -> Receipt:
        message = delivery.message
        self.sent.append(SentMessage(delivery.target.label, text_of(message), delivery.kind, delivery.concern_id,
                                     delivery.target.reply_to, [list(row) for row in getattr(message, "buttons", ())]))
        return Receipt(f"out{delivery.row_id}")


class Harness:
    """Drives an ``App`` (built with a ``SimulatedClock``) the way a replay does."""

    def __init__(self, app: App) -> None:
        self.app = app
        self.transport = RecordingTransport()
        self.replay = Replay(app, self.transport)
        self._seq = 0

    @property
    def now(self) -> datetime:
        return self.app.clock.now()

    def say(self, chat: str, who: str, text: str, *, reply_to: str | None = None,
            reply_to_concern: int | None = None, lang: str | None = None) -> tuple[Result, list[SentMessage]]:
        """Post ``text`` as ``who`` in ``chat`` ("private" for their private chat); return the
        result and the messages the bot sent because of it."""
        self._seq += 1
        private = chat == "private"
        message = Incoming(platform=PLATFORM, chat_id="@" + who if private else chat, sender_id=who,
                           sender_name=who, text=text, at=self.now, message_id=f"m{self._seq}",
                           reply_to_id=reply_to, reply_to_concern=reply_to_concern, private=private,
                           language=lang, event_id=f"m{self._seq}")
        before = len(self.transport.sent)
        result = self.app.dispatcher.handle(message)
        self.flush()
        return result, self.transport.sent[before:]

    def last_message_id(self) -> str:
        return f"m{self._seq}"

    def advance(self, delta: timedelta) -> list[SentMessage]:
        """Let time pass, running scheduled work at its own due times; return what was sent."""
        before = len(self.transport.sent)
        self.replay.advance(self.now + delta)
        return self.transport.sent[before:]

    def flush(self) -> None:
        self.replay.flush()


def texts_to(messages: list[SentMessage], to: str) -> list[str]:
    return [m.text for m in messages if m.to == to]
