"""The inbox as adapters use it: store an update before confirming it, list what a crash left.

Adapters call these from the event loop (each call runs in a worker thread and opens its
own short transaction); the command that handles an update marks it handled inside the
command's transaction (``handlers.dispatch``), and ``settle`` marks the updates that no
command took (a chat-member change, chatter the bot ignores). ``earlier`` lists what a
sender sent before an update and is still unhandled (stored by another process, say).
"""
from __future__ import annotations

import asyncio
import logging

from sqlalchemy.orm import Session, sessionmaker

from handlers.clock import Clock
from storage import inbox

log = logging.getLogger(__name__)
PRUNE_EVERY = 500  # stores between two clean-ups of old handled rows


class Inbox:
    def __init__(self, sessions: sessionmaker[Session], clock: Clock) -> None:
        self.sessions, self.clock = sessions, clock
        self._stored = 0

    async def store(self, platform: str, external_id: str, payload: dict, sender: str | None = None) -> bool:
        """Keep the update durably; False if it was kept before (a redelivery)."""
        return (await self.keep(platform, external_id, payload, sender))[0]

    async def keep(self, platform: str, external_id: str, payload: dict, sender: str | None) -> tuple[bool, bool]:
        """``store``, and whether the sender had an earlier update still unhandled then."""
        return await asyncio.to_thread(self._store, platform, external_id, payload, sender)

    async def earlier(self, platform: str, sender: str, external_id: str) -> list[dict]:
        """Payloads of the sender's unhandled updates stored before this one, oldest first."""
        return await asyncio.to_thread(self._earlier, platform, sender, external_id)

    async def pending(self, platform: str) -> list[dict]:
        """Payloads of stored updates not yet handled, oldest first."""
        return await asyncio.to_thread(self._pending, platform)

    async def settle(self, platform: str, external_id: str) -> None:
        """Mark an update handled if no command did (idempotent)."""
        await asyncio.to_thread(self._settle, platform, external_id)

    def _store(self, platform: str, external_id: str, payload: dict, sender: str | None) -> tuple[bool, bool]:
        now = self.clock.now()
        with self.sessions() as session:
            new = inbox.store(session, platform, external_id, payload, now, sender)
            behind = new and sender is not None and inbox.behind(session, platform, sender, external_id)
            self._stored += 1
            if self._stored % PRUNE_EVERY == 1:
                inbox.prune(session, now)
            session.commit()
        return new, behind

    def _earlier(self, platform: str, sender: str, external_id: str) -> list[dict]:
        with self.sessions() as session:
            return inbox.earlier(session, platform, sender, external_id)

    def _pending(self, platform: str) -> list[dict]:
        with self.sessions() as session:
            return [row.payload for row in inbox.pending(session, platform)]

    def _settle(self, platform: str, external_id: str) -> None:
        with self.sessions() as session:
            inbox.take(session, platform, external_id, self.clock.now())
            session.commit()
