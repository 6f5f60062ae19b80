"""`shangliang run` with WeChat enabled, as an operator starts it: clear one-line errors."""
from __future__ import annotations

import asyncio
import os
import socket
import sys
import time

import pytest

from . import require_wechaty

require_wechaty()

from .conftest import config_text  # noqa: E402

pytestmark = pytest.mark.asyncio


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # nothing listens there once the socket is closed


async def run(tmp_path, extra: str, env: dict) -> tuple[int, str, float]:
    config = tmp_path / "config.toml"
    config.write_text(config_text() + f'\n[database]\nurl = "sqlite:///{tmp_path / "bot.db"}"\n'
                      f'\n[telegram]\nenabled = false\n\n[wechat]\nenabled = true\nstart_timeout = 5\n{extra}',
                      "utf-8")
    started = time.monotonic()
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot.cli", "run", "--config", str(config), env={**os.environ, **env},
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, cwd=tmp_path)
    _, err = await asyncio.wait_for(process.communicate(), timeout=60)
    return process.returncode, err.decode(), time.monotonic() - started


async def test_without_a_token_it_says_what_to_set(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("WECHATY_")}
    code, err, _ = await run(tmp_path, 'endpoint = "127.0.0.1:1"\n', {**env, "WECHATY_PUPPET_SERVICE_TOKEN": ""})
    assert code == 2 and "WECHATY_PUPPET_SERVICE_TOKEN" in err
    assert not (tmp_path / "bot.db").exists()  # refused before the database was touched


async def test_an_unreachable_gateway_ends_the_start_with_one_line_and_a_non_zero_exit(tmp_path):
    token = "puppet_test_0123456789"
    code, err, took = await run(tmp_path, f'endpoint = "127.0.0.1:{closed_port()}"\n',
                                {"WECHATY_PUPPET_SERVICE_TOKEN": token})
    assert code != 0 and took < 45
    last = err.strip().splitlines()[-1]
    assert last.startswith("shangliang: ") and "WeChat" in last, err[-2000:]
    assert "Traceback" not in err and token not in err
