"""The neutral host: one process serving one or several chat platforms.

It owns what no platform should: the ticker that runs timed work, and one delivery core
per platform draining that platform's outbox rows. Adapters (``bot/telegram``, later
``bot/wechat``) only translate: they hand each incoming message to ``handle`` and, once
they can send, ``attach`` their transport. ``serve`` starts the adapters, waits for SIGINT
or SIGTERM and stops them, so ``shangliang run`` serves every platform the config enables.
"""
from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import Sequence
from typing import Protocol

from handlers.messages import Incoming, Result
from storage import queries

from .bootstrap import App
from .inbox import Inbox
from .delivery import Transport
from .delivery.core import DeliveryCore
from .ticker import Ticker

log = logging.getLogger(__name__)
SIGNALS = (signal.SIGINT, signal.SIGTERM)
STOP_GRACE = 10.0  # seconds a stopping platform's delivery core may take to finish its batch


class Adapter(Protocol):
    platform: str

    async def start(self) -> None:
        """Begin receiving (and, through ``Host.attach``, sending)."""

    async def stop(self) -> None:
        """Stop receiving; confirm what was handled to the platform."""


class Host:
    def __init__(self, app: App, *, deliver: bool = True, tick_seconds: float = 5.0) -> None:
        self.app = app
        self.deliver = deliver  # False: separate `shangliang deliver` workers drain the outbox
        self.tick_seconds = tick_seconds
        self.cores: dict[str, DeliveryCore] = {}
        self._tasks: dict[str, asyncio.Task] = {}
        self._ticker: Ticker | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._attached: set[str] = set()
        self.inbox = Inbox(app.sessions, app.clock)  # adapters store incoming updates here first

    # --- what adapters call ---------------------------------------------------------------
    async def attach(self, transport: Transport) -> None:
        """A platform is ready to send: start its delivery core (and the ticker, once)."""
        self._loop = asyncio.get_running_loop()
        self._attached.add(transport.platform)
        if self.deliver:
            core = DeliveryCore(self.app.sessions, transport, self.app.clock,
                                language=self.app.config.settings.language)
            self.cores[transport.platform] = core
            self._tasks[transport.platform] = asyncio.create_task(core.run(), name=f"deliver-{transport.platform}")
        if self._ticker is None:
            self._ticker = Ticker(self.app, seconds=self.tick_seconds, after_tick=self._wake_from_thread)
            self._ticker.start()

    async def detach(self, platform: str) -> None:
        """A platform stops: its core ends; the ticker stops with the last platform."""
        self._attached.discard(platform)
        task = self._tasks.pop(platform, None)
        core = self.cores.pop(platform, None)
        if task is not None:
            core.stop()  # finish the send in hand: a row cut off mid-send would go out twice
            try:
                await asyncio.wait_for(asyncio.shield(task), timeout=STOP_GRACE)
            except (asyncio.TimeoutError, Exception):
                task.cancel()
                await asyncio.gather(task, return_exceptions=True)
        if not self._attached and self._ticker is not None:
            await asyncio.to_thread(self._ticker.stop)
            self._ticker = None

    async def handle(self, incoming: Incoming) -> Result:
        """Run one incoming message through the dispatcher (in a worker thread), then let
        every platform's core send what it wrote (an answer here, an alert elsewhere)."""
        result = await asyncio.to_thread(self.app.dispatcher.handle, incoming)
        self.wake()
        return result

    async def poll_target(self, platform: str, poll_id: str) -> tuple[int, str] | None:
        """A native poll's concern number and the committee chat (platform id) it was sent to."""
        return await asyncio.to_thread(self._poll_target, platform, poll_id)

    async def mark_chat(self, platform: str, external_id: str, *, forum: bool | None = None,
                        unreachable=False) -> None:
        """Record what a platform said of a chat: it is a forum; the bot was removed (or is back)."""
        await asyncio.to_thread(self._mark_chat, platform, external_id, forum, unreachable)

    def _poll_target(self, platform: str, poll_id: str) -> tuple[int, str] | None:
        with self.app.sessions() as session:
            poll = queries.deliberation_by_poll(session, poll_id)
            if poll is None:
                return None
            chats = [c for c in queries.chats_of_kind(session, "committee") if c.platform == platform]
            return (poll.concern_id, chats[0].external_id) if chats else None

    def _mark_chat(self, platform: str, external_id: str, forum: bool | None, unreachable) -> None:
        with self.app.sessions() as session:
            queries.mark_chat(session, platform, external_id, forum=forum, unreachable_since=unreachable)
            session.commit()

    def wake(self) -> None:
        for core in self.cores.values():
            core.wake.set()

    def _wake_from_thread(self) -> None:
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self.wake)

    # --- the process ----------------------------------------------------------------------
    async def serve(self, adapters: Sequence[Adapter]) -> int:
        """Start every adapter, serve until SIGINT or SIGTERM, stop them; return the exit code."""
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in SIGNALS:
            loop.add_signal_handler(sig, stop.set)
        started: list[Adapter] = []
        try:
            for adapter in adapters:
                await adapter.start()
                started.append(adapter)
                log.info("serving %s", adapter.platform)
            await stop.wait()
            log.info("stopping")
        finally:
            for adapter in reversed(started):
                try:
                    await adapter.stop()
                except Exception:
                    log.exception("stopping %s failed", adapter.platform)
            for sig in SIGNALS:
                loop.remove_signal_handler(sig)
        return 0
