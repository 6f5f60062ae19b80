"""The Telegram adapter: python-telegram-bot's Application translating for the host.

Callbacks only translate: each update becomes an ``Incoming`` that the host runs through
the dispatcher in a worker thread (database work stays off the event loop). Every update is
stored in the inbox before Telegram is told it arrived (``updates.DurableUpdateQueue``).
``post_init`` sets the menus and attaches the transport to the host, whose ticker and
delivery core do the timed work and the sending; ``post_shutdown`` detaches it. No state
lives in ``bot_data``, and no database session is opened here.

Several processes may serve one bot behind a load balancer (webhook mode, docs/deploy.md).
Telegram sends a chat's updates one at a time, but the next one may reach another process
while the first still waits in this one's queue; so before handling a person's update, the
runtime handles their earlier stored, unhandled ones (``Inbox.earlier``). Whichever process
comes second finds an update handled and skips it (and answers no button press twice).
"""
from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass

from telegram import Update
from telegram.error import TelegramError
from telegram.constants import ChatMemberStatus
from telegram.ext import (Application, ApplicationBuilder, BaseRateLimiter, CallbackQueryHandler,
                          ChatMemberHandler, ContextTypes, MessageHandler, PollAnswerHandler, TypeHandler, filters)

from handlers.capabilities import Capabilities
from handlers.messages import Incoming
from handlers.texts import t

from ..bootstrap import App
from ..host import Host
from ..platforms import TELEGRAM
from . import menu, translate
from ..delivery.core import DeliveryCore
from ..delivery.pacing import Limits
from .transport import TelegramTransport
from .updates import DurableUpdateQueue, sender_of

log = logging.getLogger(__name__)
CAPS = TELEGRAM  # what Telegram can do, as the handlers see it (bot/platforms.py)
CAPABILITIES = Capabilities({"telegram": CAPS})
UPDATES = ["message", "edited_message", "callback_query", "poll_answer", "my_chat_member"]


@dataclass(frozen=True)
class Webhook:
    """Webhook mode: where PTB's own server listens, and the public URL Telegram posts to."""

    listen: str
    port: int
    url_path: str
    url: str
    secret_token: str


class TelegramRuntime:
    """The Telegram adapter: PTB's Application translating updates for the host, and the
    transport the host's delivery core sends with."""

    platform = "telegram"
    caps = CAPS

    def __init__(self, app: App, *, token: str, base_url: str = "https://api.telegram.org",
                 rate_limiter: BaseRateLimiter | None = None, tick_seconds: float = 5.0,
                 deliver: bool = True, host: Host | None = None, webhook: Webhook | None = None,
                 limits: Limits | None = None) -> None:
        self.app = app
        self.limits = limits  # Telegram's limits, kept with every other sender through the database
        self.host = host or Host(app, deliver=deliver, tick_seconds=tick_seconds)
        self.webhook = webhook
        self.inbox = self.host.inbox
        self._taken: set[int] = set()  # updates the command's own transaction marked handled
        self.updates = DurableUpdateQueue(self.inbox)  # stored before getUpdates confirms them
        builder = (ApplicationBuilder().token(token).base_url(f"{base_url}/bot").base_file_url(f"{base_url}/file/bot")
                   .update_queue(self.updates).post_init(self._post_init).post_shutdown(self._post_shutdown))
        if rate_limiter is not None:
            builder = builder.rate_limiter(rate_limiter)
        self.application: Application = builder.build()
        self.application.add_handler(MessageHandler(
            (filters.TEXT | filters.CAPTION | filters.PHOTO | filters.Document.ALL | filters.VOICE)
            & ~filters.UpdateType.EDITED, self.on_message))
        self.application.add_handler(MessageHandler(filters.UpdateType.EDITED_MESSAGE & filters.TEXT,
                                                    self.on_edit))
        self.application.add_handler(CallbackQueryHandler(self.on_callback))
        self.application.add_handler(PollAnswerHandler(self.on_poll_answer))
        self.application.add_handler(ChatMemberHandler(self.on_my_chat_member, ChatMemberHandler.MY_CHAT_MEMBER))
        self.application.add_handler(TypeHandler(Update, self.on_processed), group=1)  # after every update
        self.application.add_error_handler(self.on_error)

    @property
    def pump(self) -> DeliveryCore | None:
        """The host's delivery core for Telegram (None when workers deliver)."""
        return self.host.cores.get(self.platform)

    # --- life cycle -----------------------------------------------------------------------
    async def start(self, *, poll_interval: float = 0.0, timeout: int = 10) -> None:
        """Start receiving (long polling, or the webhook server) inside a running event loop."""
        await self.application.initialize()
        await self._post_init(self.application)
        await self.application.start()
        if self.webhook is not None:
            hook = self.webhook
            await self.application.updater.start_webhook(listen=hook.listen, port=hook.port, url_path=hook.url_path,
                                                         webhook_url=hook.url, secret_token=hook.secret_token,
                                                         allowed_updates=UPDATES)
        else:
            await self.application.updater.start_polling(poll_interval=poll_interval, timeout=timeout,
                                                         allowed_updates=UPDATES)

    async def stop(self) -> None:
        if self.application.updater.running:
            await self.application.updater.stop()  # polling: the last getUpdates confirms what was handled
        if self.application.running:
            await self.application.stop()
        await self._post_shutdown(self.application)
        await self.application.shutdown()

    async def _post_init(self, application: Application) -> None:
        bot = application.bot
        await self.updates.restore(bot)  # what a crash left stored and unhandled goes first
        await bot.set_my_commands(menu.commands("zh"))
        await bot.set_my_commands(menu.commands("en"), language_code="en")
        await self.host.attach(TelegramTransport(bot, self.limits))

    async def _post_shutdown(self, application: Application) -> None:
        await self.host.detach(self.platform)

    # --- updates --------------------------------------------------------------------------
    async def on_message(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """A message in a bound group or a private chat: a report, a command, a reply."""
        message = update.effective_message
        if message.chat.is_forum:
            await self.host.mark_chat(self.platform, str(message.chat.id), forum=True)
        incoming = translate.from_message(message, context.bot.username)
        if incoming is not None:
            await self._handle(incoming, update)

    async def on_edit(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """An edited report is re-read until a member claims it."""
        incoming = translate.from_message(update.edited_message, context.bot.username, edited=True)
        if incoming is not None:
            await self._handle(incoming, update)

    async def on_callback(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """A pressed button acts as its command; the answer is a toast (an alert if refused)."""
        query = update.callback_query
        incoming = translate.from_callback(query)
        if incoming is None:
            await query.answer()
            return
        result = await self._handle(incoming, update)
        if result.status == "duplicate":  # handled (and answered) before, by this process or another
            return
        text = (result.reply or "")[:200] or None
        try:
            await query.answer(text=text, show_alert=result.status in ("refused", "error"))
        except TelegramError as error:  # e.g. a press handled again after a restart: too old to answer
            log.info("could not answer a button press: %s", error)

    async def on_poll_answer(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """A committee member's vote in a native poll lands in the same tables as /vote."""
        answer = update.poll_answer
        if answer.user is None:
            return
        target = await self.host.poll_target(self.platform, answer.poll_id)
        if target is None:
            return
        number, chat_id = target
        user = answer.user
        result = await self._handle(Incoming(
            platform=translate.PLATFORM, chat_id=chat_id, sender_id=str(user.id), sender_name=user.full_name,
            text=translate.vote_command(number, list(answer.option_ids)), at=self.app.clock.now(),
            language=user.language_code, via="poll"), update)
        if result.status != "done":
            log.info("a poll vote on #%s: %s", number, result.status)

    async def on_my_chat_member(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """The bot was removed from (or came back to) a chat, or a user blocked it."""
        change = update.my_chat_member
        gone = change.new_chat_member.status in (ChatMemberStatus.LEFT, ChatMemberStatus.BANNED)
        await self.host.mark_chat(self.platform, str(change.chat.id),
                                 unreachable=self.app.clock.now() if gone else None)

    async def on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Log with the traceback and apologise where the update came from; keep running."""
        log.error("error while handling an update", exc_info=context.error)
        if isinstance(update, Update) and update.effective_chat is not None and update.effective_message:
            try:
                await context.bot.send_message(update.effective_chat.id, t(self.app.config.settings.language,
                                                                         "error.apology"))
            except Exception:
                log.warning("could not send the apology", exc_info=True)

    async def on_processed(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Every update ends here: marked handled if no command did (chatter, chat changes,
        a refused button press)."""
        self.updates.behind.discard(update.update_id)
        if update.update_id in self._taken:
            self._taken.discard(update.update_id)
            return
        await self.inbox.settle(translate.PLATFORM, str(update.update_id))

    async def _handle(self, incoming: Incoming, update: Update):
        await self._earlier_first(update)
        incoming = dataclasses.replace(incoming, update_id=str(update.update_id))
        result = await self.host.handle(incoming)
        if result.status in ("done", "duplicate"):  # marked handled with the command (or before)
            self._taken.add(update.update_id)
        return result

    async def _earlier_first(self, update: Update) -> None:
        """Handle the sender's earlier updates that another process stored and has not handled
        yet, oldest first, so a person's updates take effect in the order they came."""
        sender = sender_of(update)
        if sender is None or update.update_id not in self.updates.behind:
            return  # nothing of theirs was waiting when this one was stored
        self.updates.behind.discard(update.update_id)
        for payload in await self.inbox.earlier(translate.PLATFORM, sender, str(update.update_id)):
            log.info("handling an earlier update of the same sender first")
            await self.application.process_update(Update.de_json(payload, self.application.bot))
