"""Several delivery workers keep Telegram's limits together, not each on its own.

The sandbox enforces the limits (429 past them); the workers pace through the database. First
three real `shangliang deliver` processes on PostgreSQL with Telegram's own numbers: together
they stay inside 30 a second, no group gets a 21st message within the minute (the rest wait,
untried, for the window), a private chat's third message waits its second — and not one 429.
Then three delivery cores with their own connections, on both databases, with every limit
made short enough to see windows pass: every row is sent exactly once, inside every window,
and a 429 that still comes holds that chat off for all of them and is retried, not doubled.
"""
from __future__ import annotations

import asyncio
import time
from collections import Counter, defaultdict
from datetime import datetime, timezone

import pytest
from sqlalchemy import select
from telegram import Bot

from bot.delivery.core import DeliveryCore
from bot.delivery.pacing import Limits
from bot.telegram.transport import TelegramTransport
from handlers.clock import SystemClock
from sandbox.telegram import BotApiSandbox
from sandbox.telegram.limits import RateLimits
from storage import migrate, outbox
from storage.db import make_engine, session_factory
from storage.models import Chat, OutboxMessage
from storage.pacing import Bucket, Window
from tests.conftest import PG_URL, fresh_schema

from .conftest import config_text
from .test_workers import Worker

pytestmark = pytest.mark.asyncio
GROUPS = (-1001, -1002)
USERS = tuple(range(801, 841))


@pytest.fixture
def pg_url():
    with fresh_schema("p_") as schema:
        yield f"{PG_URL}?options=-csearch_path%3D{schema}"


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request, tmp_path):
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'pacing.db'}"
    return request.getfixturevalue("pg_url")


def world(sb: BotApiSandbox) -> None:
    for n, group in enumerate(GROUPS):
        sb.add_chat(group, "supergroup", title=f"网格群 {n + 1}")
    for user in USERS:
        sb.add_user(user, f"居民{user}")
        sb.add_chat(user, "private")
        sb.world.chats[user].started = True


def prepare(url: str):
    """A migrated database knowing the chats; (engine, our chat id by Telegram's)."""
    engine = make_engine(url)
    migrate.upgrade(engine)
    with session_factory(engine)() as session:
        chats = {external: Chat(platform="telegram", external_id=str(external), key=f"c{external}",
                                kind="grid" if external < 0 else "private") for external in GROUPS + USERS}
        session.add_all(chats.values())
        session.commit()
        return engine, {external: chat.id for external, chat in chats.items()}


def fill(engine, chats: dict[int, int], per_group: int, per_user: int) -> dict[int, tuple[int, str]]:
    """Rows due now: the groups' interleaved, then each person's one after another (so a
    third must wait for its second); id -> (Telegram chat, text)."""
    now = datetime.now(timezone.utc)
    plan = [g for _ in range(per_group) for g in GROUPS] + [u for u in USERS for _ in range(per_user)]
    rows = {}
    with session_factory(engine)() as session:
        for external in plan:
            text = f"第 {len(rows) + 1} 条"
            rows[outbox.enqueue(session, kind="t", text=text, now=now, platform="telegram",
                                chat_id=chats[external])] = (external, text)
        session.commit()
    return rows


def stored(engine) -> dict[int, OutboxMessage]:
    with session_factory(engine)() as session:
        return {r.id: r for r in session.scalars(select(OutboxMessage))}


def by_chat(sb: BotApiSandbox) -> dict[int, list[float]]:
    admitted = defaultdict(list)
    for at, chat in sb.limits.admitted:
        admitted[chat].append(at)
    return admitted


def most_in_any(times: list[float], seconds: float) -> int:
    times, most, start = sorted(times), 0, 0
    for end, at in enumerate(times):
        while times[start] <= at - seconds:
            start += 1
        most = max(most, end - start + 1)
    return most


@pytest.mark.postgres
async def test_three_deliver_processes_keep_telegrams_limits_together(tmp_path, pg_url):
    sb = BotApiSandbox(limits=RateLimits(clock=time.time))
    await sb.start()
    world(sb)
    engine, chats = prepare(pg_url)
    config = tmp_path / "config.toml"
    config.write_text(config_text() + f'\n[telegram]\nbase_url = "{sb.url}"\nrate_limit = true\n', "utf-8")
    try:
        workers = [await Worker(tmp_path, f"w{i}").start(sb, config, pg_url) for i in range(3)]
        try:
            await sb.wait_for(lambda: all(w.ready() for w in workers), timeout=60)
            rows = fill(engine, chats, per_group=24, per_user=3)  # 48 + 120 rows, all three polling
            await sb.wait_for(lambda: len(sb.sent()) == 160, timeout=60)  # all but the groups' last 4
            await asyncio.sleep(1.0)  # and nothing more comes
        finally:
            counts = [await w.stop() for w in workers]
        assert sb.limits.refused == 0  # not one 429
        assert sum(counts) == 160 and sum(1 for n in counts if n) >= 2, counts

        admitted = by_chat(sb)
        assert most_in_any([at for at, _ in sb.limits.admitted], 1.0) <= 50  # one budget (30/s, bursts of 15), not three
        for group in GROUPS:
            assert len(admitted[group]) == 20  # the window's twenty; the rest wait
        for user in USERS:
            first, _, third = sorted(admitted[user])
            assert third - first >= 0.9  # a burst of two, then a second's wait

        rows_now = stored(engine)
        sent = [r for r in rows_now.values() if r.state == "sent"]
        assert Counter(m["text"] for m in sb.sent()) == Counter(rows[r.id][1] for r in sent)  # each once
        assert {r.attempts for r in sent} == {1}
        held = [r for r in rows_now.values() if r.state != "sent"]
        assert len(held) == 8 and {rows[r.id][0] for r in held} == set(GROUPS)
        for row in held:  # pending, untried, unleased, due when the chat's window has room again
            assert row.state == "pending" and row.attempts == 0 and row.locked_until is None
            assert row.not_before.timestamp() >= min(admitted[rows[row.id][0]]) + 60
        assert sb.errors == []
    finally:
        engine.dispose()
        await sb.stop()


# Telegram's limits made short: 10/s overall, 4 per 2 s per group, 2/s per private chat;
# the pacers keep each a little inside, as TELEGRAM does the real ones
SHORT = dict(overall_per_second=10, overall_burst=10, group_per_minute=4, group_window=2.0,
             private_per_second=2, private_burst=2)
PACED = Limits(overall=Bucket(per_second=10, burst=6), group=Window(count=4, seconds=2.2),
               private=Bucket(per_second=2, burst=1))


async def test_three_cores_send_every_row_once_inside_every_window_and_honour_a_429(database_url):
    sb = BotApiSandbox(limits=RateLimits(clock=time.time, **SHORT))
    await sb.start()
    world(sb)
    engine, chats = prepare(database_url)
    rows = fill(engine, chats, per_group=10, per_user=2)  # 20 group rows + 80 private
    sb.fail("sendMessage", error_code=429, retry_after=1, after=12)  # Telegram still says no, once
    engines = [make_engine(database_url) for _ in range(3)]  # three workers: their own connections
    try:
        async with Bot(sb.token, base_url=f"{sb.url}/bot") as bot:
            cores = [DeliveryCore(session_factory(e), TelegramTransport(bot, PACED), SystemClock(), batch=3)
                     for e in engines]
            sent = await asyncio.wait_for(asyncio.gather(*(c.run(until_idle=True) for c in cores)), timeout=60)
        assert sum(sent) == 100
        refused = [c for c in sb.calls_to("sendMessage") if c.answer and c.answer.get("error_code") == 429]
        assert len(refused) == 1 and sb.limits.refused == 0  # only the planted 429; pacing caused none
        assert Counter(m["text"] for m in sb.sent()) == Counter(text for _, text in rows.values())

        admitted = by_chat(sb)
        for group in GROUPS:
            assert len(admitted[group]) == 10 and most_in_any(admitted[group], 2.0) <= 4
        for user in USERS:
            first, second = sorted(admitted[user])
            assert second - first >= 0.45  # 2 a second, no burst
        chat, refused_at = int(refused[0].params["chat_id"]), refused[0].at
        assert not [at for at in admitted[chat] if refused_at < at < refused_at + 1.0]  # held off its second

        rows_now = stored(engine).values()
        assert {r.state for r in rows_now} == {"sent"}
        assert Counter(r.attempts for r in rows_now) == {1: 99, 2: 1}  # being put off is no attempt; a 429 is
        assert sum(c.put_off for c in cores) > 0 and sum(c.throttled for c in cores) == 1
        assert sb.errors == []
    finally:
        for e in engines:
            e.dispose()
        engine.dispose()
        await sb.stop()
