"""``handlers.nlp.location``: where a report is (``Locator``) and whether two places could be
the same spot (``compatible``). The locator reads normalised text (Simplified, half-width,
lower case), as the intake pipeline gives it."""
from __future__ import annotations

import pytest

from handlers.nlp.location import Locator, Place, compatible


@pytest.fixture(scope="module")
def locate():
    return Locator().locate


def keys(locate, text: str) -> set[str]:
    return set(locate(text).keys)


def place(*k: str) -> Place:
    return Place(frozenset(k))


# --- buildings, units, gates, garages, areas ----------------------------------------------------


@pytest.mark.parametrize("text", ["三栋门口", "3栋门口", "3幢楼下", "3号楼前面", "三号楼", "3 栋", "3座"])
def test_every_way_of_writing_building_three_is_bldg_3(locate, text):
    assert keys(locate, text) == {"bldg:3"}
    assert locate(text).display == "3栋"


@pytest.mark.parametrize("text, number", [
    ("十一号楼", 11), ("十栋", 10), ("二十栋", 20), ("二十三栋", 23), ("11号楼", 11), ("两栋", 2), ("105栋", 105),
])
def test_chinese_and_arabic_building_numbers(locate, text, number):
    assert keys(locate, text) == {f"bldg:{number}"}


def test_eleven_is_not_one(locate):
    assert "bldg:1" not in keys(locate, "十一号楼楼下")


@pytest.mark.parametrize("text", ["2单元", "二单元", "两单元"])
def test_units(locate, text):
    assert keys(locate, f"{text}楼道里") == {"unit:2"}
    assert locate(f"{text}楼道里").display == "2单元"


def test_building_and_unit_together(locate):
    found = locate("3栋2单元门口")
    assert set(found.keys) == {"bldg:3", "unit:2"}
    assert found.display == "3栋、2单元"


@pytest.mark.parametrize("text, gate", [("东门", "东"), ("东大门", "东"), ("小区北门外面", "北"), ("西门口", "西")])
def test_gates(locate, text, gate):
    assert keys(locate, text) == {f"gate:{gate}"}
    assert locate(text).display == f"{gate}门"


@pytest.mark.parametrize("text", ["b2 车库", "b2车库", "地下车库b2层"])
def test_garage_level_and_garage(locate, text):
    assert keys(locate, text) == {"garage:b2", "place:车库"}
    assert "B2" in locate(text).display


def test_b2_inside_a_longer_code_is_not_a_garage(locate):
    assert "garage:b2" not in keys(locate, "ab23号")


def test_area(locate):
    assert keys(locate, "a区") == {"area:a"}
    assert locate("c区那边").display == "C区"


def test_phase(locate):
    assert keys(locate, "二期南门") == {"phase:2", "gate:南"}


def test_landmarks_and_their_other_names(locate):
    assert keys(locate, "菜场门口") == {"place:菜市场"}
    assert keys(locate, "农贸市场门口") == {"place:菜市场"}
    assert keys(locate, "电动车棚里") == {"place:车棚"}
    assert keys(locate, "垃圾房旁边") == {"place:垃圾站"}


def test_local_landmarks_from_the_config():
    found = Locator({"老槐树": ("老槐树", "大槐树")}).locate("大槐树下面")
    assert set(found.keys) == {"place:老槐树"} and found.display == "老槐树"


def test_nowhere(locate):
    found = locate("晚上总有人大声喧哗")
    assert found.keys == frozenset() and found.display == ""


# --- streets and their ends ----------------------------------------------------------------------


def test_street_and_side(locate):
    west = locate("建设街西头那段路")
    assert set(west.keys) == {"street:建设街", "side:建设街:西"}
    east = locate("建设街东头")
    assert set(east.keys) == {"street:建设街", "side:建设街:东"}
    assert not compatible(west, east)
    assert compatible(west, locate("建设街西头"))
    assert compatible(west, locate("建设街上"))  # no end named: could be the same stretch


def test_named_alley(locate):
    assert keys(locate, "和平巷里") == {"street:和平巷"}


@pytest.mark.parametrize("text", ["巷子里", "那条巷子里", "后面小巷子里", "这条巷子口"])
def test_an_alley_is_not_a_street_name(locate, text):
    assert not any(k.startswith("street:") for k in keys(locate, text))


# --- negation ------------------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["不是3栋的,是5栋的路灯", "不是三栋,是5栋", "不在3栋,在5栋"])
def test_a_place_named_only_to_be_denied_is_dropped(locate, text):
    assert keys(locate, text) == {"bldg:5"}


def test_a_denial_alone_names_nowhere(locate):
    assert keys(locate, "不是3栋") == set()


# --- compatible ------------------------------------------------------------------------------------


def test_the_same_place_written_differently_is_compatible(locate):
    assert compatible(locate("三栋楼下"), locate("3号楼门口"))
    assert compatible(locate("东门"), locate("东大门外"))


def test_conflicting_buildings_refuse():
    assert not compatible(place("bldg:3"), place("bldg:5"))
    # even when something else is shared
    assert not compatible(place("bldg:3", "place:垃圾站"), place("bldg:5", "place:垃圾站"))


@pytest.mark.parametrize("prefix, a, b", [
    ("gate", "东", "西"), ("unit", "1", "2"), ("phase", "1", "2"), ("area", "a", "b"), ("garage", "b1", "b2"),
])
def test_conflicting_gates_units_phases_areas_and_garages_refuse(prefix, a, b):
    assert not compatible(place(f"{prefix}:{a}"), place(f"{prefix}:{b}"))
    assert compatible(place(f"{prefix}:{a}"), place(f"{prefix}:{a}"))


def test_a_shared_key_is_needed_when_either_names_a_place():
    assert not compatible(place("bldg:3"), place())
    assert not compatible(place(), place("gate:东"))
    assert not compatible(place("bldg:3"), place("place:菜市场"))
    assert compatible(place("bldg:3", "unit:2"), place("bldg:3"))  # one is more precise
    assert compatible(place("place:车库", "garage:b2"), place("place:车库"))


def test_two_reports_naming_nowhere_are_compatible():
    assert compatible(place(), place())


def test_compatible_is_symmetric(locate):
    samples = [locate(t) for t in ("3栋", "5栋", "3栋2单元", "东门", "建设街西头", "建设街东头", "建设街", "", "菜场")]
    for a in samples:
        for b in samples:
            assert compatible(a, b) == compatible(b, a), (a, b)


# --- lettered buildings, lifts, named blocks, halves of an estate, lanes and house numbers -------


@pytest.mark.parametrize("text, key", [
    ("a栋电梯按钮", "bldg:a"), ("b座12楼", "bldg:b"), ("a梯电梯按了没反应", "lift:a"), ("2号梯停了", "lift:2"),
    ("泰岭楼两部电梯", "block:泰岭楼"), ("北区整片都黑了", "area:北"), ("小区东院", "yard:东"),
    ("德余里3支弄化粪池", "lane:3"), ("兴康新村9号底楼", "house:9"), ("c单元门口", "unit:c"),
])
def test_more_ways_of_naming_a_spot(locate, text, key):
    assert key in keys(locate, text)


def test_a_place_named_only_in_a_comparison_is_dropped(locate):
    assert keys(locate, "9号院下水道冻住了 跟12号院那会儿一样") == {"bldg:9"}
    assert "unit:2" not in keys(locate, "1单元暖气也不热 跟2单元不是一回事")


@pytest.mark.parametrize("text", ["写字楼", "筒子楼", "楼梯", "电梯", "以后胡同口"])
def test_common_words_are_not_named_blocks_or_streets(locate, text):
    assert not {k for k in keys(locate, text) if k.startswith(("block:", "street:", "lift:"))}
