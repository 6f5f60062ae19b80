"""`shangliang run` itself, as an operator starts it: a separate process, token from the
environment, long polling the sandbox, stopped with Ctrl-C."""
import asyncio
import os
import signal
import sys

import pytest

from bot.telegram.sandbox import BotApiSandbox

from .conftest import GRID, config_text

pytestmark = pytest.mark.asyncio


async def test_the_run_command_serves_a_group_and_stops_cleanly_without_logging_the_token(tmp_path):
    sb = BotApiSandbox()
    await sb.start()
    try:
        sb.add_user(801, "王阿姨", username="wang")
        sb.add_chat(GRID, "supergroup", title="幸福里居民群")
        config = tmp_path / "config.toml"
        config.write_text(config_text() + f'\n[database]\nurl = "sqlite:///{tmp_path / "bot.db"}"\n\n'
                          f'[telegram]\nbase_url = "{sb.url}"\ntick_seconds = 1\n', "utf-8")
        env = {**os.environ, "SHANGLIANG_TELEGRAM_TOKEN": sb.token}
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
