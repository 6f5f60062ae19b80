"""Periods as coordinators type them: calendar words, months, days and ranges."""
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from handlers.periods import BadPeriod, parse

ZONE = ZoneInfo("Asia/Shanghai")
NOW = datetime.fromisoformat("2026-05-13T09:00:00+08:00")  # a Wednesday


@pytest.mark.parametrize("text, first, last", [
    ("", date(2026, 5, 1), date(2026, 5, 31)),
    ("本周", date(2026, 5, 11), date(2026, 5, 17)),
    ("上周", date(2026, 5, 4), date(2026, 5, 10)),
    ("本月", date(2026, 5, 1), date(2026, 5, 31)),
    ("上月", date(2026, 4, 1), date(2026, 4, 30)),
    ("本季度", date(2026, 4, 1), date(2026, 6, 30)),
    ("上季度", date(2026, 1, 1), date(2026, 3, 31)),
    ("本年", date(2026, 1, 1), date(2026, 12, 31)),
    ("last-month", date(2026, 4, 1), date(2026, 4, 30)),
    ("2026-02", date(2026, 2, 1), date(2026, 2, 28)),
    ("2024年2月", date(2024, 2, 1), date(2024, 2, 29)),
    ("2026-03-01~2026-03-15", date(2026, 3, 1), date(2026, 3, 15)),
    ("2026/03/01 至 2026/03/15", date(2026, 3, 1), date(2026, 3, 15)),
    ("2026-03-05", date(2026, 3, 5), date(2026, 3, 5)),
    ("2025", date(2025, 1, 1), date(2025, 12, 31)),
])
def test_periods(text, first, last):
    period = parse(text, NOW, ZONE)
    assert (period.first, period.last) == (first, last)


def test_a_period_runs_from_local_midnight_to_the_next_day_after_its_last():
    period = parse("2026-03", NOW, ZONE)
    assert period.start == datetime.fromisoformat("2026-03-01T00:00:00+08:00")
    assert period.end == datetime.fromisoformat("2026-04-01T00:00:00+08:00")
    assert period.label == "2026-03-01~2026-03-31"


def test_last_quarter_in_january_is_last_years_fourth():
    period = parse("上季度", datetime.fromisoformat("2026-01-10T09:00:00+08:00"), ZONE)
    assert (period.first, period.last) == (date(2025, 10, 1), date(2025, 12, 31))


@pytest.mark.parametrize("text", ["2026-13", "2026-02-30", "2026-03-15~2026-03-01", "明年", "上上周"])
def test_what_cannot_be_read_is_refused(text):
    with pytest.raises(BadPeriod):
        parse(text, NOW, ZONE)


def test_weeks_are_monday_to_sunday_clipped_to_the_period():
    weeks = parse("2026-03", NOW, ZONE).weeks()
    assert [(w.first.isoformat(), w.last.isoformat()) for w in weeks][:2] == [
        ("2026-03-01", "2026-03-01"), ("2026-03-02", "2026-03-08")]
    assert weeks[-1].last == date(2026, 3, 31) and len(weeks) == 6
