"""Neutral button rows → Telegram inline keyboards (callback data is the command itself)."""
from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

MAX_CALLBACK_BYTES = 64


def markup(rows: list[list[dict]]) -> InlineKeyboardMarkup | None:
    keyboard = []
    for row in rows or []:
        buttons = [InlineKeyboardButton(str(b["label"])[:64], callback_data=b["command"])
                   for b in row if len(b["command"].encode("utf-8")) <= MAX_CALLBACK_BYTES]
        if buttons:
            keyboard.append(buttons)
    return InlineKeyboardMarkup(keyboard) if keyboard else None
