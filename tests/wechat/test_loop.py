"""The whole loop in WeChat rooms: a committee runs it with text only (no buttons, no polls).

Real ``wechaty.Wechaty`` on the in-memory puppet, the real app and database. A report and
its supports in the grid room, a claim and a text poll in the committee room where members
vote by ``#1 N`` and one changes their vote, the decision, progress pushed privately, the
survey answered privately by a bare digit, a dissatisfied answer that reopens the concern.
"""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from . import require_wechaty

require_wechaty()

from storage.models import Concern, SurveyResponse, Support, Vote  # noqa: E402

from .conftest import COMMITTEE, COORDINATORS, GRID  # noqa: E402

pytestmark = pytest.mark.asyncio


def state(app) -> str:
    with app.sessions() as s:
        return s.get(Concern, 1).state


async def test_a_committee_runs_the_whole_loop_in_wechat(wxbot):
    bot, p = wxbot, wxbot.puppet
    bot.say(GRID, "wang", "#报事 3栋想加装电梯，老人爬楼太难")
    await bot.settle()
    [ack] = p.sent_to(GRID)
    assert ack.startswith("📝 已登记 #1") and "回复「/support 1」" in ack  # buttons read as commands
    bot.say(GRID, "li", "#1 +1")
    await bot.settle()
    with bot.app.sessions() as s:
        assert len(s.scalars(select(Support)).all()) == 1

    bot.say(COMMITTEE, "liu", "/接单 1")
    await bot.settle()
    bot.say(COMMITTEE, "liu", "/大事 1")
    await bot.settle()
    bot.say(COMMITTEE, "liu", "/协商 1 是否支持3栋加装电梯 同意/反对/再议 48h")
    await bot.settle()
    card = [t for t in p.sent_to(COMMITTEE) if t.startswith("🗳 协商 #1")]
    assert card and "1. 同意" in card[0] and "回复「/vote 1 1」" in card[0]  # a text poll, no native one

    for handle, choice in (("liu", "1"), ("zhao", "2"), ("ma", "1")):
        bot.say(COMMITTEE, handle, f"#1 {choice}")
    await bot.settle()
    bot.say(COMMITTEE, "zhao", "#1 1")  # zhao changes the vote
    bot.say(COMMITTEE, "zhao", "1")     # a bare number in a group is never a vote
    await bot.settle()
    with bot.app.sessions() as s:
        votes = {(v.person.handle, v.option.position) for v in s.scalars(select(Vote))}
    assert votes == {("liu", 1), ("zhao", 1), ("ma", 1)}

    await bot.advance(timedelta(hours=49))  # the poll closes with its result
    assert any("#1" in t and "同意" in t for t in p.sent_to(COMMITTEE)[len(card):])
    for command in ("/决定 1 同意加装，下月开工", "/进展 1 已联系施工单位", "/办结 1 电梯已装好"):
        bot.say(COMMITTEE, "liu", command)  # one after the other: wechaty handles messages concurrently
        await bot.settle()
    assert any("已联系施工单位" in t for t in p.sent_to(bot.wxid("wang")))  # pushed privately

    await bot.advance(timedelta(hours=25))  # the survey goes out privately, numbered
    survey = [t for t in p.sent_to(bot.wxid("wang")) if "回复数字选择" in t]
    assert survey and "1. 满意" in survey[-1] and "3. 不满意" in survey[-1]
    bot.say_privately("wang", "3")  # 不满意 needs a reason: asked for it, nothing recorded
    await bot.settle()
    assert state(bot.app) == "resolved"
    bot.say_privately("wang", "/不满意 1 电梯噪音太大")
    await bot.settle()
    assert state(bot.app) == "reopened"
    with bot.app.sessions() as s:
        assert s.scalar(select(SurveyResponse.rating)) == "dissatisfied"
    assert any("不满意" in t for t in p.sent_to(COORDINATORS))


async def test_messages_arriving_out_of_order_get_clear_answers_and_leave_consistent_state(wxbot):
    """Over gRPC a later message can arrive first: a support of #1 before the report of #1."""
    bot, p = wxbot, wxbot.puppet
    bot.say(GRID, "li", "#1 +1")          # sent second, arrives first
    await bot.settle()
    bot.say(GRID, "wang", "#报事 3栋门口路灯坏了")
    await bot.settle()
    answers = p.sent_to(GRID)
    assert any("#1" in t and ("没有" in t or "不存在" in t) for t in answers[:1]), answers  # a clear answer
    assert not any("抱歉" in t for t in answers)                                       # never the apology
    with bot.app.sessions() as s:
        assert s.get(Concern, 1) is not None and s.scalars(select(Support)).all() == []
    bot.say(GRID, "li", "#1 +1")           # said again, it counts
    await bot.settle()
    with bot.app.sessions() as s:
        assert len(s.scalars(select(Support)).all()) == 1
