"""WeChat messages → the neutral ``Incoming`` messages the handlers understand.

The runtime turns each wechaty ``Message`` into a small payload dict (``payload_of``), stores
that in the inbox and handles it from there (``from_payload``), so what a crash left stored is
handled the same way after the restart. No wechaty import here: payloads are plain data.

In a group the bot takes only what is for it: a command, a tagged report, or a message that
@-mentions it (the mention is cut from the text). Everything else in a group is residents
talking to each other and is neither stored nor handled. Private messages are always for it.
"""
from __future__ import annotations

import re
from datetime import datetime, timezone

from handlers.commands import parse
from handlers.messages import Incoming

PLATFORM = "wechat"
#: wechaty-grpc MessageType values
TEXT = 6
MEDIA = {1, 2, 4, 5, 7}  # attachment, audio, emoticon, image, video: text is their caption (usually none)
AT_SEPARATOR = "\u2005"  # WeChat ends an @-mention with a four-per-em space
_MS_THRESHOLD = 2145888000  # larger timestamps are milliseconds (as wechaty.utils.timestamp_to_date)


def from_payload(payload: dict, tags: tuple[str, ...]) -> Incoming | None:
    """The message as the handlers see it, or None when it is not for the bot."""
    sender = payload.get("from_id") or ""
    if not sender or sender == payload.get("self_id"):
        return None  # the bot's own messages come back as message events
    kind = payload.get("type", TEXT)
    if kind != TEXT and kind not in MEDIA:
        return None  # contact cards, links, mini programs, transfers, recalls, …
    media = kind in MEDIA
    text = (payload.get("text") or "").strip() if not media else ""
    room = payload.get("room_id") or ""
    private = not room
    if not private:
        mentioned = bool(payload.get("mentioned"))
        if mentioned:
            text = strip_mention(text, payload.get("self_names") or ())
        if not mentioned and parse(text, tags, plain=True) is None:
            return None
    if not (text or media):
        return None
    return Incoming(platform=PLATFORM, chat_id=room or sender, sender_id=sender,
                    sender_name=payload.get("from_name") or sender, text=text, at=when(payload.get("timestamp")),
                    message_id=payload["id"], private=private, media=media, update_id=payload["id"])


def strip_mention(text: str, names: tuple[str, ...] | list[str]) -> str:
    """Cut ``@<bot name>`` (its WeChat name or its alias in the room) out of the text.

    A mention ends with U+2005 (or a space, or the end of the text). When none of the names is
    found (the bot was renamed), a leading ``@…`` word is cut instead.
    """
    out = text
    for name in sorted({n for n in names if n}, key=len, reverse=True):
        out = re.sub("@" + re.escape(name) + f"(?:{AT_SEPARATOR}| |$)", " ", out)
    if out == text:
        out = re.sub(f"^@[^{AT_SEPARATOR} ]+(?:{AT_SEPARATOR}| |$)", " ", text)
    return re.sub(r"[ \u2005]{2,}", " ", out).strip()


def when(timestamp: float | int | None) -> datetime:
    """A payload timestamp (seconds or milliseconds since the epoch) as an aware UTC datetime."""
    if not timestamp:
        return datetime.now(timezone.utc)
    seconds = timestamp / 1000 if timestamp > _MS_THRESHOLD else timestamp
    return datetime.fromtimestamp(seconds, timezone.utc)


async def payload_of(message, self_id: str, self_name: str) -> dict:
    """What ``from_payload`` needs from a wechaty ``Message`` (already ``ready()``), as plain data."""
    data = message.payload
    room = message.room()
    talker_name = ""
    if data.from_id:
        try:
            talker_name = message.talker().name
        except Exception:  # a contact wechaty could not load: the id is enough
            talker_name = ""
    names = [self_name]
    mentioned = False
    if room is not None:
        mentioned = await message.mention_self()
    if mentioned:
        try:
            alias = await room.alias(message.wechaty.Contact.load(self_id))
        except Exception:  # the puppet may not know room aliases
            alias = None
        if alias:
            names.append(alias)
    type_value = data.type.value if hasattr(data.type, "value") else int(data.type or 0)
    return {"id": message.message_id, "room_id": data.room_id or "", "from_id": data.from_id or "",
            "from_name": talker_name, "to_id": data.to_id or "", "text": data.text or "", "type": type_value,
            "timestamp": data.timestamp or 0, "mentioned": mentioned, "self_id": self_id,
            "self_names": [n for n in names if n]}
