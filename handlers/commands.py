"""Reading what a message asks for: a tagged report, or a slash command with its aliases.

Chinese command words come first, English aliases follow; full-width ＃ ／ and digits are
accepted because phone keyboards produce them.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

#: command name → the words that invoke it (after "/"), Chinese first.
ALIASES: dict[str, tuple[str, ...]] = {
    "report": ("报事", "報事", "report"),
    "support": ("附议", "附議", "support", "+1", "metoo"),
    "status": ("进度", "查询", "status"),
    "mine": ("我的", "mine"),
    "claim": ("接单", "claim"),
    "size": ("定级", "size"),
    "category": ("分类", "category"),
    "deliberate": ("协商", "发起协商", "deliberate", "poll"),
    "vote": ("投票", "vote"),
    "comment": ("评论", "意见", "comment"),
    "decide": ("决定", "方案", "decide"),
    "assign": ("指派", "assign"),
    "handoff": ("转交", "handoff"),
    "escalate": ("上报", "escalate"),
    "progress": ("进展", "progress"),
    "resolve": ("办结", "resolve"),
    "survey": ("评价", "survey", "rate"),
    "reopen": ("重开", "reopen"),
    "convert": ("转化", "convert"),
    "reject": ("驳回", "reject"),
    "withdraw": ("撤回", "withdraw"),
    "follow": ("关注", "follow"),
    "unfollow": ("取消关注", "unfollow"),
    "quorum": ("法定人数", "quorum"),
    "passing": ("通过标准", "passing"),
    "repoll": ("重开投票", "repoll"),
    "stats": ("统计", "stats"),
    "members": ("履职清单", "履职", "members"),
    "export": ("导出", "台账", "export"),
    "retrain": ("重新学习", "retrain"),
    "chart": ("图表", "chart"),
    "help": ("帮助", "help", "start"),
}
#: words that are a command with its first argument already given.
PRESETS: dict[str, tuple[str, str]] = {
    "小事": ("size", "small"), "大事": ("size", "big"), "急事": ("size", "urgent"),
    "满意": ("survey", "1"), "基本满意": ("survey", "2"), "不满意": ("survey", "3"),
}
_LOOKUP = {alias.lower(): name for name, aliases in ALIASES.items() for alias in aliases}
_SLASH = re.compile(r"^\s*[/／]([^\s@/／]+)(?:@\S+)?(?:\s+(.*))?$", re.DOTALL)
_NUMBER = re.compile(r"^\s*(?:[#＃]|no\.?\s*)?([0-9０-９]+)号?(?=\s|$)\s*(.*)$", re.DOTALL | re.IGNORECASE)
SUPPORT_WORDS = frozenset({"+1", "＋1", "附议", "附議", "同感", "me too", "metoo", "我也是"})


@dataclass(frozen=True)
class Command:
    """A parsed request. ``args`` is the rest of the message, tag or command word removed."""

    name: str
    args: str = ""
    word: str = ""


_CONCERN_FIRST = re.compile(r"^\s*[#＃]([0-9０-９]{1,9})(?=\s|$)\s*(.*)$", re.DOTALL)
_WORD_NUMBER = re.compile(r"^\s*(\S+?)\s*[#＃]?([0-9０-９]{1,9})\s*$")
_REPORT_INSIDE = re.compile(r"(?:^|\s)[/／](?:report|报事|報事)(?:@\S+)?(?=\s|$)", re.IGNORECASE)
_CHOICES = re.compile(r"^[0-9０-９]{1,2}(?:\s*[,，、]\s*[0-9０-９]{1,2})*$")


def parse(text: str, tags: tuple[str, ...], *, plain: bool = False) -> Command | None:
    """Return the command a message carries, ``unknown`` for an unknown slash word, or None.

    ``plain``: the platform has no buttons (WeChat), so people answer in words. A message
    that starts with a concern number is about that concern — ``#12 +1`` supports it,
    ``#12 2`` (or ``#12 1,3``) votes, ``#12 …`` comments — and ``附议 12`` supports. A bare
    number without the concern is never a vote in a group (see ``menu_choice``).
    """
    if not text or not text.strip():
        return None
    if plain:
        command = _plain(text)
        if command is not None:
            return command
    slash = _SLASH.match(text)
    if slash:
        word, rest = slash.group(1), (slash.group(2) or "").strip()
        key = unicodedata.normalize("NFKC", word).lower()
        if key in PRESETS:
            name, first = PRESETS[key]
            number, remaining = split_number(rest)
            head = f"{number} " if number is not None else ""
            return Command(name, f"{head}{first} {remaining}".strip(), word)
        if key in _LOOKUP:
            return Command(_LOOKUP[key], rest, word)
        return Command("unknown", rest, word)
    body = strip_tag(text, tags)
    if body is not None:
        return Command("report", body, "tag")
    inside = _REPORT_INSIDE.search(text)  # "歪柳树看着要倒 /report 赶紧拉绳子": a report all the same
    if inside:
        return Command("report", (text[:inside.start()].rstrip() + " " + text[inside.end():].lstrip()).strip(),
                       "/report")
    return None


def _plain(text: str) -> Command | None:
    about = _CONCERN_FIRST.match(text)
    if about:
        number, rest = int(unicodedata.normalize("NFKC", about.group(1))), about.group(2).strip()
        if is_support_word(rest):
            return Command("support", str(number), "#")
        if _CHOICES.match(rest):
            return Command("vote", f"{number} {rest}", "#")
        if rest and not rest.startswith(("#", "＃")):
            return Command("comment", f"{number} {rest}", "#")
        return None
    worded = _WORD_NUMBER.match(text)
    if worded and is_support_word(worded.group(1)):
        return Command("support", str(int(unicodedata.normalize("NFKC", worded.group(2)))), worded.group(1))
    return None


def menu_choice(text: str) -> int | None:
    """A bare number (1–99) typed in a private chat: the choice of the last numbered menu."""
    value = unicodedata.normalize("NFKC", text).strip()
    return int(value) if value.isdecimal() and len(value) <= 2 and int(value) > 0 else None


def strip_tag(text: str, tags: tuple[str, ...]) -> str | None:
    """The message without its report tag (which may stand anywhere), or None if untagged."""
    for tag in tags:
        word = tag.lstrip("#＃")
        pattern = re.compile(r"[#＃]" + re.escape(word))
        if pattern.search(text):
            return pattern.sub(" ", text, count=1).strip()
    return None


def split_number(args: str) -> tuple[int | None, str]:
    """``"#12 rest"`` → ``(12, "rest")``; no leading number → ``(None, args)``."""
    match = _NUMBER.match(args or "")
    if not match:
        return None, (args or "").strip()
    return int(unicodedata.normalize("NFKC", match.group(1))), match.group(2).strip()


def is_support_word(text: str) -> bool:
    return unicodedata.normalize("NFKC", text).strip().lower() in SUPPORT_WORDS
