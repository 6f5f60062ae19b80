"""Reading messages: report tags, slash commands and their Chinese aliases, presets, numbers."""
from __future__ import annotations

import pytest

from handlers.commands import Command, is_support_word, menu_choice, parse, split_number, strip_tag
from handlers.settings import Settings

TAGS = Settings().report_tags  # ("#报事", "#報事", "#建议", "#求助", "#投诉")


# --- tagged reports -----------------------------------------------------------------------

@pytest.mark.parametrize(("text", "body"), [
    ("#报事 3栋门口路灯坏了", "3栋门口路灯坏了"),
    ("3栋门口路灯坏了 #报事", "3栋门口路灯坏了"),
    ("＃报事 楼道灯不亮", "楼道灯不亮"),
    ("#報事 樓道燈不亮", "樓道燈不亮"),
    ("＃報事 電梯壞了", "電梯壞了"),
    ("#建议 小区增加健身器材", "小区增加健身器材"),
    ("#投诉 楼上装修太吵", "楼上装修太吵"),
    ("#求助 独居老人需要送餐", "独居老人需要送餐"),
    ("#报事\n垃圾桶满了\n三天没人清运", "垃圾桶满了\n三天没人清运"),
])
def test_tagged_message_is_a_report_without_its_tag(text, body):
    assert parse(text, TAGS) == Command("report", body, "tag")


def test_tag_right_after_an_emoji():
    command = parse("🔥#报事 电梯又停了", TAGS)
    assert command is not None and command.name == "report"
    assert command.args.split() == ["🔥", "电梯又停了"]


def test_tag_in_the_middle_of_the_message():
    command = parse("2号楼 #报事 井盖丢了", TAGS)
    assert command is not None and command.name == "report"
    assert command.args.split() == ["2号楼", "井盖丢了"]


@pytest.mark.parametrize(("text", "body"), [
    ("儿童乐园那棵歪柳树看着要倒 /report 赶紧拉根绳子围起来", "儿童乐园那棵歪柳树看着要倒 赶紧拉根绳子围起来"),
    ("3栋电梯又坏了 /报事", "3栋电梯又坏了"),
    ("樓下水管爆咗 ／報事", "樓下水管爆咗"),
])
def test_report_written_after_the_words_is_a_report_all_the_same(text, body):
    assert parse(text, TAGS) == Command("report", body, "/report")


@pytest.mark.parametrize("text", [
    "今天天气不错",
    "看看/report的说明",       # not a word of its own
    "发 /reporter 试试",       # another word
    "报事 路灯坏了",          # the word without its # is chatter
    "大家好，我是新搬来的",
    "12号楼 3栋 2026年",
    "#话题 路灯",             # a hashtag that is not a report tag
])
def test_untagged_chatter_is_nothing(text):
    assert parse(text, TAGS) is None


@pytest.mark.parametrize("text", ["", "   ", "\n\t"])
def test_empty_message_is_nothing(text):
    assert parse(text, TAGS) is None


@pytest.mark.parametrize(("text", "tags", "expected"), [
    ("#报事 路灯坏了", ("#报事",), "路灯坏了"),
    ("路灯坏了 ＃报事", ("#报事",), "路灯坏了"),
    ("#报事 路灯坏了", ("＃报事",), "路灯坏了"),   # tag configured with a full-width ＃
    ("#报事 路灯坏了", ("报事",), "路灯坏了"),     # tag configured without its #
    ("#报事", ("#报事",), ""),                   # tag alone: empty body, not "untagged"
    ("路灯坏了", ("#报事",), None),
    ("报事 路灯坏了", ("#报事",), None),
    ("#报事 路灯坏了", (), None),
])
def test_strip_tag(text, tags, expected):
    assert strip_tag(text, tags) == expected


# --- slash commands -------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "name", "args"), [
    ("/report 路灯坏了", "report", "路灯坏了"),
    ("/报事 路灯坏了", "report", "路灯坏了"),
    ("/報事 路燈壞了", "report", "路燈壞了"),
    ("/接单 12", "claim", "12"),
    ("/claim 12", "claim", "12"),
    ("/CLAIM 12", "claim", "12"),
    ("/附议 12", "support", "12"),
    ("/附議 12", "support", "12"),
    ("/+1 12", "support", "12"),
    ("/投票 12 1", "vote", "12 1"),
    ("/进度 12", "status", "12"),
    ("/查询 12", "status", "12"),
    ("/我的", "mine", ""),
    ("/定级 12 大事", "size", "12 大事"),
    ("/分类 12 停车管理", "category", "12 停车管理"),
    ("/协商 12 是否安装充电桩 72h", "deliberate", "12 是否安装充电桩 72h"),
    ("/发起协商 12 是否安装充电桩", "deliberate", "12 是否安装充电桩"),
    ("/poll 12", "deliberate", "12"),
    ("/评论 12 我支持", "comment", "12 我支持"),
    ("/方案 12 物业三天内修好", "decide", "12 物业三天内修好"),
    ("/指派 12 liu", "assign", "12 liu"),
    ("/转交 12 街道城管科", "handoff", "12 街道城管科"),
    ("/上报 12 区住建局", "escalate", "12 区住建局"),
    ("/进展 12 已联系物业", "progress", "12 已联系物业"),
    ("/办结 12 已修好", "resolve", "12 已修好"),
    ("/评价 12 1", "survey", "12 1"),
    ("/重开 12 又坏了", "reopen", "12 又坏了"),
    ("/转化 12 提案 加装电梯", "convert", "12 提案 加装电梯"),
    ("/驳回 12 不属于本社区", "reject", "12 不属于本社区"),
    ("/撤回 12", "withdraw", "12"),
    ("/帮助", "help", ""),
    ("/start", "help", ""),
    ("  /附议 12  ", "support", "12"),
])
def test_slash_command_and_its_aliases(text, name, args):
    command = parse(text, TAGS)
    assert (command.name, command.args) == (name, args)


@pytest.mark.parametrize(("text", "name", "args"), [
    ("／接单 12", "claim", "12"),                 # full-width slash
    ("／附议 ＃12", "support", "＃12"),
    ("/claim@shangliang_bot 12", "claim", "12"),
    ("/接单@shangliang_bot 12", "claim", "12"),
    ("/help@shangliang_bot", "help", ""),
])
def test_full_width_slash_and_bot_name(text, name, args):
    command = parse(text, TAGS)
    assert (command.name, command.args) == (name, args)


def test_command_word_is_kept_as_typed():
    assert parse("/接单 12", TAGS).word == "接单"
    assert parse("/claim@shangliang_bot 12", TAGS).word == "claim"


def test_multi_line_comment_keeps_its_lines():
    assert parse("/comment 12 第一点\n第二点", TAGS) == Command("comment", "12 第一点\n第二点", "comment")


def test_slash_command_wins_over_a_tag_in_its_text():
    assert parse("/附议 12 #报事", TAGS).name == "support"


@pytest.mark.parametrize(("text", "args"), [
    ("/大事 12", "12 big"),
    ("/大事 #12", "12 big"),
    ("/大事 １２", "12 big"),
    ("/大事@shangliang_bot 12", "12 big"),
    ("/小事 12", "12 small"),
    ("/急事 12 燃气泄漏", "12 urgent 燃气泄漏"),
    ("/大事", "big"),
])
def test_size_presets(text, args):
    assert parse(text, TAGS) == Command("size", args, text.split()[0][1:].split("@")[0])


@pytest.mark.parametrize(("text", "args"), [
    ("/满意 12", "12 1"),
    ("/基本满意 12", "12 2"),
    ("/不满意 12 原因", "12 3 原因"),
    ("/不满意 #12 路灯修好两天又坏了", "12 3 路灯修好两天又坏了"),
    ("／不满意 １２ 又坏了", "12 3 又坏了"),
])
def test_survey_presets(text, args):
    command = parse(text, TAGS)
    assert (command.name, command.args) == ("survey", args)


@pytest.mark.parametrize(("text", "word", "args"), [
    ("/foo bar", "foo", "bar"),
    ("/hello", "hello", ""),
    ("/修路灯 12", "修路灯", "12"),
    ("/foo@shangliang_bot x", "foo", "x"),
])
def test_unknown_slash_word(text, word, args):
    assert parse(text, TAGS) == Command("unknown", args, word)


# --- numbers and support words ----------------------------------------------------------------

@pytest.mark.parametrize(("args", "expected"), [
    ("12 路灯又坏了", (12, "路灯又坏了")),
    ("#12 路灯又坏了", (12, "路灯又坏了")),
    ("＃12 路灯又坏了", (12, "路灯又坏了")),
    ("１２ 全角数字", (12, "全角数字")),
    ("＃１２", (12, "")),
    ("No.12 rest", (12, "rest")),
    ("no 7", (7, "")),
    ("12", (12, "")),
    ("  12   rest  ", (12, "rest")),
    ("路灯坏了", (None, "路灯坏了")),
    ("12号楼漏水", (None, "12号楼漏水")),   # a building number is not a concern number
    ("  abc  ", (None, "abc")),
    ("", (None, "")),
])
def test_split_number(args, expected):
    assert split_number(args) == expected


def test_split_number_accepts_none():
    assert split_number(None) == (None, "")


@pytest.mark.parametrize("text", ["+1", "＋1", "＋１", " +1 ", "附议", "附議", "同感", "me too", "Me Too", "METOO", "我也是"])
def test_support_words(text):
    assert is_support_word(text)


@pytest.mark.parametrize("text", ["+2", "1", "我也是这么想的", "路灯坏了", "", "me"])
def test_not_support_words(text):
    assert not is_support_word(text)


@pytest.mark.parametrize("text, name, args", [
    ("#12 +1", "support", "12"), ("＃１２ 附议", "support", "12"), ("附议 12", "support", "12"),
    ("附議12", "support", "12"), ("#12 2", "vote", "12 2"), ("#12 1,3", "vote", "12 1,3"),
    ("#12 １、３", "vote", "12 １、３"), ("#12 先查线路再说", "comment", "12 先查线路再说"),
    ("/附议 3", "support", "3"), ("#报事 3栋路灯坏了", "report", "3栋路灯坏了"),
])
def test_plain_text_platforms_name_the_concern_in_words(text, name, args):
    command = parse(text, ("#报事",), plain=True)
    assert (command.name, command.args) == (name, args)


@pytest.mark.parametrize("text", ["1", "2", "#12", "3栋的灯也坏了", "#3栋 路灯坏了"])
def test_plain_text_without_a_concern_number_is_no_command(text):
    assert parse(text, ("#报事",), plain=True) is None


def test_concern_first_forms_are_only_for_platforms_without_buttons():
    assert parse("#12 +1", ("#报事",)) is None  # Telegram: a button or a reply does that


@pytest.mark.parametrize("text, expected", [("1", 1), ("２", 2), (" 12 ", 12), ("0", None), ("123", None),
                                            ("1楼", None), ("", None)])
def test_menu_choice(text, expected):
    assert menu_choice(text) == expected
