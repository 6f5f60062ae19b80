"""What each chat platform can do, declared without importing its library.

Every process registers every platform's capabilities, whatever it serves itself: when
Telegram and WeChat run as separate processes on one database, either process's ticker may
close a Telegram poll or refresh a Telegram card, and must know that Telegram has native
polls and edits. Each adapter uses its own entry (``bot/telegram/runtime``, ``bot/wechat/runtime``).
"""
from __future__ import annotations

from handlers.capabilities import Capabilities, PlatformCaps

TELEGRAM = PlatformCaps(buttons=True, native_polls=True, edits=True, topics=True, quote_replies=True,
                        start_first=True, max_text=4096)
WECHAT = PlatformCaps(buttons=False, native_polls=False, edits=False, topics=False, quote_replies=False,
                      start_first=False, max_text=2000)
ALL = Capabilities({"telegram": TELEGRAM, "wechat": WECHAT})
