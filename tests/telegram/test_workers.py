"""`shangliang deliver` as operators run it: separate worker processes draining one database
into the Bot API sandbox. Several workers send every row exactly once; a worker killed with
SIGKILL mid-batch loses nothing, and only the row it had sent but not yet marked goes twice."""
from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections import Counter
from datetime import datetime, timezone
from pathlib import Path

import pytest
import pytest_asyncio
from sqlalchemy import func, select

from sandbox.telegram import BotApiSandbox
from storage import migrate, outbox
from storage.db import make_engine, session_factory
from storage.models import Chat, OutboxMessage
from tests.conftest import PG_URL, fresh_schema

from .conftest import COMMITTEE, GRID, config_text

pytestmark = pytest.mark.asyncio
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def pg_url():
    """A URL other processes can open, whose search_path is a fresh PostgreSQL schema."""
    with fresh_schema("w_") as schema:
        yield f"{PG_URL}?options=-csearch_path%3D{schema}"


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request, tmp_path):
    """A SQLite file or a PostgreSQL schema: each test using this runs on both."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'workers.db'}"
    return request.getfixturevalue("pg_url")


class Queue:
    """The database side: chats the bot knows, and rows to deliver."""

    def __init__(self, url: str) -> None:
        self.engine = make_engine(url)
        migrate.upgrade(self.engine)
        self.sessions = session_factory(self.engine)
        with self.sessions() as session:
            self.chats = []
            for key, external in (("grid-1", GRID), ("committee", COMMITTEE)):
                chat = Chat(platform="telegram", external_id=str(external), key=key, kind=key.split("-")[0],
                            title=key)
                session.add(chat)
                session.flush()
                self.chats.append(chat.id)
            session.commit()

    def enqueue(self, count: int) -> dict[int, str]:
        """``count`` rows due now, alternating between the two groups; id -> text."""
        now = datetime.now(timezone.utc)
        texts = {}
        with self.sessions() as session:
            for i in range(count):
                body = f"第 {i:04d} 条消息"
                row_id = outbox.enqueue(session, kind="test", text=body, now=now, platform="telegram",
                                        chat_id=self.chats[i % 2])
                texts[row_id] = body
            session.commit()
        return texts

    def rows(self) -> list[OutboxMessage]:
        with self.sessions() as session:
            return list(session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))

    def sent(self) -> int:
        with self.sessions() as session:
            return session.scalar(select(func.count()).select_from(OutboxMessage).where(
                OutboxMessage.state == "sent")) or 0


@pytest_asyncio.fixture
async def sandbox():
    sb = BotApiSandbox()
    await sb.start()
    sb.add_chat(GRID, "supergroup", title="幸福里居民群")
    sb.add_chat(COMMITTEE, "supergroup", title="议事委员会")
    try:
        yield sb
    finally:
        await sb.stop()


def write_config(tmp_path: Path, sb: BotApiSandbox) -> Path:
    """The sandbox as the Bot API; without Telegram's 20-a-minute-per-group pacing, which
    each worker applies on its own (the sandbox imposes no limits)."""
    path = tmp_path / "config.toml"
    path.write_text(config_text() + f'\n[telegram]\nbase_url = "{sb.url}"\nrate_limit = false\n', "utf-8")
    return path


class Worker:
    """One `shangliang deliver` process; its log goes to a file so no pipe can fill up."""

    def __init__(self, tmp_path: Path, name: str) -> None:
        self.log = tmp_path / f"{name}.log"
        self.out = tmp_path / f"{name}.out"
        self.process: asyncio.subprocess.Process | None = None

    async def start(self, sb: BotApiSandbox, config: Path, url: str, *args: str) -> Worker:
        env = {**os.environ, "SHANGLIANG_TELEGRAM_TOKEN": sb.token}
        with self.log.open("wb") as err, self.out.open("wb") as out:
            self.process = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "bot.cli", "-v", "deliver", "--config", str(config), "--database", url,
                *args, env=env, cwd=ROOT, stdout=out, stderr=err)
        return self

    def ready(self) -> bool:
        return "delivering Telegram messages" in self.log.read_text("utf-8", "replace")

    async def stop(self) -> int:
        """SIGTERM (finish the batch in hand), then: how many messages it says it delivered."""
        self.process.send_signal(signal.SIGTERM)
        code = await asyncio.wait_for(self.process.wait(), timeout=30)
        assert code == 0, self.log.read_text("utf-8", "replace")
        said = self.out.read_text("utf-8").strip()
        assert said.startswith("delivered "), said
        return int(said.split()[1])


def delivered_texts(sb: BotApiSandbox) -> Counter:
    return Counter(m["text"] for m in sb.sent())


@pytest.mark.postgres
async def test_four_workers_on_postgresql_deliver_a_thousand_rows_each_exactly_once(tmp_path, sandbox, pg_url):
    url = pg_url
    queue = Queue(url)
    config = write_config(tmp_path, sandbox)
    workers = [await Worker(tmp_path, f"w{i}").start(sandbox, config, url) for i in range(4)]
    try:
        await sandbox.wait_for(lambda: all(w.ready() for w in workers), timeout=60)
        texts = queue.enqueue(1000)  # all four are idle and polling when the work arrives
        await sandbox.wait_for(lambda: queue.sent() == len(texts), timeout=240)
    finally:
        counts = [await w.stop() for w in workers]

    assert sum(counts) == 1000
    assert sum(1 for n in counts if n) >= 2, counts  # the work really was shared
    assert delivered_texts(sandbox) == Counter(texts.values())  # every row once, none twice
    rows = queue.rows()
    assert {r.state for r in rows} == {"sent"}
    assert len({(r.chat_id, r.external_message_id) for r in rows}) == 1000
    assert {r.attempts for r in rows} == {1}
    assert sandbox.errors == []
    queue.engine.dispose()


async def test_a_worker_killed_mid_batch_loses_nothing_and_repeats_only_the_row_in_flight(
        tmp_path, sandbox, database_url):
    queue = Queue(database_url)
    texts = queue.enqueue(40)
    ids = sorted(texts)
    config = write_config(tmp_path, sandbox)
    # batches of 5: the first batch and two rows of the second are sent and marked; the
    # eighth send reaches Telegram, whose answer then hangs, and the worker is killed
    sandbox.slow("sendMessage", 20, after=7)
    first = await Worker(tmp_path, "first").start(sandbox, config, database_url, "--batch", "5", "--lease", "3")
    await sandbox.wait_for(lambda: len(sandbox.sent()) == 8, timeout=60)
    first.process.send_signal(signal.SIGKILL)
    assert await asyncio.wait_for(first.process.wait(), timeout=30) == -signal.SIGKILL

    rows = {r.id: r for r in queue.rows()}
    assert [i for i in ids if rows[i].state == "sent"] == ids[:7]
    in_flight = ids[7:10]  # leased to the dead worker, not marked
    assert all(rows[i].state == "pending" and rows[i].locked_until is not None for i in in_flight)

    second = await Worker(tmp_path, "second").start(sandbox, config, database_url, "--lease", "3")
    try:
        await sandbox.wait_for(lambda: queue.sent() == 40, timeout=120)
    finally:
        finished = await second.stop()

    assert finished == 33  # 40 rows, 7 marked by the first worker
    got = delivered_texts(sandbox)
    assert set(got) == set(texts.values())  # nothing lost
    twice = sorted(body for body, n in got.items() if n > 1)
    assert twice == [texts[ids[7]]]  # only the one sent and not marked when the worker died
    rows = {r.id: r for r in queue.rows()}
    assert {r.state for r in rows.values()} == {"sent"}
    assert [rows[i].attempts for i in in_flight] == [2, 2, 2]
    assert sandbox.errors == []
    queue.engine.dispose()


async def test_a_worker_stops_on_sigterm_after_the_batch_in_hand(tmp_path, sandbox, database_url):
    queue = Queue(database_url)
    texts = queue.enqueue(10)
    config = write_config(tmp_path, sandbox)
    sandbox.slow("sendMessage", 1.0, after=1)  # the second send of the first batch takes a second
    worker = await Worker(tmp_path, "w").start(sandbox, config, database_url, "--batch", "5")
    await sandbox.wait_for(lambda: len(sandbox.sent()) == 2, timeout=60)
    finished = await worker.stop()  # asked to stop in the middle of the first batch

    assert finished == 5  # that batch was finished and recorded; the second never leased
    rows = queue.rows()
    assert [r.state for r in rows] == ["sent"] * 5 + ["pending"] * 5
    assert all(r.locked_until is None for r in rows[5:])
    assert delivered_texts(sandbox) == Counter(list(texts.values())[:5])
    queue.engine.dispose()


async def test_deliver_refuses_a_database_that_is_not_migrated(tmp_path, sandbox):
    url = f"sqlite:///{tmp_path / 'empty.db'}"
    worker = await Worker(tmp_path, "w").start(sandbox, write_config(tmp_path, sandbox), url)
    assert await asyncio.wait_for(worker.process.wait(), timeout=30) == 2
    assert "shangliang migrate" in worker.log.read_text("utf-8")
    assert sandbox.calls_to("sendMessage") == []
