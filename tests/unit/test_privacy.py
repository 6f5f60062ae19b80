"""Personal numbers never reach a group or an export unmasked; ordinary numbers stay readable."""
from __future__ import annotations

import pytest

from handlers.privacy import mask, summary


@pytest.mark.parametrize(("text", "masked"), [
    ("电话 139 0000 5621", "电话 139****5621"),
    ("15900002233", "159****2233"),
    ("138-0000-1234", "138****1234"),
    ("联系我13800001234谢谢", "联系我138****1234谢谢"),
    ("王阿姨 139 0000 5621，李叔 15900002233", "王阿姨 139****5621，李叔 159****2233"),
    ("+86 139 0000 5621", "+86 139****5621"),
])
def test_mobile_numbers_keep_first_three_and_last_four(text, masked):
    assert mask(text) == masked


def test_mobile_number_with_country_code_attached():
    """+8613900005621 is how contact cards paste a number; the middle digits must not leak."""
    result = mask("电话+8613900005621")
    assert "00005621" not in result
    assert "139" in result and result.endswith("5621")


@pytest.mark.parametrize(("number", "head", "tail", "hidden"), [
    ("110101199003074518", "110101", "8", "19900307451"),
    ("11010519491231002X", "110105", "X", "19491231002"),
    ("11010519491231002x", "110105", "x", "19491231002"),
])
def test_id_numbers_are_masked(number, head, tail, hidden):
    result = mask(f"身份证号{number}，请核实")
    assert result.startswith("身份证号" + head)
    assert result.endswith(tail + "，请核实")
    assert hidden not in result
    assert "*" in result
    # the birth date must not survive in any form
    assert hidden[:8] not in result


def test_landline_is_masked():
    result = mask("物业电话 010-12345678")
    assert result.startswith("物业电话 010-")
    assert "12345678" not in result and "123456" not in result
    assert result.endswith("78")


@pytest.mark.parametrize("text", [
    "3栋2单元502室",
    "2026年3月5日下午",
    "12号楼门口",
    "#12 路灯又坏了",
    "门牌号 1502",
    "停车费每月300元",
    "邮编 100101",
    "",
])
def test_ordinary_numbers_are_untouched(text):
    assert mask(text) == text


def test_summary_short_text_is_unchanged():
    assert summary("3栋门口路灯坏了") == "3栋门口路灯坏了"


def test_summary_truncates_with_an_ellipsis():
    result = summary("路" * 400)
    assert len(result) == 300
    assert result.endswith("…")
    assert result[:-1] == "路" * 299


def test_summary_at_exactly_the_limit_is_not_truncated():
    assert summary("路" * 300) == "路" * 300


def test_summary_custom_limit():
    result = summary("abcdefghij", limit=5)
    assert result == "abcd…"


def test_summary_masks():
    assert summary("路灯坏了，联系 139 0000 5621") == "路灯坏了，联系 139****5621"


def test_summary_masks_before_cutting_so_no_partial_number_leaks():
    text = "路" * 290 + "13900005621"   # the number straddles the cut
    result = summary(text)
    assert len(result) <= 300
    assert "0000" not in result
    assert "1390000" not in result


def test_summary_folds_whitespace_to_one_line():
    assert summary("路灯\n\n坏了   一周了\t") == "路灯 坏了 一周了"
