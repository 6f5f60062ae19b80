"""Pending updates: long polling with offsets like Telegram, or delivery to a webhook."""
from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import aiohttp

from .base import ApiError

ALL_KINDS = ("message", "edited_message", "channel_post", "edited_channel_post", "business_connection",
             "business_message", "edited_business_message", "deleted_business_messages",
             "guest_message", "message_reaction", "message_reaction_count", "inline_query",
             "chosen_inline_result", "callback_query", "shipping_query", "pre_checkout_query",
             "purchased_paid_media", "poll", "poll_answer", "my_chat_member", "chat_member",
             "chat_join_request", "chat_boost", "removed_chat_boost", "managed_bot")
NOT_BY_DEFAULT = {"chat_member", "message_reaction", "message_reaction_count"}
WEBHOOK_ACTIVE = "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first"
SUPERSEDED = "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running"


def kind_of(update: dict) -> str:
    return next(k for k in update if k != "update_id")


class UpdateHub:
    def __init__(self) -> None:
        self.pending: list[dict] = []      # created, not yet confirmed
        self.history: list[dict] = []      # every update ever created
        self.filtered: list[dict] = []     # dropped because allowed_updates excluded their kind
        self.next_id = 1
        self.allowed: list[str] | None = None          # as last given to getUpdates
        self.webhook: dict[str, Any] | None = None     # url, secret_token, allowed_updates, ...
        self.last_error: tuple[int, str] | None = None
        self.closed = False
        self._generation = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._changed: asyncio.Event | None = None
        self._task: asyncio.Task | None = None
        self._session: aiohttp.ClientSession | None = None

    async def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._changed = asyncio.Event()
        self._session = aiohttp.ClientSession()
        self._task = asyncio.create_task(self._deliver(), name="sandbox-webhook")

    async def stop(self) -> None:
        self.closed = True
        self.wake()
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        if self._session is not None:
            await self._session.close()

    def wake(self) -> None:
        """Tell long polls and the webhook sender that something changed (any thread)."""
        if self._loop is None:
            return
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is self._loop:
            self._changed.set()
            self._changed = asyncio.Event()
        else:
            self._loop.call_soon_threadsafe(self.wake)

    def push(self, update: dict) -> None:
        """Queue an already validated update whose update_id is `next_id`."""
        self.next_id = update["update_id"] + 1
        self.pending.append(update)
        self.history.append(update)
        self.wake()

    def drop_pending(self) -> None:
        self.pending.clear()

    def _deliverable(self, allowed: list[str] | None) -> list[dict]:
        kinds = set(allowed) if allowed else set(ALL_KINDS) - NOT_BY_DEFAULT
        keep = [u for u in self.pending if kind_of(u) in kinds]
        self.filtered += [u for u in self.pending if kind_of(u) not in kinds]
        self.pending = keep
        return keep

    # ---- getUpdates ------------------------------------------------------------------------
    async def get_updates(self, offset: int | None, limit: int, timeout: int) -> list[dict]:
        if self.webhook:
            raise ApiError(409, WEBHOOK_ACTIVE)
        self._generation += 1
        generation = self._generation
        self.wake()  # an older long poll is answered 409, like Telegram
        if offset is not None and offset > 0:
            self.pending = [u for u in self.pending if u["update_id"] >= offset]
        elif offset is not None and offset < 0:
            self.pending = self.pending[offset:]
        deadline = self._loop.time() + max(timeout, 0)
        while True:
            changed = self._changed
            if generation != self._generation:
                raise ApiError(409, SUPERSEDED)
            if self.webhook:
                raise ApiError(409, WEBHOOK_ACTIVE)
            batch = self._deliverable(self.allowed)[:max(1, min(limit, 100))]
            remaining = deadline - self._loop.time()
            if batch or remaining <= 0 or self.closed:
                return batch
            try:
                await asyncio.wait_for(changed.wait(), remaining)
            except TimeoutError:
                pass

    # ---- webhook ---------------------------------------------------------------------------
    async def _deliver(self) -> None:
        backoff = 0.05
        while not self.closed:
            changed = self._changed
            hook = self.webhook
            batch = self._deliverable(hook.get("allowed_updates")) if hook else []
            if not batch:
                await changed.wait()
                continue
            if await self._post(hook, batch[0]):
                self.pending = [u for u in self.pending if u is not batch[0]]
                backoff = 0.05
            else:
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 1.0)

    async def _post(self, hook: dict, update: dict) -> bool:
        headers = {"Content-Type": "application/json"}
        if hook.get("secret_token"):
            headers["X-Telegram-Bot-Api-Secret-Token"] = hook["secret_token"]
        try:
            async with self._session.post(hook["url"], data=json.dumps(update, ensure_ascii=False),
                                          headers=headers, timeout=aiohttp.ClientTimeout(total=10)) as resp:
                await resp.read()
                if 200 <= resp.status < 300:
                    return True
                self.last_error = (int(time.time()), f"Wrong response from the webhook: {resp.status} {resp.reason}")
        except (aiohttp.ClientError, TimeoutError, OSError) as exc:
            self.last_error = (int(time.time()), f"Connection failed: {exc.__class__.__name__}: {exc}")
        return False
