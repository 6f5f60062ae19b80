"""``handlers.nlp.normalize.Normalizer``: what the analysers read (Simplified, half-width,
mainland wording, no emoji, no tag, lower case). The original text is kept elsewhere."""
from __future__ import annotations

import pytest

from handlers.nlp.normalize import Normalizer

TAGS = ("#报事", "#報事", "#建议", "#求助", "#投诉")


@pytest.fixture(scope="module")
def n() -> Normalizer:
    return Normalizer(TAGS)


@pytest.mark.parametrize("raw, expected", [
    ("3棟的路燈壞了", "3栋的路灯坏了"),
    ("樓下垃圾桶滿了沒人清", "楼下垃圾桶满了没人清"),
    ("單元門的門禁壞掉", "单元门的门禁坏掉"),
], ids=["light", "rubbish", "door"])
def test_traditional_script_becomes_simplified(n, raw, expected):
    assert n(raw) == expected


@pytest.mark.parametrize("raw, word", [
    ("升降機又壞咗", "电梯"),
    ("我哋棟𨋢成日壞", "电梯"),
    ("樓道有陣瓦斯味", "燃气"),
    ("廚房好大煤气味", "燃气"),
    ("我的停車格被人佔了", "车位"),
], ids=["lift-hk", "lift-cantonese", "gas-tw", "gas-coal", "parking-space-tw"])
def test_regional_words_become_mainland_words(n, raw, word):
    assert word in n(raw)


def test_regional_words_leave_no_trace(n):
    text = n("升降機壞咗，樓道又有瓦斯味")
    assert "升降" not in text and "瓦斯" not in text and "咗" not in text
    assert text == "电梯坏了,楼道又有燃气味"


def test_cantonese_particles_are_read(n):
    assert n("部升降機壞咗") == "部电梯坏了"
    assert n("冇人理") == "没有人理"


@pytest.mark.parametrize("raw, expected", [
    ("３栋路灯坏了", "3栋路灯坏了"),
    ("Ｂ２车库漏水", "b2车库漏水"),
    ("ＡＢＣ区１２号楼", "abc区12号楼"),
    ("路灯坏了！！", "路灯坏了!!"),
], ids=["digit", "garage", "area-building", "punctuation"])
def test_full_width_digits_and_letters_become_half_width(n, raw, expected):
    assert n(raw) == expected


@pytest.mark.parametrize("raw", [
    "路灯坏了😡", "😡😡路灯坏了", "路灯🔥坏了", "路灯坏了👍🏻", "路灯坏了❤️", "👨‍👩‍👧路灯坏了",
], ids=["end", "start", "middle", "skin-tone", "variation-selector", "zwj-family"])
def test_emoji_are_removed(n, raw):
    assert n(raw).replace(" ", "") == "路灯坏了"
    assert all(ord(ch) < 0x2000 or "\u4e00" <= ch <= "\u9fff" for ch in n(raw))


@pytest.mark.parametrize("raw", [
    "#报事 3栋路灯坏了", "3栋路灯坏了 #报事", "3栋 #报事 路灯坏了", "＃报事 3栋路灯坏了", "#報事 3栋路灯坏了",
    "#投诉 3栋路灯坏了", "🙏#求助 3栋路灯坏了", "#建议3栋路灯坏了",
], ids=["start", "end", "middle", "full-width", "traditional", "complaint", "after-emoji", "no-space"])
def test_tags_are_removed_wherever_they_stand(n, raw):
    assert n(raw).replace(" ", "") == "3栋路灯坏了"
    assert "#" not in n(raw) and "报事" not in n(raw)


def test_configured_tags_are_removed_too():
    n = Normalizer(("#报事", "#反映"))
    assert n("#反映 3栋路灯坏了") == "3栋路灯坏了"
    assert Normalizer(())("#反映 3栋路灯坏了") == "#反映 3栋路灯坏了"  # not a tag unless configured


def test_report_command_prefix_is_removed(n):
    assert n("/report 3栋路灯坏了") == "3栋路灯坏了"
    assert n("  /report 3栋路灯坏了") == "3栋路灯坏了"
    # only as the command: the word elsewhere stays
    assert n("请帮忙 /report 一下") == "请帮忙 /report 一下"


def test_report_command_prefix_is_removed_whatever_its_case(n):
    """Phone keyboards capitalise the first letter; the command is read case-insensitively."""
    assert n("/Report 3栋路灯坏了") == "3栋路灯坏了"
    assert n("/REPORT 3栋路灯坏了") == "3栋路灯坏了"


def test_text_is_lowercased_and_spaces_squeezed(n):
    assert n("  B2 车库   WiFi 信号差\n\tSUV 占道 ") == "b2 车库 wifi 信号差 suv 占道"


def test_normalising_twice_changes_nothing(n):
    once = n("#報事 升降機壞咗😡 Ｂ２車庫")
    assert n(once) == once
