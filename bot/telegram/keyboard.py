"""Neutral button rows → Telegram inline keyboards (callback data is the command itself)."""
from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

MAX_CALLBACK_BYTES = 64


def markup(rows: list[list[dict]], bot_username: str | None = None) -> InlineKeyboardMarkup | None:
    """``command`` buttons send their command back; ``start`` buttons open a private chat
    with the bot (a deep link with that payload)."""
    keyboard = []
    for row in rows or []:
        buttons = []
        for b in row:
            if "command" in b and len(b["command"].encode("utf-8")) <= MAX_CALLBACK_BYTES:
                buttons.append(InlineKeyboardButton(str(b["label"])[:64], callback_data=b["command"]))
            elif "start" in b and bot_username:
                buttons.append(InlineKeyboardButton(str(b["label"])[:64],
                                                    url=f"https://t.me/{bot_username}?start={b['start']}"))
        if buttons:
            keyboard.append(buttons)
    return InlineKeyboardMarkup(keyboard) if keyboard else None
