"""Reading deadlines people type: ``48h``, ``3天``, ``30分钟``, ``2026-03-05 18:00``."""
from __future__ import annotations

import re
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

_UNITS = {
    "m": 60, "min": 60, "mins": 60, "分钟": 60,
    "h": 3600, "hr": 3600, "hrs": 3600, "hour": 3600, "hours": 3600, "小时": 3600, "个小时": 3600,
    "d": 86400, "day": 86400, "days": 86400, "天": 86400,
    "w": 604800, "week": 604800, "weeks": 604800, "周": 604800,
}
# A duration stands as a word of its own (or after 截止, a comma, "deadline"), or says
# "72h内投票": "48h" and "截止3天" count, but "加装2m高的围栏" and "3天内修好" are part of
# the question, not its deadline.
DURATION = re.compile(r"(?:(?<=\s)|^|(?<=截止)|(?<=截至)|(?<=deadline)|(?<=[，,：:（(]))(\d+(?:\.\d+)?)\s*("
                      + "|".join(sorted(map(re.escape, _UNITS), key=len, reverse=True))
                      + r")(?=\s|$|[，,。;；）)]|内投票|内表决)", re.IGNORECASE)
DATETIME = re.compile(r"(?<!\d)(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T](\d{1,2}):(\d{2}))?(?!\d)")
PREFIX = re.compile(r"(截止|截至|deadline)[:：]?\s*$", re.IGNORECASE)


def find_deadline(text: str, now: datetime, zone: ZoneInfo) -> tuple[datetime | None, str, str | None]:
    """Find a deadline in ``text``; return (deadline, text without it, the words that named it).

    A date without a time means the end of that day in the community's time zone.
    """
    match = DATETIME.search(text)
    if match:
        year, month, day, hour, minute = match.groups()
        try:
            clock = time(int(hour), int(minute)) if hour else time(23, 59)
            when = datetime(int(year), int(month), int(day), clock.hour, clock.minute, tzinfo=zone)
        except ValueError:
            return None, text, match.group(0)
        return when, _cut(text, match), match.group(0)
    match = DURATION.search(text)
    if match:
        seconds = float(match.group(1)) * _UNITS[match.group(2).lower()]
        return now + timedelta(seconds=seconds), _cut(text, match), match.group(0)
    return None, text, None


def _cut(text: str, match: re.Match) -> str:
    before = PREFIX.sub("", text[: match.start()])
    return (before + " " + text[match.end():]).strip()
