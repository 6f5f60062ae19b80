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


# --- the forms people really type ------------------------------------------------------------
# (each of these reached groups, cards, digests and exports unmasked before)

@pytest.mark.parametrize(("text", "masked"), [
    # full-width digits, as Chinese input methods write them
    ("电话１３９００００５６２１", "电话139****5621"),
    ("联系 １３８１２３４５６７８ 谢谢", "联系 138****5678 谢谢"),
    ("电话：１３９－００００－５６２１。", "电话：139****5621。"),
    ("＋８６ １３９ ００００ ５６２１", "+86 139****5621"),
    # dotted
    ("139.0000.5621", "139****5621"),
    ("老板电话138.1234.5678，", "老板电话138****5678，"),
    # country code in every form
    ("+86-139-0000-5621", "+86 139****5621"),
    ("(+86)13900005621", "(+86)139****5621"),
    ("0086 139 0000 5621", "0086 139****5621"),
    ("8613900005621", "86 139****5621"),
    # a range phonenumbers may not know yet still has the mobile shape
    ("14000005621", "140****5621"),
])
def test_mobile_numbers_in_every_form_are_masked(text, masked):
    assert mask(text) == masked


@pytest.mark.parametrize(("text", "masked"), [
    ("0571 88886666", "0571-****66"),
    ("0571-88886666", "0571-****66"),
    ("(0571)88886666", "0571-****66"),
    ("（０５７１）８８８８６６６６", "0571-****66"),
    ("物业 010-12345678 找王经理", "物业 010-****78 找王经理"),
    ("010 1234 5678", "010-****78"),
    ("电话0571-8888-6666", "电话0571-****66"),
    ("0591-83051234", "0591-****34"),
    ("座机 0571 8888666", "座机 0571-****66"),  # a 7-digit local number
])
def test_landlines_with_area_code_are_masked(text, masked):
    assert mask(text) == masked


@pytest.mark.parametrize(("text", "masked"), [
    ("身份证110101199003074518", "身份证110101********8"),
    ("身份证 110101 19900307 4518 请核实", "身份证 110101********8 请核实"),
    ("110101-19900307-4518", "110101********8"),
    ("１１０１０１１９９００３０７４５１８", "110101********8"),
    ("老身份证110101900307123号", "老身份证110101********3号"),  # 15 digits, issued before 1999
    ("110101 900307 123", "110101********3"),
])
def test_id_numbers_in_every_form_are_masked(text, masked):
    assert mask(text) == masked


@pytest.mark.parametrize(("text", "masked"), [
    ("京a12345停在消防通道", "京A·***45停在消防通道"),
    ("浙a·d12345", "浙A·****45"),
    ("浙A12345", "浙A·***45"),
    ("沪b 98765", "沪B·***65"),
    ("粤B·DF123", "粤B·***23"),
    ("京ａ１２３４５", "京A·***45"),
])
def test_plates_in_upper_and_lower_case_are_masked(text, masked):
    assert mask(text) == masked


@pytest.mark.parametrize("text", [
    "#12 路灯又坏了",
    "截止 2026-03-05 18:00 前投票",
    "2026-03-02 09:00 ~ 2026-03-09 09:00",
    "2026-03-01~2026-03-31",
    "13:00-15:00 开会",
    "18:45",
    "停车费每月300元",
    "预算 12000000 元",
    "共 1234567 元",
    "3栋2单元502室",
    "12号楼1201室",
    "门牌号 1502",
    "邮编 100101",
    "投票 1,3",
    "48h",
    "20260305",
    "88886666",  # no area code: nobody can call it from this
    "户号 0123456789",
    "物业客服 400-820-8820",  # a company's hotline, not a person's number
    "报警 110，急救 120",
    "买了新ipad12寸",
    "新iphone15promax",
    "第 1/3 页",
    "ｄ栋３号",
])
def test_things_that_are_not_personal_numbers_are_left_alone(text):
    assert mask(text) == text


def test_the_rest_of_the_text_is_kept_as_it_was_typed():
    """Only the number is rewritten; full-width punctuation and letters around it stay full-width."""
    text = "Ａ栋门口，电话：１３９００００５６２１（王），车牌京ａ１２３４５！"
    assert mask(text) == "Ａ栋门口，电话：139****5621（王），车牌京A·***45！"


def test_several_kinds_in_one_message():
    text = ("王阿姨１３９００００５６２１，物业0571 88886666，身份证110101 19900307 4518，"
            "车牌浙a·d12345，#12 截止 2026-03-05 18:00")
    assert mask(text) == ("王阿姨139****5621，物业0571-****66，身份证110101********8，"
                          "车牌浙A·****45，#12 截止 2026-03-05 18:00")


def test_masking_twice_changes_nothing_more():
    once = mask("电话 +86 139 0000 5621，座机 (0571)88886666，京a12345，110101199003074518")
    assert mask(once) == once


def test_unmasked_summary_keeps_numbers_and_never_cuts_inside_one():
    """For readers who see numbers whole: the cut falls before a number, so masking the
    summary later (for everyone else) hides the number whole."""
    text = "路" * 290 + "１３９００００５６２１"
    whole = summary(text, masked=False)
    assert whole == "路" * 290 + "…"
    assert mask(whole) == whole
    short = "路灯坏了，联系 139 0000 5621"
    assert summary(short, masked=False) == short
    assert mask(summary(short, masked=False)) == summary(short)
