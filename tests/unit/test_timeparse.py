"""Deadlines people type when opening a deliberation: durations, dates, dates with times."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from handlers.timeparse import find_deadline

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 3, 2, 9, 0, tzinfo=SHANGHAI)


def _squash(text: str) -> str:
    return " ".join(text.split())


@pytest.mark.parametrize(("text", "delta", "rest", "words"), [
    ("是否安装充电桩 48h", timedelta(hours=48), "是否安装充电桩", "48h"),
    ("是否安装充电桩 48H", timedelta(hours=48), "是否安装充电桩", "48H"),
    ("是否安装充电桩 3天", timedelta(days=3), "是否安装充电桩", "3天"),
    ("30分钟 燃气味道很重怎么办", timedelta(minutes=30), "燃气味道很重怎么办", "30分钟"),
    ("1w 讨论补种绿化", timedelta(weeks=1), "讨论补种绿化", "1w"),
    ("2 小时 快速表决", timedelta(hours=2), "快速表决", "2 小时"),
    ("2个小时 快速表决", timedelta(hours=2), "快速表决", "2个小时"),
    ("1.5h 快速表决", timedelta(minutes=90), "快速表决", "1.5h"),
    ("3 days for the vote", timedelta(days=3), "for the vote", "3 days"),
    ("2周 加装电梯方案", timedelta(weeks=2), "加装电梯方案", "2周"),
    ("加装电梯方案，72h内投票", timedelta(hours=72), "加装电梯方案， 内投票", "72h"),
    ("加装电梯 截止 48h", timedelta(hours=48), "加装电梯", "48h"),
    ("加装电梯 截止：48h", timedelta(hours=48), "加装电梯", "48h"),
    ("加装电梯 deadline: 3d", timedelta(days=3), "加装电梯", "3d"),
])
def test_durations_count_from_now(text, delta, rest, words):
    deadline, remaining, found = find_deadline(text, NOW, SHANGHAI)
    assert deadline == NOW + delta
    assert _squash(remaining) == _squash(rest)
    assert found == words


def test_duration_written_right_after_the_deadline_word():
    """截止3天 — Chinese is written without spaces; the deadline word is still removed."""
    deadline, remaining, found = find_deadline("加装电梯 截止3天", NOW, SHANGHAI)
    assert deadline == NOW + timedelta(days=3)
    assert remaining == "加装电梯"
    assert found == "3天"


@pytest.mark.parametrize(("text", "local", "rest", "words"), [
    ("是否安装充电桩 截止 2026-03-05 18:00", (2026, 3, 5, 18, 0), "是否安装充电桩", "2026-03-05 18:00"),
    ("截止 2026-03-05 18:00", (2026, 3, 5, 18, 0), "", "2026-03-05 18:00"),
    ("截至2026-03-05 18:00 是否安装充电桩", (2026, 3, 5, 18, 0), "是否安装充电桩", "2026-03-05 18:00"),
    ("是否安装充电桩 deadline 2026-03-05T18:00", (2026, 3, 5, 18, 0), "是否安装充电桩", "2026-03-05T18:00"),
    ("是否安装充电桩 2026-3-5 9:30 前投票", (2026, 3, 5, 9, 30), "是否安装充电桩 前投票", "2026-3-5 9:30"),
])
def test_date_and_time_are_local(text, local, rest, words):
    deadline, remaining, found = find_deadline(text, NOW, SHANGHAI)
    assert deadline == datetime(*local, tzinfo=SHANGHAI)
    # 18:00 in Shanghai is 10:00 UTC: the time is read in the community's zone, not UTC.
    assert deadline.utcoffset() == timedelta(hours=8)
    assert _squash(remaining) == rest
    assert found == words


def test_shanghai_time_is_ten_utc():
    deadline, _, _ = find_deadline("截止 2026-03-05 18:00", NOW, SHANGHAI)
    assert deadline == datetime(2026, 3, 5, 10, 0, tzinfo=timezone.utc)


def test_the_zone_argument_is_used():
    deadline, _, _ = find_deadline("截止 2026-03-05 18:00", NOW, ZoneInfo("Europe/Berlin"))
    assert deadline == datetime(2026, 3, 5, 17, 0, tzinfo=timezone.utc)


@pytest.mark.parametrize(("text", "rest"), [
    ("截止 2026-03-05", ""),
    ("加装电梯 截止 2026-03-05 请大家投票", "加装电梯 请大家投票"),
])
def test_date_alone_means_end_of_that_local_day(text, rest):
    deadline, remaining, found = find_deadline(text, NOW, SHANGHAI)
    assert deadline == datetime(2026, 3, 5, 23, 59, tzinfo=SHANGHAI)
    assert deadline == datetime(2026, 3, 5, 15, 59, tzinfo=timezone.utc)
    assert _squash(remaining) == rest
    assert found == "2026-03-05"


@pytest.mark.parametrize(("text", "words"), [
    ("加装电梯 截止 2026-02-30", "2026-02-30"),
    ("加装电梯 截止 2026-13-01", "2026-13-01"),
    ("加装电梯 截止 2026-02-30 18:00", "2026-02-30 18:00"),
])
def test_impossible_date_is_reported_not_guessed(text, words):
    assert find_deadline(text, NOW, SHANGHAI) == (None, text, words)


@pytest.mark.parametrize(("text", "words"), [
    ("加装电梯 截止 2026-03-05 25:00", "2026-03-05 25:00"),
    ("加装电梯 截止 2026-03-05 18:75", "2026-03-05 18:75"),
])
def test_impossible_time_is_reported_not_a_crash(text, words):
    assert find_deadline(text, NOW, SHANGHAI) == (None, text, words)


@pytest.mark.parametrize("text", [
    "3栋门口路灯坏了",
    "12号楼 2026年 第3栋",
    "3月5日开会讨论",          # a calendar date in words is not "5 days"
    "v1.5h 版本",
    "",
])
def test_no_deadline(text):
    assert find_deadline(text, NOW, SHANGHAI) == (None, text, None)
