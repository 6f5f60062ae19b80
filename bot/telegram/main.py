"""``shangliang run``: start the Telegram bot in polling or webhook mode."""
from __future__ import annotations

import logging
import secrets
from collections.abc import Mapping

from telegram.ext import AIORateLimiter

from ..bootstrap import bootstrap
from ..config import AppConfig, ConfigError
from .runtime import CAPABILITIES, TelegramRuntime

log = logging.getLogger(__name__)
TOKEN_VARIABLE = "SHANGLIANG_TELEGRAM_TOKEN"
SECRET_VARIABLE = "SHANGLIANG_TELEGRAM_WEBHOOK_SECRET"


def run(config: AppConfig, environ: Mapping[str, str]) -> int:
    token = environ.get(TOKEN_VARIABLE, "").strip()
    if not token:
        raise ConfigError(f"set {TOKEN_VARIABLE} to the token BotFather gave you (it is never read from a file)")
    # httpx logs every request URL, and Telegram URLs carry the token: keep those quiet
    logging.getLogger("httpx").setLevel(logging.WARNING)
    tg = config.telegram
    app = bootstrap(config, platforms=("telegram",), caps=CAPABILITIES)
    limiter = AIORateLimiter(overall_max_rate=30, group_max_rate=20, max_retries=0) if tg.rate_limit else None
    runtime = TelegramRuntime(app, token=token, base_url=tg.base_url, rate_limiter=limiter,
                              tick_seconds=tg.tick_seconds)
    try:
        if tg.webhook_url:
            secret = environ.get(SECRET_VARIABLE) or secrets.token_urlsafe(32)
            log.info("webhook mode on %s:%s/%s", tg.webhook_listen, tg.webhook_port, tg.webhook_path)
            runtime.run_webhook(listen=tg.webhook_listen, port=tg.webhook_port, url_path=tg.webhook_path,
                                webhook_url=tg.webhook_url, secret_token=secret)
        else:
            log.info("long polling %s", tg.base_url)
            runtime.run_polling()
    finally:
        app.close()
    return 0
