"""`shangliang run` killed with SIGKILL while a burst of reports waits: nothing is lost.

Sixty reports are queued at the sandbox before the bot starts (as after downtime). The bot
is killed after it has answered k of them and started again: every report must become
exactly one concern and get its answer. Telegram forgets an update once the bot confirms it
with its next getUpdates, so the bot must have stored an update before confirming it.
"""
import asyncio
import os
import signal
import sys

import pytest
from sqlalchemy import func, select

from sandbox.telegram import BotApiSandbox
from storage.db import make_engine
from storage.models import Concern, InboundUpdate, SourceMessage
from tests.conftest import PG_URL, fresh_schema

from .conftest import COMMITTEE, COORDINATORS, GRID, config_text

pytestmark = pytest.mark.asyncio
REPORTS = 60
FIRST_RESIDENT = 5000


async def start(config, env) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot.cli", "run", "--config", str(config), env=env,
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE)


def acknowledged(sb: BotApiSandbox) -> set[int]:
    """The reports (by message id) the bot answered in the grid group."""
    return {m["reply_to_message"]["message_id"] for m in sb.sent(GRID) if "reply_to_message" in m}


async def kill_after(sb, config, env, answered: int) -> None:
    process = await start(config, env)
    try:
        await sb.wait_for(lambda: len(acknowledged(sb)) >= answered, timeout=60)
    finally:
        process.send_signal(signal.SIGKILL)
        await process.wait()


async def crash_and_restart(tmp_path, url: str, kill_at: list[int]) -> None:
    sb = BotApiSandbox()
    await sb.start()
    try:
        for chat, kind in ((GRID, "supergroup"), (COMMITTEE, "supergroup"), (COORDINATORS, "group")):
            sb.add_chat(chat, kind)
        config = tmp_path / "config.toml"
        config.write_text(config_text() + f'\n[database]\nurl = "{url}"\n\n'
                          f'[telegram]\nbase_url = "{sb.url}"\ntick_seconds = 1\nrate_limit = false\n', "utf-8")
        env = {**os.environ, "SHANGLIANG_TELEGRAM_TOKEN": sb.token}
        reports = []
        for i in range(REPORTS):  # sixty residents, one report each, all waiting before the bot starts
            sb.add_user(FIRST_RESIDENT + i, f"居民{i}")
            reports.append(sb.user_says(GRID, FIRST_RESIDENT + i, f"#报事 {i + 1}号楼{i + 1}单元门口的路灯坏了"))

        for answered in kill_at:
            await kill_after(sb, config, env, answered)
        process = await start(config, env)
        try:
            await sb.wait_for(lambda: len(acknowledged(sb)) == REPORTS, timeout=120)
        finally:
            process.send_signal(signal.SIGINT)
            _, err = await asyncio.wait_for(process.communicate(), timeout=30)
        assert process.returncode == 0, err.decode()[-2000:]
        assert acknowledged(sb) == {r["message_id"] for r in reports}

        engine = make_engine(url)
        try:
            with engine.connect() as c:
                assert c.scalar(select(func.count()).select_from(Concern)) == REPORTS
                sources = c.execute(select(SourceMessage.external_message_id)).scalars().all()
                assert len(sources) == len(set(sources)) == REPORTS  # each report registered exactly once
                assert c.scalar(select(func.count()).select_from(InboundUpdate)
                                .where(InboundUpdate.handled_at.is_(None))) == 0
        finally:
            engine.dispose()
        assert sb.errors == []
    finally:
        await sb.stop()


# each kill delays the batch the killed process had leased by one lease (60 s): few cases
@pytest.mark.parametrize("kill_at", [[2], [25, 50]], ids=["after-2", "after-25-and-50"])
async def test_sigkill_during_a_burst_loses_no_report_on_sqlite(tmp_path, kill_at):
    await crash_and_restart(tmp_path, f"sqlite:///{tmp_path / 'bot.db'}", kill_at)


@pytest.mark.postgres
@pytest.mark.parametrize("kill_at", [[10]], ids=["after-10"])
async def test_sigkill_during_a_burst_loses_no_report_on_postgresql(tmp_path, kill_at):
    with fresh_schema("crash_") as schema:
        await crash_and_restart(tmp_path, f"{PG_URL}?options=-csearch_path%3D{schema}", kill_at)
