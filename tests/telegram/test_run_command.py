"""`shangliang run` itself, as an operator starts it: a separate process, token from the
environment, long polling the sandbox, stopped with Ctrl-C."""
import asyncio
import os
import signal
import sys
from pathlib import Path

import pytest

from sandbox.telegram import BotApiSandbox
from storage import outbox
from storage.db import make_engine, session_factory

from .conftest import GRID, config_text

pytestmark = pytest.mark.asyncio


def configured(tmp_path, sb: BotApiSandbox) -> tuple[Path, dict]:
    """A config on a SQLite file that talks to the sandbox, and an environment with its token."""
    config = tmp_path / "config.toml"
    config.write_text(config_text() + f'\n[database]\nurl = "sqlite:///{tmp_path / "bot.db"}"\n\n'
                      f'[telegram]\nbase_url = "{sb.url}"\ntick_seconds = 1\n', "utf-8")
    return config, {**os.environ, "SHANGLIANG_TELEGRAM_TOKEN": sb.token}


async def test_the_run_command_serves_a_group_and_stops_cleanly_without_logging_the_token(tmp_path):
    sb = BotApiSandbox()
    await sb.start()
    try:
        sb.add_user(801, "王阿姨", username="wang")
        sb.add_chat(GRID, "supergroup", title="幸福里居民群")
        config, env = configured(tmp_path, sb)
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot.cli", "-v", "run", "--config", str(config), env=env,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
        try:
            await sb.wait_for(lambda: len(sb.calls_to("setMyCommands")) == 2 and sb.calls_to("getUpdates"),
                              timeout=30)
            report = sb.user_says(GRID, 801, "#报事 3栋门口路灯坏了")
            await sb.wait_for(lambda: sb.sent(GRID), timeout=30)
            ack = sb.sent(GRID)[0]
            assert ack["reply_to_message"]["message_id"] == report["message_id"] and "#1" in ack["text"]
        finally:
            process.send_signal(signal.SIGINT)
            out, err = await asyncio.wait_for(process.communicate(), timeout=30)
        assert process.returncode == 0, err.decode()
        logs = (out + err).decode()
        assert "long polling" in logs  # -v shows what it does...
        assert sb.token not in logs and sb.token.split(":")[1] not in logs  # ...but never the token
        assert sb.errors == []
    finally:
        await sb.stop()


async def test_run_without_a_token_says_what_to_set(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "SHANGLIANG_TELEGRAM_TOKEN"}
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot.cli", "run", env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await asyncio.wait_for(process.communicate(), timeout=30)
    assert process.returncode == 2
    assert "SHANGLIANG_TELEGRAM_TOKEN" in err.decode()


async def test_run_without_delivery_leaves_sending_to_a_separate_deliver_worker(tmp_path):
    sb = BotApiSandbox()
    await sb.start()
    processes = []
    try:
        sb.add_user(801, "王阿姨", username="wang")
        sb.add_chat(GRID, "supergroup", title="幸福里居民群")
        config, env = configured(tmp_path, sb)

        async def start(*args: str) -> asyncio.subprocess.Process:
            process = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "bot.cli", *args, "--config", str(config), env=env,
                stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
            processes.append(process)
            return process

        await start("run", "--no-deliver")
        await sb.wait_for(lambda: sb.calls_to("getUpdates"), timeout=30)
        sb.user_says(GRID, 801, "#报事 3栋门口路灯坏了")
        engine = make_engine(f"sqlite:///{tmp_path / 'bot.db'}")
        sessions = session_factory(engine)

        def queued() -> int:
            with sessions() as session:
                return outbox.pending_count(session)
        try:
            await sb.wait_for(lambda: queued() > 0, timeout=30)  # the acknowledgement waits in the outbox ...
        finally:
            engine.dispose()
        await asyncio.sleep(1.5)  # ... past a tick of the bot, which does not send it
        assert sb.sent(GRID) == []

        await start("deliver")
        await sb.wait_for(lambda: sb.sent(GRID), timeout=30)
        assert "#1" in sb.sent(GRID)[0]["text"]
    finally:
        for process in processes:
            process.send_signal(signal.SIGINT)
        results = [await asyncio.wait_for(p.communicate(), timeout=30) for p in processes]
        await sb.stop()
    assert [p.returncode for p in processes] == [0, 0], [r[1].decode() for r in results]
    said = results[1][0].decode().split()
    assert said[0] == "delivered" and int(said[1]) >= 1
    assert sb.errors == []


@pytest.mark.parametrize("secret", [None, "has spaces and ü"])
async def test_webhook_mode_without_a_shared_secret_refuses_to_start_and_says_what_to_set(tmp_path, secret):
    """Behind a balancer each process would make up its own secret, and Telegram's updates to
    all but the last one started would be refused: so there is no made-up secret at all."""
    config = tmp_path / "config.toml"
    config.write_text(config_text() + f'\n[database]\nurl = "sqlite:///{tmp_path / "bot.db"}"\n\n'
                      '[telegram]\nwebhook_url = "https://bot.example.org/telegram"\n', "utf-8")
    env = {k: v for k, v in os.environ.items() if k != "SHANGLIANG_TELEGRAM_WEBHOOK_SECRET"}
    env["SHANGLIANG_TELEGRAM_TOKEN"] = "123456:test-token-never-used"
    if secret is not None:
        env["SHANGLIANG_TELEGRAM_WEBHOOK_SECRET"] = secret
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot.cli", "run", "--config", str(config), env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await asyncio.wait_for(process.communicate(), timeout=60)
    assert process.returncode == 2, err.decode()
    assert "SHANGLIANG_TELEGRAM_WEBHOOK_SECRET" in err.decode()
    assert "test-token-never-used" not in (out + err).decode()


async def test_the_run_commands_own_sending_keeps_telegrams_limits(tmp_path):
    """A resident who sends eight commands at once to the bot in private gets eight answers,
    paced at about one a second (Telegram's limit per chat): no 429 from Telegram."""
    sb = BotApiSandbox(limits=True)
    await sb.start()
    try:
        sb.add_user(801, "王阿姨", username="wang")
        sb.add_chat(GRID, "supergroup", title="幸福里居民群")
        config, env = configured(tmp_path, sb)
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot.cli", "run", "--config", str(config), env=env,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
        try:
            await sb.wait_for(lambda: sb.calls_to("getUpdates"), timeout=30)
            for _ in range(8):
                sb.user_says(801, 801, "/help")
            await sb.wait_for(lambda: len(sb.sent(801)) == 8, timeout=60)
        finally:
            process.send_signal(signal.SIGINT)
            out, err = await asyncio.wait_for(process.communicate(), timeout=30)
        assert process.returncode == 0, err.decode()
        assert sb.limits.refused == 0, sb.limits.refusals
        times = sorted(at for at, chat in sb.limits.admitted if chat == 801)
        assert len(times) == 8 and times[-1] - times[0] >= 4.5  # two at once, then about one a second
    finally:
        await sb.stop()
