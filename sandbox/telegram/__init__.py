"""A local, strict Telegram Bot API server for tests that drive the real python-telegram-bot.

Every request is checked against the Bot API spec (methods, parameters, types) and so is every
object the sandbox answers with or puts into an update; violations are answered 400 "sandbox: …"
and recorded in ``BotApiSandbox.errors``.
"""
from .base import ApiError, Call, Upload
from .sandbox import BotApiSandbox

__all__ = ["ApiError", "BotApiSandbox", "Call", "Upload"]
