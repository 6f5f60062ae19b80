"""The playground's WeChat: the real ``wechaty.Wechaty`` (through the WeChat runtime) on the
in-memory puppet (``sandbox.wechat``), whose rooms and private chats the page shows.
WeChat is text only: no buttons, polls, edits or quoted replies; the bot numbers choices."""
from __future__ import annotations

import asyncio
import html
import os
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.bootstrap import App
from bot.wechat.runtime import WeChatRuntime, WeChatSettings

from .community import Community, Persona
from .errors import PlayError
from .view import message_view, private_key, split_ref

HANDLE_TIMEOUT = 30.0
TEXT_ONLY = "微信里没有按钮和投票：按机器人的提示回复文字或数字"


class WeChatWorld:
    platform = "wechat"

    def __init__(self, community: Community, clock: Callable[[], float], zone: ZoneInfo, cache_dir: Path) -> None:
        self.community, self.clock, self.zone, self.cache_dir = community, clock, zone, cache_dir
        self.puppet = None
        self.runtime: WeChatRuntime | None = None
        self._by_contact = {p.wechat_id: p for p in community.personas}
        self._by_room = {c.wechat_id: c.key for c in community.chats}

    bot_name = "商量助手"

    def _puppet(self):
        from sandbox.wechat import MemoryPuppet  # wechaty is an optional extra: imported only here
        puppet = MemoryPuppet(self_name=self.bot_name, clock=self.clock)
        for p in self.community.personas:
            puppet.add_contact(p.wechat_id, p.name)
        for chat in self.community.chats:
            puppet.add_room(chat.wechat_id, chat.title,
                            [self.community.persona(h).wechat_id for h in chat.members])
        self.puppet = puppet
        return puppet

    async def start(self, app: App) -> None:
        # wechaty's cache folder is fixed once per process: a reset keeps the first one
        cache = Path(os.environ.get("CACHE_DIR") or self.cache_dir)
        settings = WeChatSettings(start_timeout=15.0, stop_timeout=3.0, send_pause=0.0, send_timeout=10.0,
                                  cache_dir=cache, tick_seconds=3600)
        self.runtime = WeChatRuntime(app, puppet_factory=self._puppet, settings=settings)
        await self.runtime.start()

    async def stop(self) -> None:
        if self.runtime is not None:
            await self.runtime.stop()

    # --- what a visitor does --------------------------------------------------------------
    async def say(self, where: str, persona: Persona, text: str, reply_to: str | None = None) -> str:
        if reply_to:
            raise PlayError("微信试玩不支持引用回复：请写「#12 +1」附议，或「#12 内容」评论")
        if not text.strip():
            raise PlayError("消息不能为空")
        if where == "private":
            message_id = self.puppet.say_privately(persona.wechat_id, text)
        else:
            message_id = self.puppet.say_in_room(self.community.chat(where).wechat_id, persona.wechat_id, text)
        await self.settled()
        return self.ref(where, persona, message_id)

    async def edit(self, ref: str, text: str) -> None:
        raise PlayError("微信消息不能编辑")

    async def press(self, persona: Persona, ref: str, data: str):
        raise PlayError(TEXT_ONLY)

    async def open(self, persona: Persona, url: str) -> None:
        raise PlayError(TEXT_ONLY)

    async def vote(self, persona: Persona, poll_id: str, options: list[int]) -> None:
        raise PlayError(TEXT_ONLY)

    async def settled(self) -> None:
        """Wait until the runtime has taken every message event the puppet emitted."""
        deadline = asyncio.get_running_loop().time() + HANDLE_TIMEOUT
        while self.runtime.received < len(self.puppet.messages):
            if asyncio.get_running_loop().time() > deadline:
                raise PlayError("机器人没有及时回应（已记下，稍后会处理）")
            await asyncio.sleep(0.01)

    # --- what the page shows --------------------------------------------------------------
    def external(self, ref: str) -> tuple[str, str]:
        key, message_id = split_ref(ref)
        for chat in self.community.chats:
            if chat.key == key:
                return chat.wechat_id, message_id
        for p in self.community.personas:
            if private_key(p.handle) == key:
                return p.wechat_id, message_id
        raise PlayError("没有这个聊天")

    def ref(self, where: str, persona: Persona, message_id: str) -> str:
        return f"{private_key(persona.handle) if where == 'private' else where}:{message_id}"

    def view(self) -> tuple[dict[str, list], dict[str, list]]:
        chats = {c.key: [] for c in self.community.chats}
        private = {p.handle: [] for p in self.community.personas}
        if self.puppet is None:
            return chats, private
        bot_id = self.puppet.self_id()
        for payload in list(self.puppet.messages.values()):
            is_bot = payload.from_id == bot_id
            if payload.room_id:
                key = self._by_room.get(payload.room_id)
                box = chats.get(key) if key else None
            else:
                other = self._by_contact.get(payload.to_id if is_bot else payload.from_id)
                key = private_key(other.handle) if other else None
                box = private.get(other.handle) if other else None
            if box is None:
                continue
            sender = None if is_bot else self._by_contact.get(payload.from_id)
            box.append(message_view(
                ref=f"{key}:{payload.id}", name=self.bot_name if is_bot else (sender.name if sender else payload.from_id),
                handle=sender.handle if sender else None, bot=is_bot,
                at=datetime.fromtimestamp(payload.timestamp, self.zone),
                html=html.escape(payload.text or "").replace("\n", "<br>")))
        return chats, private

    def file(self, number: int):
        raise PlayError("没有这个文件")
