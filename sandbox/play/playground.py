"""One playground: the real bot (bootstrap, host, platform runtime) on a SQLite file and a
simulated clock, talking to a local stand-in for Telegram or WeChat.

Every action a visitor takes goes in as a platform user's action (a message, a button press,
a poll vote) and returns once the bot has handled it and sent what it had to. Time moves
only when the visitor moves it; then every job that falls due runs at its own time, as in
``shangliang replay``. "Start empty" and a platform switch rebuild everything: the chats
live only in the stand-in's memory, so the database starts afresh with them.
"""
from __future__ import annotations

import asyncio
import importlib.util
import logging
from datetime import datetime, time as day_time, timedelta
from pathlib import Path

from sqlalchemy import func, select

from bot.bootstrap import App, bootstrap
from bot.platforms import ALL
from bot.replay import load_events
from handlers.clock import SimulatedClock
from storage import queries, schedule
from storage.models import MessageLink, OutboxMessage

from .community import SAMPLE, Community, build
from .errors import PlayError
from .view import clock_view

log = logging.getLogger(__name__)
SETTLE_TIMEOUT = 30.0
MAX_STEPS = 2000      # scheduled runs in one move of the clock
MAX_MOVE = timedelta(days=62)
MAX_TEXT = 20000      # characters the page may send in one message (Telegram's own limit is lower)


def available_platforms() -> tuple[str, ...]:
    """Telegram always; WeChat when the ``wechat`` extra is installed (``bot.wechat.compat``
    imports wechaty itself, with its fixes, when the WeChat stand-in starts)."""
    if all(importlib.util.find_spec(name) for name in ("wechaty", "wechaty_puppet", "pyee")):
        return ("telegram", "wechat")
    return ("telegram",)


class Playground:
    def __init__(self, config_path: Path, data_dir: Path, platform: str = "telegram") -> None:
        self.data_dir = data_dir
        self.database = data_dir / "play.db"
        self.community: Community = build(config_path, f"sqlite:///{self.database}")
        self.zone = self.community.config.settings.zone
        self.platforms = available_platforms()
        if platform not in self.platforms:
            raise PlayError(f"这台机器上没有装 {platform} 的部分（pip install -e '.[wechat]'）")
        self.platform = platform
        self.app: App | None = None
        self.world = None
        self.busy: str | None = None
        self._lock = asyncio.Lock()

    # --- life cycle -----------------------------------------------------------------------
    async def start(self, platform: str | None = None, at: datetime | None = None) -> None:
        """Everything afresh: an empty database, the clock at ``at`` (today 09:00), the chats empty."""
        platform = platform or self.platform
        if platform not in self.platforms:
            raise PlayError(f"这台机器不能试玩 {platform}")
        await self.stop()
        self.platform = platform
        if at is None:
            today = datetime.now(self.zone).date()
            at = datetime.combine(today, day_time(9, 0), self.zone)
        self.data_dir.mkdir(parents=True, exist_ok=True)
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(f"{self.database}{suffix}").unlink(missing_ok=True)
        clock = SimulatedClock(at)
        self.app = await asyncio.to_thread(bootstrap, self.community.config, clock=clock, platforms=(platform,),
                                           caps=ALL)
        self.world = self._world(platform, clock)
        await self.world.start(self.app)

    def _world(self, platform: str, clock: SimulatedClock):
        now = lambda: clock.now().timestamp()  # noqa: E731  (the stand-ins date messages by the simulated clock)
        if platform == "wechat":
            from .wechat_world import WeChatWorld
            return WeChatWorld(self.community, now, self.zone, self.data_dir / "wechaty")
        from .telegram_world import TelegramWorld
        return TelegramWorld(self.community, now, self.zone)

    async def stop(self) -> None:
        world, app, self.world, self.app = self.world, self.app, None, None
        if world is not None:
            try:
                await world.stop()
            except Exception:
                log.exception("stopping the %s stand-in failed", world.platform)
        if app is not None:
            app.close()

    # --- what the page reads --------------------------------------------------------------
    def state(self) -> dict:
        chats, private = self.world.view() if self.world else ({}, {})
        return {
            "platform": self.platform, "platforms": list(self.platforms), "busy": self.busy,
            "clock": clock_view(self.now()),
            "bot": {"name": self.world.bot_name if self.world else "商量", "username": "shangliang_bot"},
            "personas": [p.view() for p in self.community.personas],
            "chats": [{"key": c.key, "kind": c.kind, "title": c.title, "messages": chats.get(c.key, [])}
                      for c in self.community.chats],
            "private": private,
        }

    def now(self) -> datetime:
        return (self.app.clock.now() if self.app else datetime.now(self.zone)).astimezone(self.zone)

    def file(self, number: int) -> tuple[str, str, bytes]:
        if self.world is None:
            raise PlayError("试玩还没有准备好")
        return self.world.file(number)

    # --- what a visitor does (one at a time) ----------------------------------------------
    async def act(self, action: str, body: dict) -> dict:
        if self._lock.locked():
            raise PlayError(f"请稍候：{self.busy or '上一步还在进行'}")
        async with self._lock:
            if action in ("sample", "reset"):
                return await self._rebuild(action, body)
            if self.world is None:
                raise PlayError("试玩还没有准备好")
            result = await getattr(self, f"_{action}")(body)
            await self.settle()
            return result

    async def _rebuild(self, action: str, body: dict) -> dict:
        platform = body.get("platform") or self.platform
        self.busy = "正在载入示例周…" if action == "sample" else "正在清空…"
        try:
            if action == "reset":
                await self.start(platform)
            else:
                await self._load_sample(platform)
        finally:
            self.busy = None
        return {}

    def _persona(self, body: dict):
        try:
            return self.community.persona(str(body.get("as", "")))
        except LookupError:
            raise PlayError("先在上面选一个身份") from None

    async def _say(self, body: dict) -> dict:
        persona, where = self._persona(body), str(body.get("chat", ""))
        if where != "private":
            try:
                self.community.chat(where)
            except LookupError:
                raise PlayError("没有这个聊天") from None
        text = body.get("text")
        if not isinstance(text, str) or not text.strip():
            raise PlayError("消息不能为空")
        if len(text) > MAX_TEXT:
            raise PlayError(f"消息太长（试玩最多 {MAX_TEXT} 字）")
        await self.world.say(where, persona, text, body.get("reply_to") or None)
        return {}

    async def _press(self, body: dict) -> dict:
        toast, alert = await self.world.press(self._persona(body), str(body.get("message", "")),
                                              str(body.get("data", "")))
        return {"toast": toast, "alert": alert}

    async def _open(self, body: dict) -> dict:
        await self.world.open(self._persona(body), str(body.get("url", "")))
        return {"chat": "private"}

    async def _vote(self, body: dict) -> dict:
        options = body.get("options")
        if not isinstance(options, list) or not all(isinstance(o, int) and not isinstance(o, bool) for o in options):
            raise PlayError("选项不对")
        await self.world.vote(self._persona(body), str(body.get("poll", "")), options)
        return {}

    async def _time(self, body: dict) -> dict:
        now = self.now()
        if "to" in body:
            try:
                hour, minute = (int(x) for x in str(body["to"]).split(":"))
                target = datetime.combine(now.date(), day_time(hour, minute), self.zone)
            except ValueError:
                raise PlayError("时间要写成 08:30 这样") from None
            if target <= now:
                target = datetime.combine(now.date() + timedelta(days=1), day_time(hour, minute), self.zone)
        else:
            minutes = body.get("minutes")
            if not isinstance(minutes, (int, float)) or isinstance(minutes, bool) or minutes <= 0:
                raise PlayError("只能往后拨时间")
            target = now + timedelta(minutes=minutes)
        if target - now > MAX_MOVE:
            raise PlayError("一次最多往后拨两个月")
        await self.advance_to(target)
        return {"clock": clock_view(self.now())}

    # --- time -----------------------------------------------------------------------------
    async def advance_to(self, until: datetime) -> None:
        """Let time pass to ``until``, each scheduled job running at its own due time, and
        everything it sends going out before the next."""
        clock = self.app.clock
        for _ in range(MAX_STEPS):
            due = await asyncio.to_thread(self._earliest_due)
            if due is None or due > until:
                break
            clock.set(max(due, clock.now()))
            await self._run_due()
        clock.set(max(until, clock.now()))
        await self._run_due()

    def _earliest_due(self) -> datetime | None:
        with self.app.sessions() as session:
            return schedule.earliest_pending_due(session)

    async def _run_due(self) -> None:
        await asyncio.to_thread(self.app.run_due)
        await self.settle()

    async def settle(self) -> None:
        """Wait until every message due now is sent (or has failed)."""
        self.world.runtime.host.wake()
        deadline = asyncio.get_running_loop().time() + SETTLE_TIMEOUT
        while await asyncio.to_thread(self._unsent):
            if asyncio.get_running_loop().time() > deadline:
                log.warning("messages still unsent after %ss", SETTLE_TIMEOUT)
                return
            await asyncio.sleep(0.02)
        if hasattr(self.world, "settled"):  # WeChat: the bot's own sends come back as events
            await self.world.settled()

    def _unsent(self) -> int:
        now = self.app.clock.now()
        with self.app.sessions() as s:
            return s.scalar(select(func.count()).select_from(OutboxMessage).where(
                OutboxMessage.state == "pending", OutboxMessage.not_before <= now)) or 0

    # --- the sample week ------------------------------------------------------------------
    async def _load_sample(self, platform: str) -> None:
        """The shipped scenario, each line typed by its person at its time through the platform."""
        events = load_events(SAMPLE)
        first = events[0]["_at"].astimezone(self.zone)
        await self.start(platform, at=first.replace(hour=min(first.hour, 8), minute=0))
        refs: dict[str, str] = {}
        for event in events:
            await self.advance_to(event["_at"])
            if "text" not in event:
                continue
            try:
                persona = self.community.persona(event["from"])
            except LookupError:
                continue  # someone the config does not know: the sample is for the example config
            where = "private" if event["chat"] in ("private", "私聊") else event["chat"]
            try:
                if "edit" in event:
                    if event["edit"] in refs:
                        await self.world.edit(refs[event["edit"]], event["text"])
                else:
                    text, reply = self._sample_reply(where, persona, event, refs)
                    ref = await self.world.say(where, persona, text, reply)
                    if "id" in event:
                        refs[event["id"]] = ref
            except PlayError as exc:  # e.g. an edit on WeChat: the line is left out
                log.info("sample line %s left out: %s", event["_line"], exc)
            await self.settle()

    def _sample_reply(self, where: str, persona, event: dict, refs: dict[str, str]) -> tuple[str, str | None]:
        """A scenario reply as the platform allows it: a quoted reply on Telegram; on WeChat,
        the plain forms ``#12 +1`` and ``#12 …``."""
        target, text = event.get("reply_to"), event["text"]
        if not target:
            return text, None
        concern = int(target[1:]) if target.startswith("#") and target[1:].isdigit() else None
        if self.world.platform == "wechat":
            if concern is None and target in refs:
                concern = self._concern_of(refs[target])
            return (f"#{concern} {text}", None) if concern else (text, None)
        if concern is not None:
            message_id = self._message_of(where, persona, concern)
            return text, (self.world.ref(where, persona, message_id) if message_id else None)
        return text, refs.get(target)

    def _concern_of(self, ref: str) -> int | None:
        chat, message_id = self.world.external(ref)
        with self.app.sessions() as session:
            row = queries.chat_by_external(session, self.platform, chat)
            link = queries.concern_for_message(session, row.id, message_id) if row else None
            return link.concern_id if link else None

    def _message_of(self, where: str, persona, concern: int) -> str | None:
        """The bot's latest message about a concern in a chat (what a reply there would quote)."""
        chat, _ = self.world.external(self.world.ref(where, persona, "0"))
        with self.app.sessions() as session:
            row = queries.chat_by_external(session, self.platform, chat)
            if row is None:
                return None
            return session.scalar(select(MessageLink.external_message_id).where(
                MessageLink.chat_id == row.id, MessageLink.concern_id == concern).order_by(MessageLink.id.desc()))
