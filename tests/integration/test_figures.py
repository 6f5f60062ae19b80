"""The figures coordinators report upward, checked against a small month worked out by hand.

The month (clock starts Monday 2026-03-02 09:00, Asia/Shanghai; small concerns answer in 24 h
and resolve in 7 days, big ones 72 h / 30 days):

#1 wang, grid-1, 路灯  — li supports; liu claims at once, decides, resolves; survey: wang 满意, li 基本满意
#2 li, grid-1, 垃圾    — nobody answers for 25 h, then zhao claims (late); still open
#3 zhang, anonymous   — sun claims at once, decides, resolves; zhang answers 不满意 → reopened
#4 chen, grid-1       — withdrawn by chen before anyone answered
#5 chen, grid-2, big  — liu claims, opens a deliberation nobody votes in: no quorum after 72 h

On 03-12 10:00, for 2026-03:
  collected 5, deliberated 1, decided 2, resolved 2, reopened 1, withdrawn 1, supports 1, no quorum 1
  response   = answered in time / counted = #1 #3 #5 of #1 #2 #3 #5          = 3/4 (75.0%)
  resolution = deadline passed and resolved now: #1 of #1 (03-09) #2 (03-09) #3 (03-10) = 1/3 (33.3%)
               (#4 withdrawn is left out; #5's deadline 04-01 has not come)
  satisfaction = 满意 + 基本满意 of the answers = 2/3 (66.7%)
"""
from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from handlers import stats
from handlers.periods import parse
from storage import figures
from storage.figures import Ratio, Window

END = datetime.fromisoformat("2026-03-12T10:00:00+08:00")


def ok(h, chat: str, who: str, text: str):
    result, sent = h.say(chat, who, text)
    assert result.status == "done", (text, result.reply)
    return sent


def month_of_work(h) -> None:
    ok(h, "grid-1", "wang", "#报事 3栋门口路灯坏了")
    ok(h, "grid-1", "li", "/support 1")
    ok(h, "grid-1", "li", "#报事 小区东门垃圾桶满了没人清")
    ok(h, "private", "zhang", "/report 匿名 2号楼下有人乱停车")
    ok(h, "grid-1", "chen", "#报事 健身器材螺丝松了")
    ok(h, "grid-2", "chen", "#报事 锦绣花园想加装电梯，大家商量一下")
    ok(h, "grid-1", "chen", "/withdraw 4")
    for command in ("/claim 1", "/decide 1 换灯泡", "/resolve 1 灯泡已换"):
        ok(h, "committee", "liu", command)
    for command in ("/claim 3", "/decide 3 贴告示提醒", "/resolve 3 已贴告示"):
        ok(h, "committee", "sun", command)
    ok(h, "committee", "liu", "/size 5 big")
    ok(h, "committee", "liu", "/claim 5")
    ok(h, "committee", "liu", "/deliberate 5 是否加装电梯")

    h.advance(timedelta(hours=25))  # 03-03 10:00: surveys out, #2 is past its 24 h
    ok(h, "private", "wang", "/survey 1 1")
    ok(h, "private", "li", "/survey 1 2")
    ok(h, "private", "zhang", "/survey 3 3 还是有人停")
    ok(h, "committee", "zhao", "/claim 2")
    h.advance(END - h.now)


@pytest.fixture
def month(h):
    month_of_work(h)
    return h


def march(h, grid_id=None) -> Window:
    period = parse("2026-03", h.now, h.app.config.settings.zone)
    return Window(period.start, period.end, grid_id)


def test_counts_of_the_month(month):
    with month.app.sessions() as s:
        counts = figures.counts(s, march(month))
    assert counts == {"collected": 5, "deliberated": 1, "decided": 2, "resolved": 2, "reopened": 1, "converted": 0,
                      "rejected": 0, "withdrawn": 1, "supports": 1, "no_quorum": 1}


def test_the_three_rates_with_their_numerators_and_denominators(month):
    with month.app.sessions() as s:
        window = march(month)
        assert figures.response(s, window, month.now) == Ratio(3, 4)
        assert figures.resolution(s, window, month.now) == Ratio(1, 3)
        assert figures.satisfaction(s, window) == Ratio(2, 3)


def test_a_grid_of_its_own(month):
    with month.app.sessions() as s:
        grid_2 = figures.by_grid_and_category(s, march(month))
        grid_id = next(g for g, _, _ in grid_2 if g != 1)
        window = march(month, grid_id)
        assert figures.counts(s, window)["collected"] == 1
        assert figures.response(s, window, month.now) == Ratio(1, 1)
        assert figures.resolution(s, window, month.now) == Ratio(0, 0)  # its deadline is in April


def test_stats_in_chat_shows_numbers_first_and_each_rate_with_its_fraction(month):
    sent = ok(month, "committee", "zhou", "/stats 2026-03")
    text = sent[0].text
    lines = text.splitlines()
    assert lines[0] == "📈 统计 2026-03-01~2026-03-31"
    assert lines[1] == "收集 5 件｜提交协商 1｜形成方案 2｜办结 2｜转化 0｜附议 1"
    assert "响应率 75.0%（3/4）" in lines
    assert "解决率 33.3%（1/3）" in lines
    assert "满意率 66.7%（2/3）" in lines
    assert "重新打开 1｜不予受理 0｜撤回 1｜未达法定人数 1" in lines
    assert lines[-1].startswith("注：响应率=")


def test_a_period_with_nothing_shows_no_bare_percentages(month):
    text = ok(month, "coordinators", "ma", "/stats 2026-02")[0].text
    assert "收集 0 件" in text
    for name in ("响应率", "解决率", "满意率"):
        assert f"{name} —（0/0" in text
    assert "0.0%" not in text


def test_stats_for_one_grid_by_name(month):
    text = ok(month, "committee", "liu", "/stats 锦绣花园网格 2026-03")[0].text
    assert text.splitlines()[0] == "📈 统计 2026-03-01~2026-03-31（锦绣花园网格）"
    assert "收集 1 件" in text and "响应率 100.0%（1/1）" in text


def test_members_record_of_the_month(month):
    text = ok(month, "coordinators", "ma", "/members 2026-03")[0].text
    rows = {line.split("：")[0]: line for line in text.splitlines()[1:]}
    assert rows["刘委员"] == "刘委员：接单 2｜参与投票 0｜评论 0｜进展 0｜办结 1｜满意率 100.0%（2/2）"
    assert rows["孙委员"] == "孙委员：接单 1｜参与投票 0｜评论 0｜进展 0｜办结 1｜满意率 0.0%（0/1）"
    assert rows["赵委员"] == "赵委员：接单 1｜参与投票 0｜评论 0｜进展 0｜办结 0｜满意率 —（0/0，本期无可计数事项）"


def test_a_reopened_concern_counts_again_once_resolved_again(month):
    for command in ("/claim 3", "/decide 3 安装地桩", "/resolve 3 地桩已装"):
        ok(month, "committee", "sun", command)
    with month.app.sessions() as s:
        assert figures.resolution(s, march(month), month.now) == Ratio(2, 3)


def test_residents_may_not_see_the_figures(month):
    for text in ("/stats", "/members", "/chart", "/export"):
        result, sent = month.say("grid-1", "wang", text)
        assert result.status == "refused", text
        assert "统计" not in sent[0].text or "只有" in sent[0].text
    result, sent = month.say("committee", "liu", "/members")
    assert result.status == "refused" and "召集人" in sent[0].text


def test_a_period_that_cannot_be_read_is_answered_with_examples(month):
    result, sent = month.say("committee", "liu", "/stats 上上个世纪")
    assert result.status == "refused"
    assert "看不懂时间段「上上个世纪」" in sent[0].text and "2026-03" in sent[0].text


def test_summary_uses_the_same_figures(month):
    with month.app.sessions() as s:
        period = parse("2026-03", month.now, month.app.config.settings.zone)
        summary = stats.summary(s, period, month.now)
    assert (summary.response, summary.resolution, summary.satisfaction) == (Ratio(3, 4), Ratio(1, 3), Ratio(2, 3))


def test_a_members_reply_is_a_first_answer_but_a_residents_is_not(h):
    ok(h, "grid-1", "wang", "#报事 3栋门口路灯坏了")
    ok(h, "grid-1", "li", "#报事 小区东门垃圾桶满了没人清")
    ok(h, "grid-1", "chen", "/comment 2 我也看到了")  # a neighbour's word answers nothing
    ok(h, "committee", "zhou", "/comment 1 明天找电工看看")
    h.advance(timedelta(hours=25))  # both response deadlines have passed; nobody claimed
    with h.app.sessions() as s:
        assert figures.response(s, march(h), h.now) == Ratio(1, 2)
