"""One outbox drain: fill, start the workers, release the rows, wait, check, stop.

The local Bot API server runs in a thread of this process (its own event loop); the workers
are ``python -m bot.cli deliver`` subprocesses with the sandbox as ``base_url``. Times are
the server's: when it let each send through (``RateLimits.admitted``; without limits, limits
too high ever to refuse record the same). Raises if any row is not sent exactly once.
"""
from __future__ import annotations

import asyncio
import os
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from sqlalchemy import func, select, update

from sandbox.telegram import BotApiSandbox
from sandbox.telegram.limits import RateLimits
from storage import migrate, outbox
from storage.db import session_factory
from storage.models import Chat, OutboxMessage

from .community import config_toml
from .databases import Database

ROOT = Path(__file__).resolve().parent.parent
HELD = datetime(2100, 1, 1, tzinfo=timezone.utc)  # not_before of rows filled but not yet released
FIRST_GROUP, FIRST_USER = -1_000_000_001, 7_000_001
UNLIMITED = dict(overall_per_second=1e9, overall_burst=10**9, group_per_minute=10**9, private_per_second=1e9,
                 private_burst=10**9)


@dataclass(frozen=True)
class Mix:
    groups: int
    per_group: int
    private: int
    per_private: int

    @classmethod
    def spread(cls, messages: int, groups: int, private: int) -> Mix:
        per_chat = max(1, messages // max(1, groups + private))
        return cls(groups, per_chat, private, per_chat)

    def chats(self) -> list[tuple[str, int]]:
        return [("group", self.per_group)] * self.groups + [("private", self.per_private)] * self.private

    def describe(self) -> str:
        return f"{self.groups}×{self.per_group} group, {self.private}×{self.per_private} private"


def drain(db: Database, mix: Mix, workers: int, *, limits: bool, timeout: float = 600.0) -> dict:
    """Drain ``mix`` with ``workers`` processes; raw figures of the run."""
    url = db.url if db.schema is None else f"{db.url}?options=-csearch_path%3D{db.schema}"
    engine = db.engine()
    server = Server(RateLimits(clock=time.monotonic) if limits else RateLimits(clock=time.monotonic, **UNLIMITED))
    try:
        migrate.upgrade(engine)
        sessions = session_factory(engine)
        texts = fill(sessions, server.sb, mix)
        with tempfile.TemporaryDirectory(prefix="shangliang-outbox-") as folder:
            config = Path(folder) / "config.toml"
            config.write_text(config_toml(1, db.url) + f'\n[telegram]\nbase_url = "{server.sb.url}"\n'
                              f'rate_limit = {"true" if limits else "false"}\n', "utf-8")
            procs = [Worker(Path(folder), n, server.sb.token, config, url) for n in range(workers)]
            try:
                _until(lambda: all(p.ready() for p in procs), 120, procs)
                released = time.monotonic()
                with sessions() as session, session.begin():
                    session.execute(update(OutboxMessage).values(not_before=datetime.now(timezone.utc)))
                _until(lambda: _sent(sessions) == len(texts), timeout, procs)
            finally:
                stopped = [p.stop() for p in procs]
        return measure(server.sb, texts, released, stopped)
    finally:
        server.stop()
        engine.dispose()


def fill(sessions, sb: BotApiSandbox, mix: Mix) -> dict[int, str]:
    """Chats on both sides, and the rows, round robin over the chats, held back; id -> text."""
    now = datetime.now(timezone.utc)
    with sessions() as session:
        chats = []
        for n in range(mix.groups):
            chat_id = FIRST_GROUP - n
            sb.add_chat(chat_id, "supergroup", title=f"网格群 {n + 1}")
            chats.append((Chat(platform="telegram", external_id=str(chat_id), key=f"g{n}", kind="grid"),
                          mix.per_group))
        for n in range(mix.private):
            user_id = FIRST_USER + n
            sb.add_user(user_id, f"居民{n + 1}")
            sb.add_chat(user_id, "private")
            sb.world.chats[user_id].started = True  # they wrote to the bot once: it may write to them
            chats.append((Chat(platform="telegram", external_id=str(user_id), kind="private"), mix.per_private))
        session.add_all([chat for chat, _ in chats])
        session.flush()
        texts = {}
        for turn in range(max(count for _, count in chats)):
            for chat, count in chats:
                if turn < count:
                    text = f"第 {turn + 1} 条 · {chat.external_id}"
                    texts[outbox.enqueue(session, kind="bench", text=text, now=now, platform="telegram",
                                         chat_id=chat.id)] = text
        session.execute(update(OutboxMessage).values(not_before=HELD))
        session.commit()
    return texts


def measure(sb: BotApiSandbox, texts: dict[int, str], released: float, stopped: list[tuple[int, int]]) -> dict:
    delivered = [n for n, _ in stopped]
    times = sorted(at for at, _ in sb.limits.admitted)
    sent = Counter(m["text"] for m in sb.sent())
    if sent != Counter(texts.values()) or sum(delivered) != len(texts):
        twice = sum(1 for n in sent.values() if n > 1)
        raise AssertionError(f"not every row sent exactly once: {len(sent)} of {len(texts)} texts, {twice} twice, "
                             f"workers say {delivered}")
    span = times[-1] - times[0]
    return {"messages": len(texts), "drain_s": span, "per_s": (len(times) - 1) / span if span else 0.0,
            "refused": sb.limits.refused, "refusals": dict(sb.limits.refusals),
            "release_to_first_s": times[0] - released, "per_worker": delivered,
            "put_off": sum(n for _, n in stopped), "errors": len(sb.errors)}


def _sent(sessions) -> int:
    with sessions() as session:
        return session.scalar(select(func.count()).select_from(OutboxMessage).where(
            OutboxMessage.state == "sent")) or 0


def _until(predicate, timeout: float, procs: list[Worker]) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        dead = [p for p in procs if p.process.poll() is not None]
        if dead:
            raise RuntimeError(f"a worker exited early: {dead[0].log.read_text('utf-8', 'replace')[-2000:]}")
        if time.monotonic() > deadline:
            raise TimeoutError(f"outbox drain: not done within {timeout:.0f} s")
        time.sleep(0.1)


class Worker:
    """One ``shangliang deliver`` process; its log goes to a file so no pipe can fill up."""

    def __init__(self, folder: Path, n: int, token: str, config: Path, url: str) -> None:
        self.log, self.out = folder / f"w{n}.log", folder / f"w{n}.out"
        env = {**os.environ, "SHANGLIANG_TELEGRAM_TOKEN": token}
        with self.log.open("wb") as err, self.out.open("wb") as out:
            self.process = subprocess.Popen([sys.executable, "-m", "bot.cli", "-v", "deliver", "--config", str(config),
                                             "--database", url], env=env, cwd=ROOT, stdout=out, stderr=err)

    def ready(self) -> bool:
        return "delivering Telegram messages" in self.log.read_text("utf-8", "replace")

    def stop(self) -> tuple[int, int]:
        """SIGTERM, then how many messages it says it delivered, and how often it put one off."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        said = self.out.read_text("utf-8").strip()
        put_off = re.search(r"put off to a later slot (\d+) times", self.log.read_text("utf-8", "replace"))
        return (int(said.split()[1]) if said.startswith("delivered ") else 0), int(put_off[1]) if put_off else 0


class Server:
    """The sandbox serving from a thread of its own."""

    def __init__(self, limits: RateLimits) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="bot-api-sandbox", daemon=True)
        self.thread.start()
        self.sb = BotApiSandbox(limits=limits)
        asyncio.run_coroutine_threadsafe(self.sb.start(), self.loop).result(timeout=30)

    def stop(self) -> None:
        asyncio.run_coroutine_threadsafe(self.sb.stop(), self.loop).result(timeout=30)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=10)
        self.loop.close()
