"""What a committee poll may hold, checked before a deliberation is opened.

Telegram's ``sendPoll`` (Bot API 10.0, ``../shared/telegram/bot-api-10.0.json``) takes a
question of 1-300 characters and 1-12 options of 1-100 characters each, and refuses two
equal options with ``400 POLL_OPTION_DUPLICATE``. A deliberation is stricter: 2 to 10
options (a single option is no choice; the same range ``community.poll_options`` allows),
none of them shortened (two options cut to the limit may become equal or unreadable), and
distinct after trimming, case and width folding (NFKC), since 「同意」 and 「同意 」 or
「OK」 and 「ｏｋ」 are one choice to the people voting. A long question is no problem: it is
stored and shown whole in the card, and only the native poll gets it shortened.

Pure functions; ``check_options`` answers a ``Problem`` (a text key and its blanks) or None.
"""
from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field

QUESTION_LIMIT = 300  # sendPoll.question: "Poll question, 1-300 characters"
OPTION_LIMIT = 100  # InputPollOption.text: "Option text, 1-100 characters"
PLATFORM_OPTIONS = (1, 12)  # sendPoll.options: "A JSON-serialized list of 1-12 answer options"
MIN_OPTIONS, MAX_OPTIONS = 2, 10  # a deliberation's own range, inside the platform's
ELLIPSIS = "…"
SHOWN = 20  # how much of a too-long option a refusal quotes


@dataclass(frozen=True)
class Problem:
    """Why options cannot go to a poll: the refusal's text key and its blanks."""

    key: str
    params: dict = field(default_factory=dict)


def fold(text: str) -> str:
    """The form two options are compared in: trimmed, NFKC (full-width → half-width), casefolded."""
    return unicodedata.normalize("NFKC", text).casefold().strip()


def shorten(text: str, limit: int) -> str:
    """``text`` if it fits in ``limit`` characters, else cut and ended with "…" (``limit`` in all)."""
    text = text.strip()
    if len(text) <= limit:
        return text
    return text[:limit - len(ELLIPSIS)].rstrip() + ELLIPSIS


def native_question(number: int, question: str) -> str:
    """The question a native poll is sent with: "#12 …", at most ``QUESTION_LIMIT`` characters."""
    return shorten(f"#{number} {question.strip()}", QUESTION_LIMIT)


def clean_options(options: Sequence[str]) -> list[str]:
    """The options as they are stored and sent: trimmed (Telegram trims them too)."""
    return [o.strip() for o in options]


def check_options(options: Sequence[str]) -> Problem | None:
    """The first reason ``options`` cannot make a deliberation's poll, or None when they can."""
    cleaned = clean_options(options)
    if not MIN_OPTIONS <= len(cleaned) <= MAX_OPTIONS:
        return Problem("refused.poll_option_count", {"count": len(cleaned), "low": MIN_OPTIONS,
                                                     "high": MAX_OPTIONS})
    if any(not o for o in cleaned):
        return Problem("refused.poll_option_empty")
    for option in cleaned:
        if len(option) > OPTION_LIMIT:
            return Problem("refused.poll_option_long", {"option": shorten(option, SHOWN), "length": len(option),
                                                        "limit": OPTION_LIMIT})
    seen: dict[str, str] = {}
    for option in cleaned:
        key = fold(option)
        if key not in seen:
            seen[key] = option
            continue
        first = seen[key]
        if first == option:
            count = sum(1 for o in cleaned if o == option)
            return Problem("refused.poll_option_repeated", {"option": option, "count": count})
        return Problem("refused.poll_option_same", {"first": first, "second": option})
    return None
