"""python-telegram-bot's update queue, made durable: nothing is confirmed before it is stored.

PTB's Updater puts each fetched update into this queue and confirms the batch to Telegram
with its next ``getUpdates`` (``offset``); its webhook handler answers 200 only after the
put returns. Storing inside ``put`` therefore means Telegram forgets an update only once
the database has it. A redelivered update (Telegram resends what was never confirmed) is
dropped here; at start-up, what a crash left stored and unhandled is queued first. Each
update is stored with its sender, so ``TelegramRuntime`` can handle a person's earlier
updates before a newer one whichever process stored them.
"""
from __future__ import annotations

import asyncio
import logging

from telegram import Bot, Update

from ..inbox import Inbox

log = logging.getLogger(__name__)
PLATFORM = "telegram"


def sender_of(update: Update) -> str | None:
    """Who the update comes from (a user id), if anyone: their updates are handled in order."""
    user = update.effective_user
    return str(user.id) if user is not None else None


class DurableUpdateQueue(asyncio.Queue):
    def __init__(self, inbox: Inbox) -> None:
        super().__init__()
        self.inbox = inbox
        #: updates whose sender had an earlier one unhandled when they were stored (or restored
        #: ones): only for these must the runtime look back before handling them
        self.behind: set[int] = set()

    async def put(self, item: object) -> None:
        if isinstance(item, Update):
            new, behind = await self.inbox.keep(PLATFORM, str(item.update_id), item.to_dict(), sender_of(item))
            if not new:
                log.info("update %s was stored before; not queued again", item.update_id)
                return
            if behind:
                self.behind.add(item.update_id)
        await super().put(item)

    async def restore(self, bot: Bot) -> int:
        """Queue the updates stored but not handled before the last stop; return how many.

        On a database shared by several processes these include updates another, running
        process stored and has not reached yet: both may handle one, and the command's
        ``inbox.take`` under the sender's lock lets only the first take effect (the second
        is a duplicate: no change, no answer).
        """
        payloads = await self.inbox.pending(PLATFORM)
        for payload in payloads:
            update = Update.de_json(payload, bot)
            self.behind.add(update.update_id)
            await super().put(update)
        if payloads:
            log.warning("%d updates received before the last stop were not handled yet: handling them now",
                        len(payloads))
        return len(payloads)
