"""The playground's Telegram: the real python-telegram-bot runtime polling the local Bot API
server (``sandbox.telegram``), which holds every chat as Telegram would show it."""
from __future__ import annotations

import asyncio
import html
from collections.abc import Callable
from datetime import datetime
from urllib.parse import parse_qs, urlparse
from zoneinfo import ZoneInfo

from telegram import Message, Update
from telegram.ext import TypeHandler

from bot.bootstrap import App
from bot.telegram.runtime import UPDATES, TelegramRuntime
from sandbox.telegram import BotApiSandbox

from .community import Community, Persona
from .errors import PlayError
from .view import message_view, private_key, split_ref

HANDLE_TIMEOUT = 30.0  # seconds the bot may take to handle one update


class TelegramWorld:
    platform = "telegram"
    unsupported: tuple[str, ...] = ()

    def __init__(self, community: Community, clock: Callable[[], float], zone: ZoneInfo) -> None:
        self.community, self.zone = community, zone
        self.sb = BotApiSandbox(clock=clock)
        self.runtime: TelegramRuntime | None = None
        self.handled: set[int] = set()
        self.files: dict[str, int] = {}  # file_id → its number in /api/files/<n>
        self._html: dict[tuple, str] = {}
        self._by_user = {p.telegram_id: p for p in community.personas}
        self._by_chat = {c.telegram_id: c.key for c in community.chats}

    @property
    def bot_name(self) -> str:
        return self.sb.bot["first_name"]

    async def start(self, app: App) -> None:
        sb = self.sb
        await sb.start()
        for p in self.community.personas:
            sb.add_user(p.telegram_id, p.name, username=p.handle, language_code="zh-hans")
        for chat in self.community.chats:
            sb.add_chat(chat.telegram_id, "supergroup", title=chat.title)
            for handle in chat.members:
                sb.set_member(chat.telegram_id, self.community.persona(handle).telegram_id, "member")
        self.runtime = TelegramRuntime(app, token=sb.token, base_url=sb.url, tick_seconds=3600)
        self.runtime.application.add_handler(TypeHandler(Update, self._count), group=99)
        await self.runtime.start(timeout=1)

    async def stop(self) -> None:
        if self.runtime is not None:
            await self.runtime.stop()
        await self.sb.stop()

    async def _count(self, update: Update, context) -> None:
        self.handled.add(update.update_id)

    # --- what a visitor does --------------------------------------------------------------
    def _chat_id(self, where: str, persona: Persona) -> int:
        return persona.telegram_id if where == "private" else self.community.chat(where).telegram_id

    async def say(self, where: str, persona: Persona, text: str, reply_to: str | None = None) -> str:
        chat_id = self._chat_id(where, persona)
        reply = None
        if reply_to:
            key, message_id = split_ref(reply_to)
            if key != self._key(chat_id):
                raise PlayError("只能回复同一个聊天里的消息")
            reply = int(message_id)
        message = await self._act(lambda: self.sb.user_says(chat_id, persona.telegram_id, text, reply_to=reply))
        return f"{self._key(chat_id)}:{message['message_id']}"

    async def edit(self, ref: str, text: str) -> None:
        key, message_id = split_ref(ref)
        await self._act(lambda: self.sb.user_edits(self._chat_of(key), int(message_id), text))

    async def press(self, persona: Persona, ref: str, data: str) -> tuple[str | None, bool]:
        key, message_id = split_ref(ref)
        query = await self._act(lambda: self.sb.press(self._chat_of(key), int(message_id), persona.telegram_id, data))
        for answer in reversed(self.sb.callback_answers):
            if answer.get("callback_query_id") == query:
                return answer.get("text"), bool(answer.get("show_alert"))
        return None, False

    async def open(self, persona: Persona, url: str) -> None:
        """A t.me deep link to the bot: the private chat starts with ``/start <payload>``."""
        link = urlparse(url)
        if link.netloc != "t.me" or link.path.strip("/").lower() != self.sb.bot["username"].lower():
            raise PlayError("这个链接指向试玩以外的地方，这里打不开")
        payload = parse_qs(link.query).get("start", [""])[0]
        await self.say("private", persona, f"/start {payload}".strip())

    async def vote(self, persona: Persona, poll_id: str, options: list[int]) -> None:
        if poll_id not in self.sb.polls:
            raise PlayError("没有这个投票")
        await self._act(lambda: self.sb.vote(poll_id, persona.telegram_id, options))

    async def _act(self, action: Callable[[], object]):
        """Do what a user does in the sandbox, then wait until the bot has handled its updates."""
        before = len(self.sb.hub.history)
        try:
            result = action()
        except (ValueError, KeyError) as exc:
            raise PlayError(_chinese(str(exc).strip("'\""))) from None
        wanted = [u["update_id"] for u in self.sb.hub.history[before:] if any(k in u for k in UPDATES)]
        deadline = asyncio.get_running_loop().time() + HANDLE_TIMEOUT
        while not self.handled.issuperset(wanted):
            if asyncio.get_running_loop().time() > deadline:
                raise PlayError("机器人没有及时回应（已记下，稍后会处理）")
            await asyncio.sleep(0.01)
        return result

    # --- what the page shows --------------------------------------------------------------
    def _key(self, chat_id: int) -> str:
        if chat_id in self._by_chat:
            return self._by_chat[chat_id]
        return private_key(self._by_user[chat_id].handle)

    def _chat_of(self, key: str) -> int:
        for chat_id in list(self._by_chat) + list(self._by_user):
            if self._key(chat_id) == key:
                return chat_id
        raise PlayError("没有这个聊天")

    def external(self, ref: str) -> tuple[str, str]:
        """A page message id as (chat id, message id) on Telegram."""
        key, message_id = split_ref(ref)
        return str(self._chat_of(key)), message_id

    def ref(self, where: str, persona: Persona, message_id: str) -> str:
        return f"{self._key(self._chat_id(where, persona))}:{message_id}"

    def view(self) -> tuple[dict[str, list], dict[str, list]]:
        chats = {c.key: self._messages(c.telegram_id) for c in self.community.chats}
        private = {p.handle: self._messages(p.telegram_id) for p in self.community.personas}
        return chats, private

    def _messages(self, chat_id: int) -> list[dict]:
        state = self.sb.world.chats.get(chat_id)
        if state is None:
            return []
        key = self._key(chat_id)
        out = []
        for message_id in sorted(state.messages):
            m = state.messages[message_id]
            if message_id in state.deleted or not any(k in m for k in ("text", "caption", "poll", "document", "photo")):
                continue
            out.append(self._view(key, m))
        return out

    def _view(self, key: str, m: dict) -> dict:
        sender = m.get("from", {})
        is_bot = sender.get("id") == self.sb.bot["id"]
        persona = self._by_user.get(sender.get("id"))
        reply = m.get("reply_to_message")
        rows = m.get("reply_markup", {}).get("inline_keyboard", [])
        return message_view(
            ref=f"{key}:{m['message_id']}", name=self.bot_name if is_bot else (persona.name if persona else
                                                                               sender.get("first_name", "")),
            handle=None if is_bot or persona is None else persona.handle, bot=is_bot,
            at=datetime.fromtimestamp(m["date"], self.zone), html=self._text_html(key, m),
            reply_to=None if reply is None else {
                "id": f"{key}:{reply['message_id']}", "name": self._sender_name(reply),
                "text": (reply.get("text") or reply.get("caption") or reply.get("poll", {}).get("question", ""))[:60]},
            edited="edit_date" in m and not is_bot,
            buttons=[[{"text": b["text"], "data": b.get("callback_data"), "url": b.get("url")} for b in row]
                     for row in rows],
            poll=self._poll(m["poll"]["id"]) if "poll" in m else None, file=self._file(m))

    def _sender_name(self, m: dict) -> str:
        sender = m.get("from", {})
        if sender.get("id") == self.sb.bot["id"]:
            return self.bot_name
        persona = self._by_user.get(sender.get("id"))
        return persona.name if persona else sender.get("first_name", "")

    def _text_html(self, key: str, m: dict) -> str:
        """The text or caption with its entities as HTML (python-telegram-bot renders them)."""
        body = m.get("text") or m.get("caption") or ""
        if not body:
            return ""
        cache = (key, m["message_id"], body, repr(m.get("entities") or m.get("caption_entities")))
        if cache not in self._html:
            message = Message.de_json(m, None)
            rendered = (message.text_html if message.text else message.caption_html) or html.escape(body)
            self._html[cache] = rendered.replace("\n", "<br>")
        return self._html[cache]

    def _poll(self, poll_id: str) -> dict:
        poll = self.sb.polls[poll_id]
        votes = self.sb._poll_votes.get(poll_id, {})
        voters = {self._by_user[u].handle: list(o) for u, o in votes.items() if u in self._by_user and o}
        return {"id": poll_id, "question": poll["question"], "multiple": poll["allows_multiple_answers"],
                "closed": poll["is_closed"], "total": poll["total_voter_count"], "voters": voters,
                "options": [{"text": o["text"], "votes": o["voter_count"]} for o in poll["options"]]}

    def _file(self, m: dict) -> dict | None:
        if "document" in m:
            file_id, image = m["document"]["file_id"], False
        elif "photo" in m:
            file_id, image = m["photo"][-1]["file_id"], True
        else:
            return None
        stored = self.sb.files.files[file_id]
        number = self.files.setdefault(file_id, len(self.files) + 1)
        return {"name": stored.filename or f"file-{number}", "url": f"/api/files/{number}",
                "mime": stored.mime_type or "application/octet-stream", "image": image}

    def file(self, number: int) -> tuple[str, str, bytes]:
        for file_id, n in self.files.items():
            if n == number:
                stored = self.sb.files.files[file_id]
                return stored.filename or f"file-{n}", stored.mime_type or "application/octet-stream", stored.data
        raise PlayError("没有这个文件")


def _chinese(reason: str) -> str:
    """The sandbox's reason for refusing an action, as the page says it."""
    if reason.startswith("Telegram would not accept this text"):
        return "Telegram 不接受这条消息：" + reason.split(":", 1)[-1].strip()
    if "closed" in reason.lower():
        return "这个投票已经结束"
    return f"Telegram 不允许这样做（{reason}）"
