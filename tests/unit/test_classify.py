"""Choosing a category from the keyword lexicon, and saying which words decided."""
from __future__ import annotations

import pytest

from handlers.classify import Classifier, Guess

CATEGORIES = ("环境卫生", "道路交通", "停车管理", "物业服务", "公共设施",
              "安全隐患", "邻里纠纷", "养老助残", "绿化园林", "其他")


@pytest.fixture(scope="module")
def packaged():
    return Classifier.from_file()


def test_packaged_categories_in_order(packaged):
    assert packaged.categories == CATEGORIES


@pytest.mark.parametrize(("text", "category", "words"), [
    ("小区门口垃圾桶满了好几天没人清运，很臭", "环境卫生", {"垃圾桶", "清运", "臭"}),
    ("马路中间有个大坑，晚上很危险", "道路交通", {"马路", "坑"}),
    ("小区里乱停车，车位根本不够", "停车管理", {"乱停", "车位"}),
    ("物业费收费不透明，物业公司不公开账目", "物业服务", {"物业费", "收费不透明", "物业公司"}),
    ("3栋楼道灯不亮了", "公共设施", {"楼道灯", "灯不亮"}),
    ("有人在消防通道飞线充电", "安全隐患", {"消防通道", "飞线充电"}),
    ("楼上装修噪音太大，每天早上七点就开始", "邻里纠纷", {"楼上", "装修", "噪音"}),
    ("独居老人需要送餐服务", "养老助残", {"独居", "老人", "送餐"}),
    ("门口的枯树需要修剪", "绿化园林", {"枯树", "修剪"}),
    ("孩子入学需要开居住证明", "其他", {"入学", "证明"}),
    ("小区WiFi坏了", "公共设施", {"wifi"}),
])
def test_obvious_sentences(packaged, text, category, words):
    guess = packaged.classify(text)
    assert guess.category == category
    assert words <= set(guess.words)
    # every word it names really is in the report
    assert all(w in text.lower() for w in guess.words)


@pytest.mark.parametrize("text", ["你好", "今天天气不错", "", "12345"])
def test_no_keyword_is_other_with_no_words(packaged, text):
    assert packaged.classify(text) == Guess("其他", ())


def test_more_keywords_outweigh_fewer(packaged):
    # one 公共设施 word (电梯) against three 安全隐患 words
    guess = packaged.classify("电梯旁边电线漏电，很危险")
    assert guess.category == "安全隐患"
    assert {"电线", "漏电", "危险"} <= set(guess.words)
    assert "电梯" not in guess.words


def test_custom_lexicon_file(tmp_path):
    path = tmp_path / "categories.toml"
    path.write_text(
        '["Noise"]\nkeywords = ["Loud", "噪声"]\n\n'
        '["Parking"]\nkeywords = ["car", "车位"]\nweights = { "车位" = 3 }\n',
        "utf-8",
    )
    classifier = Classifier.from_file(path)
    assert classifier.categories == ("Noise", "Parking", "其他")  # 其他 is always there, last
    assert classifier.classify("the music is LOUD") == Guess("Noise", ("loud",))
    # one weighted word (3) beats two plain ones (2)
    assert classifier.classify("噪声 loud 抢车位").category == "Parking"
    assert classifier.classify("垃圾桶满了") == Guess("其他", ())


def test_custom_lexicon_path_as_string(tmp_path):
    path = tmp_path / "lex.toml"
    path.write_text('["Noise"]\nkeywords = ["噪声"]\n', "utf-8")
    assert Classifier.from_file(str(path)).classify("噪声太大").category == "Noise"


def test_tie_goes_to_the_earlier_category(tmp_path):
    path = tmp_path / "lex.toml"
    path.write_text('["First"]\nkeywords = ["灯"]\n\n["Second"]\nkeywords = ["坏"]\n', "utf-8")
    assert Classifier.from_file(path).classify("灯坏了").category == "First"


def test_empty_lexicon_is_refused():
    with pytest.raises(ValueError):
        Classifier({})


def test_empty_lexicon_file_is_refused(tmp_path):
    """An emptied lexicon file would silently file every report under 其他."""
    path = tmp_path / "empty.toml"
    path.write_text("# nothing here yet\n", "utf-8")
    with pytest.raises(ValueError):
        Classifier.from_file(path)


def test_missing_lexicon_file(tmp_path):
    with pytest.raises(FileNotFoundError):
        Classifier.from_file(tmp_path / "nope.toml")
