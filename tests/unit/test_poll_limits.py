"""What a committee poll may hold: the sendPoll limits, checked before a deliberation opens."""
from __future__ import annotations

import gzip
import json
import re
from pathlib import Path

import pytest

from handlers import poll_limits
from handlers.poll_limits import Problem, check_options, clean_options, fold, native_question, shorten
from handlers.texts import t

ROOT = Path(__file__).resolve().parents[2]


def sendpoll_spec() -> tuple[dict, dict]:
    """sendPoll and InputPollOption as the Bot API spec the sandbox checks against describes them."""
    shared = ROOT.parent / "shared" / "telegram" / "bot-api-10.0.json"
    if shared.exists():
        spec = json.loads(shared.read_text("utf-8"))
    else:
        spec = json.loads(gzip.decompress((ROOT / "bot/telegram/sandbox/data/bot-api-10.0.json.gz").read_bytes()))
    return spec["methods"]["sendPoll"], spec["types"]["InputPollOption"]


def described(fields: list[dict], name: str) -> str:
    return next(f["description"] for f in fields if f["name"] == name)


def test_the_limits_are_the_spec_numbers():
    method, option = sendpoll_spec()
    assert re.search(r"\b1-(\d+) characters", described(method["fields"], "question"))[1] == str(
        poll_limits.QUESTION_LIMIT)
    assert re.search(r"\b1-(\d+) characters", described(option["fields"], "text"))[1] == str(poll_limits.OPTION_LIMIT)
    low, high = re.search(r"\b(\d+)-(\d+) answer options", described(method["fields"], "options")).groups()
    assert (int(low), int(high)) == poll_limits.PLATFORM_OPTIONS
    # a deliberation's own range lies inside what Telegram accepts
    assert int(low) <= poll_limits.MIN_OPTIONS and poll_limits.MAX_OPTIONS <= int(high)


@pytest.mark.parametrize("options", [
    ["同意", "反对", "再议"],
    ["同意", "反对"],
    [str(i) for i in range(1, 11)],  # ten
    ["长" * 100, "短"],  # exactly the limit
    ["同意", "同意吗"],
    ["赞成", "不赞成", "弃权"],
])
def test_good_options_pass(options):
    assert check_options(options) is None


@pytest.mark.parametrize(("options", "count"), [
    ([], 0),
    (["同意"], 1),
    ([str(i) for i in range(1, 12)], 11),
    ([str(i) for i in range(1, 14)], 13),
])
def test_two_to_ten_options(options, count):
    assert check_options(options) == Problem("refused.poll_option_count", {"count": count, "low": 2, "high": 10})


def test_the_same_option_twice_or_three_times():
    assert check_options(["同意", "同意", "反对"]) == Problem("refused.poll_option_repeated",
                                                           {"option": "同意", "count": 2})
    assert check_options(["同意", "反对", "同意", "同意"]) == Problem("refused.poll_option_repeated",
                                                                 {"option": "同意", "count": 3})


def test_options_equal_after_trimming_are_the_same():
    assert check_options(["同意", " 同意\u3000", "反对"]) == Problem("refused.poll_option_repeated",
                                                                 {"option": "同意", "count": 2})


@pytest.mark.parametrize(("first", "second"), [
    ("OK", "ok"),  # case
    ("OK", "ＯＫ"),  # full-width letters
    ("ok", "ＯＫ"),  # both
    ("3号楼", "３号楼"),  # a full-width digit
    ("A(同意)", "a（同意）"),  # full-width brackets
    ("Straße", "STRASSE"),  # casefold, not just lower()
])
def test_options_equal_after_case_and_width_folding_are_the_same(first, second):
    assert check_options([first, "反对", second]) == Problem("refused.poll_option_same",
                                                           {"first": first, "second": second})


def test_a_long_option_is_refused_not_shortened():
    long = "由社区出面联系物业" * 11 + "公司"  # 101 characters
    assert len(long) == 101
    problem = check_options(["同意", long])
    assert problem == Problem("refused.poll_option_long", {"option": shorten(long, 20), "length": 101, "limit": 100})
    assert len(problem.params["option"]) == 20 and problem.params["option"].endswith("…")


def test_two_long_options_equal_once_cut_are_refused():
    """Cut to 100 characters they would be one option twice (Telegram: POLL_OPTION_DUPLICATE)."""
    first, second = "甲" * 100 + "方案一", "甲" * 100 + "方案二"
    assert first[:100] == second[:100]
    assert check_options([first, second]).key == "refused.poll_option_long"


def test_an_empty_option_is_refused():
    assert check_options(["同意", "  ", "反对"]) == Problem("refused.poll_option_empty")


def test_the_count_is_checked_first_then_length_then_repeats():
    assert check_options(["同意"] * 11).key == "refused.poll_option_count"
    assert check_options(["同意", "同意", "长" * 101]).key == "refused.poll_option_long"


def test_clean_options_trims():
    assert clean_options([" 同意", "反对 "]) == ["同意", "反对"]


def test_fold():
    assert fold("  ＡＢｃ１ ") == "abc1"
    assert fold("同意") == "同意"


@pytest.mark.parametrize("length", [0, 1, 299, 300])
def test_shorten_keeps_what_fits(length):
    assert shorten("问" * length, 300) == "问" * length


@pytest.mark.parametrize("length", [301, 400, 5000])
def test_shorten_cuts_to_the_limit_with_an_ellipsis(length):
    short = shorten("问" * length, 300)
    assert len(short) == 300 and short == "问" * 299 + "…"


def test_shorten_does_not_leave_a_space_before_the_ellipsis():
    assert shorten("ab cd", 4) == "ab…"


def test_native_question_names_the_concern_and_fits():
    assert native_question(12, "要不要换路灯") == "#12 要不要换路灯"
    long = native_question(12, "要不要换路灯" * 70)  # 420 characters
    assert len(long) == poll_limits.QUESTION_LIMIT and long.startswith("#12 要不要换路灯") and long.endswith("…")
    assert native_question(3, "问" * 296) == "#3 " + "问" * 296  # 299 characters: as it is
    assert len(native_question(3, "问" * 298)) == 300


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("options", [["同意"], ["同意", "同意"], ["OK", "ｏｋ"], ["同意", "长" * 101], ["同意", " "]])
def test_every_refusal_renders_with_the_example(lang, options):
    problem = check_options(options)
    example = t(lang, "poll_limits.example", number=7)
    text = t(lang, problem.key, example=example, **problem.params)
    assert text.endswith(example)
    assert ("/协商 7 " if lang == "zh" else "/deliberate 7 ") in text


def test_the_example_itself_passes():
    for lang in ("zh", "en"):
        example = t(lang, "poll_limits.example", number=1)
        assert check_options(example.split()[-1].split("/")) is None
