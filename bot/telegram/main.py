"""The Telegram adapter as ``shangliang run`` builds it (polling or webhook), and
``shangliang deliver`` (a Telegram delivery worker: any number may drain one PostgreSQL database).

Pacing (``rate_limit = true``): whoever sends (``run``'s own delivery, any number of
``deliver`` workers) keeps Telegram's limits together with every other sender through the
database (``delivery.pacing``), and has no per-process limiter of its own: one would only
delay sends after their shared slot was booked.
"""
from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Mapping
from datetime import timedelta

from telegram.ext import ExtBot

from handlers.clock import SystemClock
from storage import migrate
from storage.db import redact_url, session_factory

from .. import worker
from ..bootstrap import App, connect
from ..host import Host
from ..config import AppConfig, ConfigError
from ..delivery.core import DeliveryCore
from ..delivery.pacing import TELEGRAM
from .runtime import TelegramRuntime, Webhook
from .transport import TelegramTransport

log = logging.getLogger(__name__)
TOKEN_VARIABLE = "SHANGLIANG_TELEGRAM_TOKEN"
SECRET_VARIABLE = "SHANGLIANG_TELEGRAM_WEBHOOK_SECRET"


def check_token(environ: Mapping[str, str]) -> str:
    token = environ.get(TOKEN_VARIABLE, "").strip()
    if not token:
        raise ConfigError(f"set {TOKEN_VARIABLE} to the token BotFather gave you (it is never read from a file)")
    # httpx logs every request URL, and Telegram URLs carry the token: keep those quiet
    logging.getLogger("httpx").setLevel(logging.WARNING)
    return token


def check_secret(environ: Mapping[str, str]) -> str:
    """The webhook's secret, the same for every process behind the balancer.

    Each process registers the webhook with it at start; were each to make up its own, the
    last to start would win and every update sent to the others would be refused (403).
    """
    secret = environ.get(SECRET_VARIABLE, "").strip()
    if not secret:
        raise ConfigError(f"webhook mode needs {SECRET_VARIABLE}, the same for every process "
                          "(e.g. `openssl rand -hex 32`); Telegram sends it with every update")
    if not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", secret):
        raise ConfigError(f"{SECRET_VARIABLE} may hold only letters, digits, _ and - (1 to 256 of them)")
    return secret


def adapter(app: App, host: Host, config: AppConfig, environ: Mapping[str, str]) -> TelegramRuntime:
    """The Telegram adapter for a host: polling, or webhook mode when ``webhook_url`` is set."""
    token = check_token(environ)
    tg = config.telegram
    webhook = None
    if tg.webhook_url:
        webhook = Webhook(listen=tg.webhook_listen, port=tg.webhook_port, url_path=tg.webhook_path,
                          url=tg.webhook_url, secret_token=check_secret(environ))
        log.info("webhook mode on %s:%s/%s", tg.webhook_listen, tg.webhook_port, tg.webhook_path)
    else:
        log.info("long polling %s", tg.base_url)
    limits = TELEGRAM if tg.rate_limit else None  # shared with every other sender, not per process
    return TelegramRuntime(app, token=token, base_url=tg.base_url, host=host, webhook=webhook, limits=limits)


def deliver(config: AppConfig, environ: Mapping[str, str], *, database_url: str | None = None, batch: int = 5,
            lease_seconds: float = 60.0, until_idle: bool = False) -> int:
    """Drain the Telegram outbox until stopped; return how many messages this worker sent."""
    token = check_token(environ)
    if batch < 1 or lease_seconds <= 0:
        raise ConfigError("--batch must be at least 1 and --lease positive")
    url = database_url or config.database_url
    engine = connect(config, url)
    try:
        if not migrate.is_current(engine):
            raise ConfigError(f"the database at {redact_url(url)} is not up to date: "
                              "run `shangliang migrate` (or start `shangliang run`) first")
        sessions = session_factory(engine)
        return asyncio.run(_deliver(config, token, sessions, batch, timedelta(seconds=lease_seconds), until_idle))
    finally:
        engine.dispose()


async def _deliver(config: AppConfig, token: str, sessions, batch: int, lease: timedelta, until_idle: bool) -> int:
    base = config.telegram.base_url
    bot = ExtBot(token, base_url=f"{base}/bot", base_file_url=f"{base}/file/bot")
    limits = TELEGRAM if config.telegram.rate_limit else None  # shared by every worker, not per process
    async with bot:  # getMe: a wrong token fails here, before any row is leased
        pump = DeliveryCore(sessions, TelegramTransport(bot, limits), SystemClock(), batch=batch, lease=lease,
                            language=config.settings.language)
        log.info("delivering Telegram messages as @%s (batch %d, lease %ss, %s)", bot.username, batch,
                 lease.total_seconds(), "paced with every worker" if limits else "not paced")
        try:
            return await worker.serve(pump, until_idle=until_idle)
        finally:
            log.info("sent %d, put off to a later slot %d times, 429 answers %d", pump.sent, pump.put_off,
                     pump.throttled)
