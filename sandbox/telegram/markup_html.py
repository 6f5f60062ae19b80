"""parse_mode=HTML as Telegram parses it: the supported tags only, a bare "<" is an error."""
from __future__ import annotations

import re
from typing import Any

from .base import bad

_KINDS = {"b": "bold", "strong": "bold", "i": "italic", "em": "italic", "u": "underline",
          "ins": "underline", "s": "strikethrough", "strike": "strikethrough",
          "del": "strikethrough", "tg-spoiler": "spoiler", "span": "spoiler", "a": "text_link",
          "code": "code", "pre": "pre", "blockquote": "blockquote", "tg-emoji": "custom_emoji",
          "tg-time": "date_time"}
_NAMED = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_REF = re.compile(r"&(#x[0-9a-fA-F]{1,6}|#[0-9]{1,7}|[a-zA-Z]{1,10});")
_END = re.compile(r"</([a-zA-Z][a-zA-Z0-9-]*)\s*>")
_START = re.compile(r"<([a-zA-Z][a-zA-Z0-9-]*)((?:\s+[a-zA-Z-]+(?:\s*=\s*(?:\"[^\"]*\"|'[^']*'|[^\s>\"']+))?)*)\s*>")
_ATTR = re.compile(r"([a-zA-Z-]+)(?:\s*=\s*(\"[^\"]*\"|'[^']*'|[^\s>\"']+))?")


def _unescape(text: str) -> str:
    return _REF.sub(lambda m: _ref(m.group(1), m.group(0)), text)


def _ref(name: str, whole: str) -> str:
    if name.startswith("#x"):
        return chr(int(name[2:], 16))
    if name.startswith("#"):
        return chr(int(name[1:]))
    return _NAMED.get(name, whole)  # unknown named references stay as they are


def _fail(src: str, index: int, what: str):
    return bad(f"can't parse entities: {what} at byte offset {len(src[:index].encode())}")


def parse_html(src: str) -> tuple[str, list[tuple[str, int, int, dict[str, Any]]]]:
    out: list[str] = []
    stack: list[list[Any]] = []  # [tag, start, attrs, extra]
    entities = []
    length = 0
    i = 0
    while i < len(src):
        char = src[i]
        if char == "&":
            m = _REF.match(src, i)
            piece = _ref(m.group(1), m.group(0)) if m else "&"
            i = m.end() if m else i + 1
        elif char == "<" and src.startswith("</", i):
            m = _END.match(src, i)
            if not m:
                raise _fail(src, i, "Unexpected end tag")
            tag = m.group(1).lower()
            if not stack or stack[-1][0] != tag:
                expected = f'expected "</{stack[-1][0]}>", ' if stack else ""
                raise _fail(src, i, f'Unmatched end tag, {expected}found "</{tag}>"')
            tag, start, attrs, extra = stack.pop()
            i = m.end()
            kind = _KINDS[tag]
            if tag == "a" and not attrs.get("href"):
                continue
            if tag == "code" and stack and stack[-1][0] == "pre" and attrs.get("class", "").startswith("language-"):
                stack[-1][3]["language"] = attrs["class"][len("language-"):]
                continue
            if tag == "blockquote" and "expandable" in attrs:
                kind = "expandable_blockquote"
            if length > start:
                entities.append((kind, start, length, extra))
            continue
        elif char == "<":
            m = _START.match(src, i)
            if not m:
                raise _fail(src, i, "Unexpected end of name token")
            tag = m.group(1).lower()
            if tag not in _KINDS:
                raise _fail(src, i, f'Unsupported start tag "{tag}"')
            attrs = {k.lower(): _unescape(v.strip("\"'")) if v else ""
                     for k, v in _ATTR.findall(m.group(2))}
            if tag == "span" and attrs.get("class") != "tg-spoiler":
                raise _fail(src, i, 'Tag "span" must have class "tg-spoiler"')
            extra: dict[str, Any] = {}
            if tag == "a" and attrs.get("href"):
                extra["url"] = attrs["href"]
            if tag == "tg-emoji":
                extra["custom_emoji_id"] = attrs.get("emoji-id", "")
            if tag == "tg-time":
                extra["unix_time"] = int(attrs.get("unix", "0") or 0)
            stack.append([tag, length, attrs, extra])
            i = m.end()
            continue
        else:
            piece = char
            i += 1
        out.append(piece)
        length += len(piece)
    if stack:
        raise bad(f'can\'t parse entities: Can\'t find end tag corresponding to start tag "{stack[-1][0]}"')
    return "".join(out), entities
