"""parse_mode=MarkdownV2 (and legacy Markdown) with Telegram's refusals for unescaped characters."""
from __future__ import annotations

from typing import Any

from .base import bad

_RESERVED = set("_*[]()~`>#+-=|{}.!")
_KIND = {"*": ("bold", "Bold"), "_": ("italic", "Italic"), "__": ("underline", "Underline"),
         "~": ("strikethrough", "Strikethrough"), "||": ("spoiler", "Spoiler"),
         "`": ("code", "Code"), "```": ("pre", "Pre"), "[": ("text_link", "TextUrl")}


def _offset(src: str, index: int) -> int:
    return len(src[:index].encode())


def _marker(src: str, i: int, v2: bool, top: str | None) -> str | None:
    for marker in (("```", "`", "||", "__", "*", "_", "~", "[") if v2 else ("```", "`", "*", "_", "[")):
        if src.startswith(marker, i):
            if marker == "__" and top == "_":
                return "_"
            return marker
    return None


def parse_markdown(src: str, *, v2: bool) -> tuple[str, list[tuple[str, int, int, dict[str, Any]]]]:
    out: list[str] = []
    stack: list[tuple[str, int, int, dict]] = []  # marker, start, source index, extra
    entities = []
    quote_start = None
    i = 0
    while i < len(src):
        char, top = src[i], (stack[-1][0] if stack else None)
        escapable = (1 <= ord(src[i + 1]) <= 126) if v2 and i + 1 < len(src) else \
            (i + 1 < len(src) and src[i + 1] in "_*`[")
        if char == "\\" and escapable:
            out.append(src[i + 1])
            i += 2
            continue
        if v2 and char == ">" and (i == 0 or src[i - 1] == "\n") and top not in ("`", "```"):
            quote_start = len(out) if quote_start is None else quote_start
            i += 1
            continue
        if v2 and char == "\n" and quote_start is not None and not src.startswith(">", i + 1):
            entities.append(("blockquote", quote_start, len(out), {}))
            quote_start = None
        if top in ("`", "```") or (not v2 and top is not None and top != "["):
            if src.startswith(top, i) and not (top == "`" and src.startswith("```", i) and not v2):
                marker, start, _, extra = stack.pop()
                entities.append((_KIND[marker][0], start, len(out), extra))
                i += len(marker)
            else:
                out.append(char)
                i += 1
            continue
        marker = _marker(src, i, v2, top)
        if char == "]" and top == "[":
            _, start, _, extra = stack.pop()
            i += 1
            if src.startswith("(", i):
                url, i = _url(src, i + 1)
                entities.append(("text_link", start, len(out), {"url": url}))
            continue
        if marker is not None and marker != "[" and any(m == marker for m, *_ in stack):
            if top != marker:
                raise bad(f"can't parse entities: Can't find end of {_KIND[top][1]} entity at "
                          f"byte offset {_offset(src, stack[-1][2])}")
            _, start, _, extra = stack.pop()
            if len(out) > start:
                entities.append((_KIND[marker][0], start, len(out), extra))
            i += len(marker)
            continue
        if marker is not None:
            extra: dict[str, Any] = {}
            begin, i = i, i + len(marker)
            if marker == "```":
                newline = src.find("\n", i)
                language = src[i:newline] if newline >= 0 else ""
                if language and not any(c.isspace() or c == "`" for c in language):
                    extra["language"] = language
                    i = newline + 1
                elif newline == i:
                    i += 1
            stack.append((marker, len(out), begin, extra))
            continue
        if v2 and char in _RESERVED:
            raise bad(f"can't parse entities: Character '{char}' is reserved and must be escaped "
                      f"with the preceding '\\'")
        out.append(char)
        i += 1
    if stack:
        name = _KIND[stack[-1][0]][1] if v2 else "the"
        raise bad(f"can't parse entities: Can't find end of {name} entity "
                  f"{'at' if v2 else 'starting at'} byte offset {_offset(src, stack[-1][2])}")
    if quote_start is not None and len(out) > quote_start:
        entities.append(("blockquote", quote_start, len(out), {}))
    return "".join(out), entities


def _url(src: str, i: int) -> tuple[str, int]:
    url = []
    while i < len(src):
        if src[i] == "\\" and i + 1 < len(src):
            url.append(src[i + 1])
            i += 2
        elif src[i] == ")":
            return "".join(url), i + 1
        else:
            url.append(src[i])
            i += 1
    raise bad(f"can't parse entities: Can't find end of a URL at byte offset {_offset(src, i)}")
