"""Message text like Telegram makes it: parse_mode, explicit entities, trimming, auto-detected entities.

Internally entities are (type, start, end, extra) in code points; on the wire offsets are UTF-16.
"""
from __future__ import annotations

import re
from typing import Any

from .base import bad
from .markup_html import parse_html
from .markup_md import parse_markdown

Entity = tuple[str, int, int, dict[str, Any]]

# tdlib: a command is /[A-Za-z0-9_]{1,64} with an optional @username, not glued to word characters.
_COMMAND = re.compile(r"(?<![\w/<>\\])/[A-Za-z0-9_]{1,64}(?:@[A-Za-z0-9_]{3,32})?(?![\w/<>\\@])")
_HASHTAG = re.compile(r"(?<![\w#])#[\w·\u200c]{1,256}")
_MENTION = re.compile(r"(?<![\w@])@[A-Za-z0-9_]{3,32}(?![\w@])")
_URL = re.compile(r"(?<![\w/@])https?://[^\s<>\"'，。！？、；：（）【】「」]+(?<![.,;:!?)\]])", re.IGNORECASE)
_EXCLUSIVE = {"code", "pre", "text_link", "url", "bot_command", "hashtag", "mention"}


def u16len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def to_wire(text: str, entities: list[Entity]) -> list[dict[str, Any]]:
    """Code-point entities to MessageEntity dicts with UTF-16 offset/length, sorted."""
    out = []
    for kind, start, end, extra in sorted(entities, key=lambda e: (e[1], -e[2])):
        out.append({"type": kind, "offset": u16len(text[:start]),
                    "length": u16len(text[start:end]), **extra})
    return out


def from_wire(text: str, entities: list[dict[str, Any]]) -> list[Entity]:
    """MessageEntity dicts (UTF-16) to code-point entities; refuses ones outside the text."""
    starts = {}
    pos = 0
    for index, char in enumerate(text):
        starts[pos] = index
        pos += 2 if ord(char) > 0xFFFF else 1
    starts[pos] = len(text)
    result = []
    for e in entities:
        begin, finish = e["offset"], e["offset"] + e["length"]
        if e["length"] <= 0 or begin not in starts or finish not in starts:
            raise bad(f"can't parse entities: entity {e['type']} at offset {begin} with length "
                      f"{e['length']} is outside the text")
        extra = {k: v for k, v in e.items() if k not in ("type", "offset", "length")}
        result.append((e["type"], starts[begin], starts[finish], extra))
    return result


def detect(text: str, taken: list[Entity] = ()) -> list[Entity]:
    """Entities Telegram finds by itself: URLs with a scheme, bot commands, hashtags, @mentions."""
    found = []
    for kind, pattern in (("url", _URL), ("bot_command", _COMMAND), ("hashtag", _HASHTAG),
                          ("mention", _MENTION)):
        for m in pattern.finditer(text):
            if kind == "hashtag" and m.group()[1:].isdigit():
                continue
            if any(e[0] in _EXCLUSIVE and e[1] < m.end() and m.start() < e[2] for e in [*taken, *found]):
                continue
            found.append((kind, m.start(), m.end(), {}))
    return found


def _strip(text: str, entities: list[Entity]) -> tuple[str, list[Entity]]:
    lead = len(text) - len(text.lstrip())
    text = text.strip()
    kept = []
    for kind, start, end, extra in entities:
        start, end = max(start - lead, 0), min(end - lead, len(text))
        if end > start:
            kept.append((kind, start, end, extra))
    return text, kept


def format_text(text: str, parse_mode: str | None = None, entities: list[dict] | None = None, *,
                limit: int = 4096, empty: str | None = "message text is empty",
                too_long: str = "message is too long") -> tuple[str, list[dict[str, Any]]]:
    """(text, wire entities) as Telegram would store them; raises the 400 Telegram would give."""
    if entities is not None:
        parsed = from_wire(text, entities)
    elif parse_mode:
        mode = parse_mode.lower()
        if mode == "html":
            text, parsed = parse_html(text)
        elif mode in ("markdown", "markdownv2"):
            text, parsed = parse_markdown(text, v2=mode == "markdownv2")
        else:
            raise bad(f"unsupported parse_mode {parse_mode!r}")
    else:
        parsed = []
    text, parsed = _strip(text, parsed)
    if not text and empty:
        raise bad(empty)
    if len(text) > limit:  # tdlib counts code points
        raise bad(too_long)
    return text, to_wire(text, parsed + detect(text, parsed))
