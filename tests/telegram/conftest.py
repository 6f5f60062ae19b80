"""The bot as residents meet it: the real python-telegram-bot Application and runtime, talking
to the local Bot API sandbox (which checks every request and answer against the spec), on a
real database and a simulated clock the tests move by hand."""
from __future__ import annotations

import asyncio
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta

import pytest_asyncio
from telegram import Update
from telegram.ext import TypeHandler

from bot.bootstrap import App, bootstrap
from bot.config import load
from bot.telegram.runtime import CAPABILITIES, TelegramRuntime
from sandbox.telegram import BotApiSandbox
from handlers.clock import SimulatedClock
from tests.configs import community

START = datetime.fromisoformat("2026-03-02T09:00:00+08:00")
GRID, COMMITTEE, COORDINATORS = -1001, -1002, -1003
USERS = {  # handle: (telegram id, name)
    "ma": (900, "马书记"), "liu": (901, "刘委员"), "zhao": (902, "赵委员"), "sun": (903, "孙委员"),
    "wang": (801, "王阿姨"), "li": (802, "李叔"), "zhang": (803, "张丽"),
}
STRANGER = 700  # in the committee group, but not a member


def config_text(*, forum: bool = False) -> str:
    roles = {"ma": "coordinator"}
    return community(
        {"grid-1": {"telegram": GRID}, "committee": {"telegram": COMMITTEE},
         "coordinators": {"telegram": COORDINATORS}},
        [(h, n, roles.get(h, "member") if i >= 900 else "resident", {"telegram": i}) for h, (i, n) in USERS.items()])


@dataclass
class Bot:
    """One running bot and its sandbox, with helpers that wait for the bot to act."""

    sb: BotApiSandbox
    app: App
    runtime: TelegramRuntime

    def uid(self, handle: str) -> int:
        return USERS[handle][0]

    async def settle(self) -> None:
        """Wait until every outbox row due now has been handled (sent, retried or failed)."""
        await self.sb.wait_for(lambda: self.pending_due() == 0 and self.sending() == 0)

    def sending(self) -> int:
        """Rows a sender has leased and not yet recorded (a send under way)."""
        from sqlalchemy import func, select
        from storage.models import OutboxMessage
        with self.app.sessions() as s:
            return s.scalar(select(func.count()).select_from(OutboxMessage).where(
                OutboxMessage.state == "pending", OutboxMessage.locked_until.is_not(None),
                OutboxMessage.locked_until > self.app.clock.now())) or 0

    def pending_due(self) -> int:
        from sqlalchemy import func, select
        from storage.models import OutboxMessage
        with self.app.sessions() as s:
            return s.scalar(select(func.count()).select_from(OutboxMessage).where(
                OutboxMessage.state == "pending", OutboxMessage.not_before <= self.app.clock.now())) or 0

    processed: int = 0  # updates PTB has run every handler for (counted by a last handler group)

    async def say(self, chat: int, handle: str, text: str, **kw) -> dict:
        """A user posts; returns their message after the bot has handled it and sent what it had to."""
        before = self.processed
        message = self.sb.user_says(chat, self.uid(handle), text, **kw)
        await self.sb.wait_for(lambda: self.processed > before)
        await self.settle()
        return message

    async def advance(self, delta: timedelta) -> None:
        """Move the clock and run the timed work now due, as the ticker would."""
        self.app.clock.set(self.app.clock.now() + delta)
        await asyncio.to_thread(self.app.run_due)
        self.runtime.pump.wake.set()
        await self.settle()


@asynccontextmanager
async def running_bot(tmp_path, config_toml: str, *, forum: bool = False):
    """Sandbox with the users and chats above, the app on a file SQLite, and the runtime polling."""
    path = tmp_path / "config.toml"
    path.write_text(config_toml, "utf-8")
    config = load(path)
    sb = BotApiSandbox()
    await sb.start()
    for handle, (user_id, name) in USERS.items():
        sb.add_user(user_id, name, username=handle, language_code="zh-hans")
    sb.add_user(STRANGER, "路人")
    sb.add_chat(GRID, "supergroup", title="幸福里居民群")
    sb.add_chat(COMMITTEE, "supergroup", title="议事委员会", is_forum=forum)
    sb.add_chat(COORDINATORS, "supergroup", title="联络组")
    app = bootstrap(config, clock=SimulatedClock(START), database_url=f"sqlite:///{tmp_path / 'bot.db'}",
                    platforms=("telegram",), caps=CAPABILITIES)
    runtime = TelegramRuntime(app, token=sb.token, base_url=sb.url, tick_seconds=3600)
    bot = Bot(sb, app, runtime)

    async def count(update: Update, context) -> None:
        bot.processed += 1

    runtime.application.add_handler(TypeHandler(Update, count), group=99)
    await runtime.start(timeout=1)
    try:
        yield bot
    finally:
        await runtime.stop()
        app.close()
        await sb.stop()
    assert sb.errors == [], sb.errors


@pytest_asyncio.fixture
async def tgbot(tmp_path, request):
    forum = getattr(request, "param", False)
    async with running_bot(tmp_path, config_text(forum=forum), forum=forum) as bot:
        yield bot
