"""The neutral shape of a chat message on the page (see API.md), whichever platform sent it."""
from __future__ import annotations

from datetime import datetime

from .errors import PlayError

WEEKDAYS = "一二三四五六日"


def private_key(handle: str) -> str:
    return f"private-{handle}"


def split_ref(ref: str) -> tuple[str, str]:
    """A page message id ("grid-1:12") as (chat key, platform message id)."""
    key, _, message_id = str(ref).partition(":")
    if not key or not message_id:
        raise PlayError("没有这条消息")
    return key, message_id


def day_label(at: datetime) -> str:
    return f"{at.month}月{at.day}日 周{WEEKDAYS[at.weekday()]}"


def clock_view(at: datetime) -> dict:
    return {"iso": at.isoformat(timespec="minutes"), "label": f"{day_label(at)} {at:%H:%M}",
            "zone": str(at.tzinfo)}


def message_view(*, ref: str, name: str, handle: str | None, bot: bool, at: datetime, html: str,
                 reply_to: dict | None = None, edited: bool = False, buttons: list | None = None,
                 poll: dict | None = None, file: dict | None = None) -> dict:
    return {"id": ref, "from": {"name": name, "handle": handle, "bot": bot}, "time": f"{at:%H:%M}",
            "day": day_label(at), "html": html, "reply_to": reply_to, "edited": edited,
            "buttons": buttons or [], "poll": poll, "file": file}
