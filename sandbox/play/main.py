"""``shangliang play``: the playground's process — the web page on 127.0.0.1 and one
playground behind it, until Ctrl+C (SIGINT) or SIGTERM."""
from __future__ import annotations

import asyncio
import logging
import signal
import sys
from pathlib import Path

from aiohttp import web

from .community import DEFAULT_CONFIG
from .errors import PlayError
from .playground import Playground
from .server import make_app

log = logging.getLogger(__name__)


async def serve(*, host: str = "127.0.0.1", port: int = 8700, platform: str = "telegram",
                config: Path = DEFAULT_CONFIG, data_dir: Path = Path("data/play"), sample: bool = False,
                ready=None) -> int:
    """Serve the page and the playground; ``ready(url)`` is called once the page answers."""
    playground = Playground(config, data_dir, platform)
    runner = web.AppRunner(make_app(playground), access_log=None, shutdown_timeout=1.0)
    await runner.setup()
    try:
        site = web.TCPSite(runner, host, port)
        await site.start()
    except OSError as exc:
        await runner.cleanup()
        raise PlayError(f"cannot listen on {host}:{port} ({exc.strerror}); try --port 8701") from None
    bound = site._server.sockets[0].getsockname()[1]
    url = f"http://{'127.0.0.1' if host in ('0.0.0.0', '') else host}:{bound}"
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        playground.busy = "正在启动…"
        await playground.start()
        if sample:
            await playground.act("sample", {})
        playground.busy = None
        (ready or _announce)(url)
        await stop.wait()
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)
        await playground.stop()
        await runner.cleanup()
    return 0


def _announce(url: str) -> None:
    print(f"商量 · 试玩 is ready: open {url} in a browser (Ctrl+C stops it)", flush=True)
    print("Nothing leaves this machine: Telegram and WeChat are stood in for locally.", flush=True)


def run(**kwargs) -> int:
    try:
        return asyncio.run(serve(**kwargs))
    except PlayError as exc:
        print(f"shangliang play: {exc}", file=sys.stderr)
        return 2
