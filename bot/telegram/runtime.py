"""The Telegram bot: python-telegram-bot's Application wired to the shangliang core.

Callbacks only translate: each update becomes an ``Incoming`` for the dispatcher, which
runs in a worker thread (database work stays off the event loop). Long-lived parts are
created in ``post_init`` and closed in ``post_shutdown``: the outbox pump (an asyncio
task) and the APScheduler ticker that runs timed work. No state lives in ``bot_data``.
"""
from __future__ import annotations

import asyncio
import dataclasses
import logging

from telegram import Update
from telegram.error import TelegramError
from telegram.constants import ChatMemberStatus
from telegram.ext import (Application, ApplicationBuilder, BaseRateLimiter, CallbackQueryHandler,
                          ChatMemberHandler, ContextTypes, MessageHandler, PollAnswerHandler, TypeHandler, filters)

from handlers.capabilities import Capabilities
from handlers.messages import Incoming
from handlers.texts import t
from storage import queries

from ..bootstrap import App
from ..inbox import Inbox
from ..ticker import Ticker
from . import menu, translate
from ..pump import OutboxPump
from .transport import TelegramTransport
from .updates import DurableUpdateQueue

log = logging.getLogger(__name__)
CAPABILITIES = Capabilities(native_polls=frozenset({"telegram"}), edits=frozenset({"telegram"}),
                            start_first=frozenset({"telegram"}))
UPDATES = ["message", "edited_message", "callback_query", "poll_answer", "my_chat_member"]


class TelegramRuntime:
    def __init__(self, app: App, *, token: str, base_url: str = "https://api.telegram.org",
                 rate_limiter: BaseRateLimiter | None = None, tick_seconds: float = 5.0,
                 deliver: bool = True) -> None:
        self.app = app
        self.deliver = deliver  # False: separate `shangliang deliver` workers drain the outbox
        self.tick_seconds = tick_seconds
        self.inbox = Inbox(app.sessions, app.clock)
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
        self.pump: OutboxPump | None = None
        self._pump_task: asyncio.Task | None = None
        self._ticker: Ticker | None = None

    # --- life cycle -----------------------------------------------------------------------
    def run_polling(self) -> None:
        self.application.run_polling(allowed_updates=UPDATES)

    def run_webhook(self, *, listen: str, port: int, url_path: str, webhook_url: str, secret_token: str) -> None:
        self.application.run_webhook(listen=listen, port=port, url_path=url_path, webhook_url=webhook_url,
                                     secret_token=secret_token, allowed_updates=UPDATES)

    async def start(self, *, poll_interval: float = 0.0, timeout: int = 10) -> None:
        """Start polling inside a running event loop (what tests and embedders use)."""
        await self.application.initialize()
        await self._post_init(self.application)
        await self.application.start()
        await self.application.updater.start_polling(poll_interval=poll_interval, timeout=timeout,
                                                     allowed_updates=UPDATES)

    async def stop(self) -> None:
        if self.application.updater.running:
            await self.application.updater.stop()
        if self.application.running:
            await self.application.stop()
        await self._post_shutdown(self.application)
        await self.application.shutdown()

    async def _post_init(self, application: Application) -> None:
        bot = application.bot
        await self.updates.restore(bot)  # what a crash left stored and unhandled goes first
        await bot.set_my_commands(menu.commands("zh"))
        await bot.set_my_commands(menu.commands("en"), language_code="en")
        after_tick = None
        if self.deliver:
            self.pump = OutboxPump(self.app.sessions, TelegramTransport(bot, self.app.sessions), self.app.clock)
            self._pump_task = asyncio.create_task(self.pump.run(), name="shangliang-outbox")
            loop, pump = asyncio.get_running_loop(), self.pump
            after_tick = lambda: loop.call_soon_threadsafe(pump.wake.set)  # noqa: E731
        self._ticker = Ticker(self.app, seconds=self.tick_seconds, after_tick=after_tick)
        self._ticker.start()

    async def _post_shutdown(self, application: Application) -> None:
        if self._ticker is not None:
            await asyncio.to_thread(self._ticker.stop)
            self._ticker = None
        if self._pump_task is not None:
            self._pump_task.cancel()
            await asyncio.gather(self._pump_task, return_exceptions=True)
            self._pump_task = None

    # --- updates --------------------------------------------------------------------------
    async def on_message(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """A message in a bound group or a private chat: a report, a command, a reply."""
        message = update.effective_message
        if message.chat.is_forum:
            await asyncio.to_thread(self._mark, str(message.chat.id), forum=True)
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
        target = await asyncio.to_thread(self._poll_target, answer.poll_id)
        if target is None:
            return
        number, chat_id = target
        user = answer.user
        result = await self._handle(Incoming(
            platform=translate.PLATFORM, chat_id=chat_id, sender_id=str(user.id), sender_name=user.full_name,
            text=translate.vote_command(number, list(answer.option_ids)), at=self.app.clock.now(),
            language=user.language_code, via="poll"), update)
        if result.status != "done":
            log.info("poll vote by %s on #%s: %s %s", user.id, number, result.status, result.reply)

    async def on_my_chat_member(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """The bot was removed from (or came back to) a chat, or a user blocked it."""
        change = update.my_chat_member
        gone = change.new_chat_member.status in (ChatMemberStatus.LEFT, ChatMemberStatus.BANNED)
        await asyncio.to_thread(self._mark, str(change.chat.id), unreachable=self.app.clock.now() if gone else None)

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
        """Every update ends here: marked handled if no command did (chatter, chat changes)."""
        await self.inbox.settle(translate.PLATFORM, str(update.update_id))

    async def _handle(self, incoming: Incoming, update: Update):
        incoming = dataclasses.replace(incoming, update_id=str(update.update_id))
        result = await asyncio.to_thread(self.app.dispatcher.handle, incoming)
        if self.pump is not None:
            self.pump.wake.set()
        return result

    # --- small database helpers (run in worker threads) -------------------------------------
    def _poll_target(self, poll_id: str) -> tuple[int, str] | None:
        with self.app.sessions() as session:
            poll = queries.deliberation_by_poll(session, poll_id)
            if poll is None:
                return None
            chats = [c for c in queries.chats_of_kind(session, "committee") if c.platform == translate.PLATFORM]
            return (poll.concern_id, chats[0].external_id) if chats else None

    def _mark(self, chat_id: str, *, forum: bool | None = None, unreachable=False) -> None:
        with self.app.sessions() as session:
            queries.mark_chat(session, translate.PLATFORM, chat_id, forum=forum, unreachable_since=unreachable)
            session.commit()
