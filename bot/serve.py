"""``shangliang run``: one host serving every platform the config enables (Telegram, WeChat).

The WeChat adapter (and wechaty) is imported only when WeChat is enabled, so a
Telegram-only install does not need the ``wechat`` extra. jieba's dictionaries are loaded
in a background thread once every adapter receives, not before: the bot polls within
about a second and a half, and a report that comes in the first seconds waits for them.
Processes sharing one PostgreSQL database (docs/deploy.md) start one after another:
migrating and writing the directory read and then write, and two at once would insert
the same rows.
"""
from __future__ import annotations

import asyncio
from collections.abc import Mapping

from storage import exclusive

from .bootstrap import bootstrap, connect
from .config import AppConfig, ConfigError
from .host import Host
from .platforms import ALL


def _wechat_module():
    try:
        from .wechat import main as wechat_main
    except ImportError as exc:
        raise ConfigError(f"WeChat is enabled but its extra is not installed ({exc.name}): "
                          "pip install -e '.[wechat]'") from None
    return wechat_main


def run(config: AppConfig, environ: Mapping[str, str], *, deliver: bool = True) -> int:
    """Serve until SIGINT/SIGTERM; with ``deliver=False`` leave sending to `shangliang deliver`."""
    platforms = config.platforms
    if not platforms:
        raise ConfigError("no platform enabled: set telegram.enabled or wechat.enabled to true")
    builders = []
    if "telegram" in platforms:
        from .telegram import main as telegram_main
        telegram_main.check_token(environ)  # before the database is touched
        builders.append(telegram_main.adapter)
    if "wechat" in platforms:
        wechat_main = _wechat_module()
        wechat_main.credentials(config, environ)
        builders.append(wechat_main.adapter)
    engine = connect(config)
    try:
        with exclusive.alone(engine):  # processes sharing a database start one after another
            # every platform's capabilities, served here or by another process on the same database
            app = bootstrap(config, platforms=platforms, caps=ALL, load_jieba=False, engine=engine)
    except BaseException:
        engine.dispose()
        raise
    try:
        host = Host(app, deliver=deliver, tick_seconds=config.telegram.tick_seconds)
        adapters = [build(app, host, config, environ) for build in builders]
        adapters[-1] = _ThenWarm(adapters[-1], app)
        return asyncio.run(host.serve(adapters))
    finally:
        app.close()


class _ThenWarm:
    """The last adapter to start, which then has the intake load jieba in a thread."""

    def __init__(self, adapter, app) -> None:
        self.adapter, self.app, self.platform = adapter, app, adapter.platform

    async def start(self) -> None:
        await self.adapter.start()
        self.app.intake.warm()

    async def stop(self) -> None:
        await self.adapter.stop()
