"""The bot as WeChat residents meet it: the real ``wechaty.Wechaty`` on the in-memory puppet,
the WeChat runtime inside a Host, a real database (``ready_engine``: SQLite and PostgreSQL)
and a simulated clock the tests move by hand."""
from __future__ import annotations

import asyncio
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import pytest
import pytest_asyncio

from . import require_wechaty

require_wechaty()

from bot.bootstrap import App, bootstrap  # noqa: E402
from bot.config import load  # noqa: E402
from bot.host import Host  # noqa: E402
from bot.wechat.runtime import CAPABILITIES, WeChatRuntime, WeChatSettings  # noqa: E402
from handlers.clock import SimulatedClock  # noqa: E402
from sandbox.wechat import MemoryPuppet  # noqa: E402
from tests.configs import community  # noqa: E402

START = datetime.fromisoformat("2026-03-02T09:00:00+08:00")
GRID, COMMITTEE, COORDINATORS = "grid-1@chatroom", "committee@chatroom", "coordinators@chatroom"
USERS = {  # handle: (wechat id, name)
    "ma": ("wxid_ma", "马书记"), "liu": ("wxid_liu", "刘委员"), "zhao": ("wxid_zhao", "赵委员"),
    "wang": ("wxid_wang", "王阿姨"), "li": ("wxid_li", "李叔"),
}
MEMBERS = ("ma", "liu", "zhao")
TIMEOUT = 10.0


def config_text() -> str:
    """Chats and people bound to WeChat ids with the loader's ``wechat = "…"`` keys."""
    def role(h: str) -> str:
        return ("coordinator" if h == "ma" else "member") if h in MEMBERS else "resident"
    return community({"grid-1": {"wechat": GRID}, "committee": {"wechat": COMMITTEE},
                      "coordinators": {"wechat": COORDINATORS}},
                     [(h, n, role(h), {"wechat": i}) for h, (i, n) in USERS.items()])


def new_puppet(app: App, **kw) -> MemoryPuppet:
    puppet = MemoryPuppet(clock=lambda: app.clock.now().timestamp(), **kw)
    for handle, (wxid, name) in USERS.items():
        puppet.add_contact(wxid, name)
    residents = [USERS[h][0] for h in USERS if h not in MEMBERS]
    members = [USERS[h][0] for h in MEMBERS]
    puppet.add_room(GRID, "幸福里居民群", residents + members)
    puppet.add_room(COMMITTEE, "议事委员会", members)
    puppet.add_room(COORDINATORS, "联络组", [USERS["ma"][0]])
    return puppet


async def wait_for(predicate, timeout: float = TIMEOUT, what: str = "condition") -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not predicate():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.01)


@dataclass
class WxBot:
    app: App
    host: Host
    runtime: WeChatRuntime
    puppets: list[MemoryPuppet] = field(default_factory=list)

    @property
    def puppet(self) -> MemoryPuppet:
        """The puppet of the current connection."""
        return self.puppets[-1]

    def wxid(self, handle: str) -> str:
        return USERS[handle][0]

    def say(self, room: str, handle: str, text: str, **kw) -> str:
        return self.puppet.say_in_room(room, self.wxid(handle), text, **kw)

    def say_privately(self, handle: str, text: str, **kw) -> str:
        return self.puppet.say_privately(self.wxid(handle), text, **kw)

    def messages(self) -> int:
        """Distinct messages the puppets emitted (the bot's own sends come back as events too)."""
        return sum(len(p.messages) for p in self.puppets)

    async def settle(self) -> None:
        """Wait until every message event is handled and every outbox row due now is sent."""
        while True:
            await wait_for(lambda: self.runtime.received >= self.messages(), what="message handling")
            await wait_for(lambda: self.pending_due() == 0 and self.sending() == 0, what="the outbox")
            if self.runtime.received >= self.messages():
                return

    def pending_due(self) -> int:
        from sqlalchemy import func, select
        from storage.models import OutboxMessage
        with self.app.sessions() as s:
            return s.scalar(select(func.count()).select_from(OutboxMessage).where(
                OutboxMessage.platform == "wechat", OutboxMessage.state == "pending",
                OutboxMessage.not_before <= self.app.clock.now())) or 0

    def sending(self) -> int:
        from sqlalchemy import func, select
        from storage.models import OutboxMessage
        with self.app.sessions() as s:
            return s.scalar(select(func.count()).select_from(OutboxMessage).where(
                OutboxMessage.state == "pending", OutboxMessage.locked_until.is_not(None),
                OutboxMessage.locked_until > self.app.clock.now())) or 0

    async def advance(self, delta: timedelta) -> None:
        """Move the clock; the delivery core sends what became due (and the timed work runs)."""
        self.app.clock.set(self.app.clock.now() + delta)
        await asyncio.to_thread(self.app.run_due)
        self.host.wake()
        await self.settle()


def settings(cache_dir, **kw) -> WeChatSettings:
    values = dict(start_timeout=5.0, stop_timeout=2.0, send_pause=0.0, send_timeout=5.0, retry_seconds=10.0,
                  reconnect_first=0.05, reconnect_max=0.2, cache_dir=cache_dir, tick_seconds=3600)
    values.update(kw)
    return WeChatSettings(**values)


@pytest.fixture(scope="session")
def wechaty_cache(tmp_path_factory):
    """wechaty's CACHE_DIR is process-wide: one folder for the whole test session."""
    return tmp_path_factory.mktemp("wechaty-cache")


@pytest.fixture
def wx_config(tmp_path):
    path = tmp_path / "config.toml"
    path.write_text(config_text(), "utf-8")
    return load(path)


@pytest.fixture
def wx_app(ready_engine, wx_config):
    application = bootstrap(wx_config, clock=SimulatedClock(START), engine=ready_engine, platforms=("wechat",),
                            caps=CAPABILITIES)
    yield application
    application.close()


@asynccontextmanager
async def running(app: App, cache_dir, *, factory=None, **kw):
    """The runtime started on a fresh in-memory puppet per connection; stopped afterwards."""
    host = Host(app, tick_seconds=3600)
    bot = WxBot(app, host, None)  # type: ignore[arg-type]

    def make():
        puppet = factory() if factory is not None else new_puppet(app)
        bot.puppets.append(puppet)
        return puppet

    bot.runtime = WeChatRuntime(app, puppet_factory=make, host=host, settings=settings(cache_dir, **kw))
    await bot.runtime.start()
    try:
        yield bot
    finally:
        await bot.runtime.stop()


@pytest_asyncio.fixture
async def wxbot(wx_app, wechaty_cache):
    async with running(wx_app, wechaty_cache) as bot:
        yield bot
