"""BotApiSandbox: a local, strict Bot API server for tests with the real python-telegram-bot."""
from __future__ import annotations

import asyncio
import copy
import inspect
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from aiohttp import web

from . import files as _files, methods_bot, methods_chats, methods_messages, methods_polls  # noqa: F401  (register methods)
from .base import Call
from .faults import Fault, Faults, make_error
from .files import FileStore
from .inject import InjectMixin
from .limits import RateLimits
from .server import make_app
from .spec import Spec
from .state import World
from .updates import UpdateHub


class BotApiSandbox(InjectMixin):
    """Usage::

        async with BotApiSandbox() as sb:
            app = (ApplicationBuilder().token(sb.token).base_url(f"{sb.url}/bot")
                   .base_file_url(f"{sb.url}/file/bot").build())
            sb.add_user(1, "Ann"); sb.add_chat(-1001, "supergroup", title="网格")
            sb.user_says(-1001, 1, "#报事 路灯坏了")
            await sb.wait_for(lambda: sb.sent(-1001))
            assert sb.errors == []

    ``limits=True`` enforces Telegram's rate limits on sending (``limits.RateLimits``: 30/s
    overall, 20 a minute per group, about 1/s per private chat), answering 429 with
    ``retry_after`` past them and counting those answers in ``sb.limits.refused``.

    Faults: `fail` answers an error without effect, `drop` closes the connection without effect,
    `slow` lets the call take effect and delays its answer (a reply lost in transit).
    """

    def __init__(self, *, token: str = "123456789:sandbox-token-not-a-real-one",
                 bot_username: str = "shangliang_bot", spec_path: str | Path | None = None,
                 privacy_mode: bool = False, port: int = 0, clock: Callable[[], float] | None = None,
                 limits: bool | RateLimits = False):
        self.spec = Spec(spec_path)
        #: Telegram's rate limits (``limits=True``, or your own ``RateLimits``): 429s past them
        self.limits: RateLimits | None = RateLimits() if limits is True else (limits or None)
        self.token = token
        self.privacy_mode = privacy_mode
        self.bot: dict[str, Any] = {
            "id": int(token.split(":", 1)[0]), "is_bot": True, "first_name": "商量",
            "username": bot_username, "can_join_groups": True,
            "can_read_all_group_messages": not privacy_mode, "supports_inline_queries": False,
            "can_connect_to_business": False, "has_main_web_app": False}
        self.bot_sender = {k: self.bot[k] for k in ("id", "is_bot", "first_name", "username")}
        self.world = World(self.bot_sender, clock or time.time)  # message dates
        self.hub = UpdateHub()
        self.faults = Faults(self.spec.canonical)
        self.files = FileStore()
        self.errors: list[str] = []
        self.disconnects = 0  # requests whose client hung up before the sandbox had read them
        self.calls: list[Call] = []
        self.polls: dict[str, dict] = {}
        self.callback_answers: list[dict] = []
        self.topics: dict[int, list[dict]] = {}
        self.scoped_commands: dict[tuple[str, str], list[dict]] = {}
        self.descriptions: dict[str, str] = {}
        self.short_descriptions: dict[str, str] = {}
        self.names: dict[str, str] = {"": self.bot["first_name"]}
        self.url = ""
        self._port = port
        self._sent: list[tuple[int, int]] = []
        self._poll_votes: dict[str, dict[int, list[int]]] = {}
        self._poll_where: dict[str, tuple[int, int]] = {}
        self._callbacks: dict[str, dict] = {}
        self._timers: list[asyncio.TimerHandle] = []
        self._runner: web.AppRunner | None = None

    # ---- lifecycle -------------------------------------------------------------------------
    async def start(self) -> None:
        await self.hub.start()
        self._runner = web.AppRunner(make_app(self), access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", self._port)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]
        self.url = f"http://127.0.0.1:{port}"

    async def stop(self) -> None:
        for timer in self._timers:
            timer.cancel()
        await self.hub.stop()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> BotApiSandbox:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    # ---- world -----------------------------------------------------------------------------
    def add_user(self, user_id: int, first_name: str, *, username: str | None = None,
                 language_code: str | None = None) -> dict:
        return self.world.add_user(user_id, first_name, username, language_code)

    def add_chat(self, chat_id: int, type: str, *, title: str | None = None, is_forum: bool = False,
                 user_id: int | None = None) -> dict:
        return self.world.add_chat(chat_id, type, title, is_forum, user_id)

    # ---- observing -------------------------------------------------------------------------
    def calls_to(self, method: str) -> list[Call]:
        name = self.spec.canonical(method) or method
        return [c for c in self.calls if c.method == name]

    def sent(self, chat_id: int | None = None) -> list[dict]:
        """Messages the bot sent (text, polls, documents, photos), oldest first, as they are now."""
        out = []
        for cid, mid in self._sent:
            state = self.world.chats[cid]
            if (chat_id is None or cid == chat_id) and mid not in state.deleted:
                out.append(copy.deepcopy(state.messages[mid]))
        return out

    def message(self, chat_id: int, message_id: int) -> dict:
        state = self._state(chat_id)
        if message_id in state.deleted:
            raise KeyError(f"message {message_id} in chat {chat_id} was deleted")
        if message_id not in state.messages:
            raise KeyError(f"no message {message_id} in chat {chat_id}")
        return copy.deepcopy(state.messages[message_id])

    def deleted(self, chat_id: int) -> set[int]:
        return set(self._state(chat_id).deleted)

    @property
    def commands(self) -> dict[str, list[dict]]:
        """Default-scope commands by language_code ("" = all languages)."""
        return {lang: copy.deepcopy(cmds) for (scope, lang), cmds in self.scoped_commands.items()
                if scope == "default"}

    @property
    def webhook(self) -> dict | None:
        hook = self.hub.webhook
        return None if hook is None else {"url": hook["url"], "secret_token": hook["secret_token"]}

    @property
    def updates(self) -> list[dict]:
        """Every update created so far (delivered or not)."""
        return copy.deepcopy(self.hub.history)

    async def wait_for(self, predicate: Callable[[], bool], timeout: float = 10.0) -> None:
        """Poll `predicate` every 20 ms (IndexError/KeyError count as "not yet")."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            try:
                if predicate():
                    return
            except LookupError:
                pass
            if loop.time() >= deadline:
                try:
                    what = inspect.getsource(predicate).strip()
                except (OSError, TypeError):
                    what = repr(predicate)
                recent = [f"{c.method}({c.params}) -> {c.answer}" for c in self.calls[-5:]]
                raise AssertionError(f"wait_for timed out after {timeout}s: {what}\n"
                                     f"last calls: {recent}\nsandbox errors: {self.errors}")
            await asyncio.sleep(0.02)

    def close_poll(self, poll_id: str) -> None:
        """Close a poll now, as if its open_period / close_date ran out (a `poll` update follows)."""
        if poll_id not in self.polls:
            raise KeyError(f"unknown poll {poll_id!r}")
        methods_polls.close_poll(self, poll_id)

    # ---- faults ----------------------------------------------------------------------------
    # Each fault covers the next `times` calls of the method, after `after` calls that go through.
    def fail(self, method: str, *, error_code: int = 429, retry_after: int | None = None,
             description: str | None = None, times: int = 1, after: int = 0) -> None:
        error = make_error(error_code, retry_after, description)
        self._fault(method, Fault("fail", times, error=error), after)

    def slow(self, method: str, seconds: float, times: int = 1, after: int = 0) -> None:
        """The call takes effect, then its answer is delayed by `seconds`."""
        self._fault(method, Fault("slow", times, seconds=seconds), after)

    def drop(self, method: str, times: int = 1, after: int = 0) -> None:
        """The connection is closed without an answer; the call takes no effect."""
        self._fault(method, Fault("drop", times), after)

    def _fault(self, method: str, fault: Fault, after: int) -> None:
        if after:
            self.faults.add(method, Fault("pass", after))
        self.faults.add(method, fault)
