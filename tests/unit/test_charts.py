"""The /chart PNG: Chinese text renders with a CJK font, gaps stay gaps, no font falls back to English."""
from __future__ import annotations

import io
import logging
import os
import subprocess
import sys
import warnings
from datetime import date
from pathlib import Path

import pytest

from handlers import charts
from handlers.charts import ChartLabels, Rate, WeekPoint, find_cjk_font, render

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
ROOT = Path(__file__).resolve().parents[2]

CHINESE = ChartLabels(
    title="幸福里社区 2026-03-02 至 2026-03-29", concerns_axis="每周新增事项（按当前状态）", rates_axis="三率",
    states={"open": "办理中", "deliberating": "协商中", "resolved": "已解决", "closed_other": "其他关闭"},
    response="响应率", resolution="解决率", satisfaction="满意率", week="周", no_data="本期没有数据")
ENGLISH = ChartLabels(
    title="2026-03-02 to 2026-03-29", concerns_axis="New concerns per week (by current state)", rates_axis="Rates",
    states={"open": "Open", "deliberating": "Deliberating", "resolved": "Resolved", "closed_other": "Closed (other)"},
    response="Response", resolution="Resolution", satisfaction="Satisfaction", week="Week", no_data="No data")


def _weeks(third_satisfaction: Rate = Rate(0, 0)) -> list[WeekPoint]:
    return [
        WeekPoint(date(2026, 3, 2), {"open": 1, "deliberating": 1, "resolved": 5, "closed_other": 1},
                  Rate(7, 8), Rate(5, 8), Rate(4, 5)),
        WeekPoint(date(2026, 3, 9), {"open": 2, "resolved": 3}, Rate(5, 5), Rate(3, 5), Rate(3, 3)),
        WeekPoint(date(2026, 3, 16), {"open": 4, "deliberating": 2}, Rate(3, 6), Rate(0, 6), third_satisfaction),
        WeekPoint(date(2026, 3, 23), {"open": 3, "resolved": 9, "closed_other": 2}, Rate(14, 14), Rate(9, 14),
                  Rate(6, 9)),
    ]


def _render_recording(*args, **kwargs) -> tuple[bytes, list[str]]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        png = render(*args, **kwargs)
    return png, [str(w.message) for w in caught]


def _pixels(png: bytes):
    from matplotlib.image import imread
    assert png.startswith(PNG_SIGNATURE)
    return imread(io.BytesIO(png), format="png")


@pytest.fixture
def cjk_font() -> str:
    path = find_cjk_font()
    if path is None:
        message = ("no CJK font on this machine; install one "
                   "(Debian/Ubuntu: apt install fonts-noto-cjk or fonts-wqy-microhei)")
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    return path


def test_chinese_chart_renders_without_missing_glyphs(cjk_font):
    png, messages = _render_recording(_weeks(), CHINESE)
    assert not [m for m in messages if "missing from" in m]
    image = _pixels(png)
    assert image.shape[:2] == (600, 800)
    assert image[..., :3].std() > 0.05  # something was drawn, not a blank canvas


def test_found_font_really_has_chinese_glyphs(cjk_font):
    from matplotlib.ft2font import FT2Font
    font = FT2Font(cjk_font)
    assert all(font.get_char_index(ord(ch)) for ch in "幸福里社区办理中协商满意率")


def test_configured_font_without_chinese_glyphs_is_passed_over(cjk_font, tmp_path):
    import matplotlib
    latin_only = str(Path(matplotlib.get_data_path()) / "fonts" / "ttf" / "DejaVuSans.ttf")
    assert find_cjk_font(latin_only) == cjk_font
    assert find_cjk_font(str(tmp_path / "nope.ttf")) == cjk_font


def test_week_without_surveys_is_a_gap_not_zero_percent(cjk_font):
    gap = render(_weeks(Rate(0, 0)), CHINESE)
    zero = render(_weeks(Rate(0, 4)), CHINESE)
    assert _pixels(gap).shape == _pixels(zero).shape
    assert (_pixels(gap) != _pixels(zero)).any()


def test_rate_value():
    assert Rate(0, 0).value is None
    assert Rate(5, 0).value is None
    assert Rate(0, 4).value == 0
    assert Rate(3, 4).value == pytest.approx(0.75)
    assert Rate(7, 7).value == 1


def test_no_cjk_font_warns_and_falls_back_to_english(monkeypatch, caplog):
    monkeypatch.setattr(charts, "find_cjk_font", lambda extra=None: None)
    with caplog.at_level(logging.WARNING, logger="handlers.charts"):
        png, messages = _render_recording(_weeks(), CHINESE, fallback=ENGLISH)
    warned = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert any("no CJK font" in m and "fonts-noto-cjk" in m and "fonts-wqy-microhei" in m for m in warned)
    assert not [m for m in messages if "missing from" in m]
    assert _pixels(png).shape[:2] == (600, 800)


def test_no_cjk_font_without_fallback_still_produces_a_png(monkeypatch, caplog):
    monkeypatch.setattr(charts, "find_cjk_font", lambda extra=None: None)
    with caplog.at_level(logging.WARNING, logger="handlers.charts"):
        png, _ = _render_recording(_weeks(), CHINESE)
    assert any("no CJK font" in r.getMessage() for r in caplog.records)
    assert _pixels(png).shape[:2] == (600, 800)


def test_english_labels_need_no_cjk_font(monkeypatch, caplog):
    monkeypatch.setattr(charts, "find_cjk_font", lambda extra=None: None)
    with caplog.at_level(logging.WARNING, logger="handlers.charts"):
        png, messages = _render_recording(_weeks(), ENGLISH)
    assert not caplog.records
    assert not [m for m in messages if "missing from" in m]
    assert png.startswith(PNG_SIGNATURE)


def test_empty_period_is_still_a_png(cjk_font):
    png, messages = _render_recording([], CHINESE)
    assert not [m for m in messages if "missing from" in m]
    image = _pixels(png)
    assert image.shape[:2] == (600, 800)
    middle = image[250:350, 250:550, :3]
    assert middle.min() < 0.5  # the no-data text sits in the middle


def test_importing_handlers_charts_does_not_import_matplotlib():
    code = "import sys, handlers.charts; print('matplotlib' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"
