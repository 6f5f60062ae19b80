"""Periods people ask figures for: 本周, 上月, 本季度, 2026-03, 2026-03-01~2026-03-15 …

A period is a half-open range of local days, turned into aware datetimes in the community's
time zone. Calendar periods (本周 …) run to their natural end; figures about deadlines stop
at *now* themselves.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

WORDS = {
    "今天": "today", "今日": "today", "today": "today",
    "昨天": "yesterday", "yesterday": "yesterday",
    "本周": "week", "这周": "week", "week": "week", "this-week": "week",
    "上周": "last-week", "last-week": "last-week",
    "本月": "month", "这个月": "month", "month": "month", "this-month": "month",
    "上月": "last-month", "上个月": "last-month", "last-month": "last-month",
    "本季度": "quarter", "本季": "quarter", "quarter": "quarter",
    "上季度": "last-quarter", "last-quarter": "last-quarter",
    "本年": "year", "今年": "year", "year": "year",
    "去年": "last-year", "last-year": "last-year",
    "全部": "all", "所有": "all", "all": "all",
}
EPOCH = date(2000, 1, 1)
_DAY = r"(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?"
_RANGE = re.compile(rf"^{_DAY}\s*(?:~|～|—|–|\.\.|至|到|-)\s*{_DAY}$")
_ONE_DAY = re.compile(rf"^{_DAY}$")
_MONTH = re.compile(r"^(\d{4})[-/.年](\d{1,2})月?$")
_YEAR = re.compile(r"^(\d{4})年?$")


class BadPeriod(ValueError):
    pass


@dataclass(frozen=True)
class Period:
    first: date  # first local day
    last: date   # last local day (inclusive)
    zone: ZoneInfo

    @property
    def start(self) -> datetime:
        return datetime.combine(self.first, time(0), self.zone)

    @property
    def end(self) -> datetime:
        return datetime.combine(self.last + timedelta(days=1), time(0), self.zone)

    @property
    def label(self) -> str:
        return self.first.isoformat() if self.first == self.last else f"{self.first.isoformat()}~{self.last.isoformat()}"

    def weeks(self) -> list[Period]:
        """The Monday-to-Sunday weeks that overlap this period, clipped to it."""
        out, monday = [], self.first - timedelta(days=self.first.weekday())
        while monday <= self.last:
            out.append(Period(max(monday, self.first), min(monday + timedelta(days=6), self.last), self.zone))
            monday += timedelta(days=7)
        return out


def _quarter_start(day: date) -> date:
    return date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)


def _month_end(first: date) -> date:
    nxt = date(first.year + first.month // 12, first.month % 12 + 1, 1)
    return nxt - timedelta(days=1)


def named(word: str, today: date, zone: ZoneInfo) -> Period:
    """A calendar period around ``today``."""
    if word == "today":
        return Period(today, today, zone)
    if word == "all":
        return Period(EPOCH, today, zone)
    if word == "yesterday":
        return Period(today - timedelta(days=1), today - timedelta(days=1), zone)
    if word in ("week", "last-week"):
        monday = today - timedelta(days=today.weekday()) - timedelta(days=7 if word == "last-week" else 0)
        return Period(monday, monday + timedelta(days=6), zone)
    if word in ("month", "last-month"):
        first = today.replace(day=1)
        if word == "last-month":
            first = (first - timedelta(days=1)).replace(day=1)
        return Period(first, _month_end(first), zone)
    if word in ("quarter", "last-quarter"):
        first = _quarter_start(today)
        if word == "last-quarter":
            first = _quarter_start(first - timedelta(days=1))
        return Period(first, _month_end(date(first.year, first.month + 2, 1)), zone)
    year = today.year - (1 if word == "last-year" else 0)
    return Period(date(year, 1, 1), date(year, 12, 31), zone)


def parse(text: str, now: datetime, zone: ZoneInfo, *, default: str = "month") -> Period:
    """A period from what someone typed (empty: ``default``); raises ``BadPeriod``."""
    word = text.strip().lower()
    today = now.astimezone(zone).date()
    if not word:
        return named(default, today, zone)
    if word in WORDS:
        return named(WORDS[word], today, zone)
    try:
        if m := _RANGE.match(word):
            first, last = date(*map(int, m.groups()[:3])), date(*map(int, m.groups()[3:]))
            if last < first:
                raise BadPeriod(text)
            return Period(first, last, zone)
        if m := _ONE_DAY.match(word):
            day = date(*map(int, m.groups()))
            return Period(day, day, zone)
        if m := _MONTH.match(word):
            first = date(int(m.group(1)), int(m.group(2)), 1)
            return Period(first, _month_end(first), zone)
        if m := _YEAR.match(word):
            return Period(date(int(m.group(1)), 1, 1), date(int(m.group(1)), 12, 31), zone)
    except ValueError as exc:  # 2026-02-30 and the like
        raise BadPeriod(text) from exc
    raise BadPeriod(text)
