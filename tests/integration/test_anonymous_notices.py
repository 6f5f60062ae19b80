"""The grid group never learns who reported a concern anonymously from the bot's own notices.

When an anonymous reporter withdraws their concern or answers its survey, the group is told
later (at the first full hour at least an hour after) and in words that name no reporter,
several such notices in one message; a refusal in the group goes privately whoever asked,
so where the answers go tells nothing either. The reporter, the followers and the
committee hear at once. A concern reported under one's name keeps its immediate notices.
"""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.bootstrap import bootstrap
from bot.replay import PLATFORM
from handlers.capabilities import Capabilities, PlatformCaps
from handlers.clock import SimulatedClock
from storage.models import Concern, ScheduledJob
from tests.harness import Harness, texts_to

from ..conftest import START

NAMES = ("陈奶奶", "chen")


def ok(h, chat: str, who: str, text: str):
    result, sent = h.say(chat, who, text)
    assert result.status == "done", (text, result.reply)
    return sent


def report_anonymously(h, who: str = "chen", text: str = "5栋楼下有人飞线给电动车充电") -> None:
    ok(h, "private", who, f"/report 匿名 {text}")


def resolve(h, number: int = 1) -> None:
    """Claimed, decided and resolved by liu in the committee; the survey goes out 24h later."""
    for text in (f"/claim {number}", f"/decide {number} 联系物业处理", f"/resolve {number} 已处理完毕"):
        ok(h, "committee", "liu", text)
    asked = h.advance(timedelta(hours=24))
    assert any("您满意吗" in t for t in texts_to(asked, "@chen"))


def assert_grid_silent_until_the_hour(h, sent, number: int = 1) -> list[str]:
    """Nothing about the concern in the grid group now nor in the next hour; return what
    the group hears at the first full hour after that."""
    assert texts_to(sent, "grid-1") == []
    action = h.now
    due = (action + timedelta(hours=1)).replace(minute=0, second=0, microsecond=0)
    if due < action + timedelta(hours=1):
        due += timedelta(hours=1)
    quiet = h.advance(due - action - timedelta(minutes=1))
    assert [t for t in texts_to(quiet, "grid-1") if f"#{number}" in t] == []
    return [t for t in texts_to(h.advance(timedelta(minutes=1)), "grid-1") if f"#{number}" in t]


def assert_names_nobody(texts: list[str]) -> None:
    for text in texts:
        assert "报事人" not in text and not any(name in text.lower() for name in NAMES), text


def test_an_anonymous_withdrawal_reaches_the_grid_later_and_unsigned(h):
    report_anonymously(h)
    h.advance(timedelta(minutes=17))  # 09:17: the notice waits for 11:00, not 10:17

    result, sent = h.say("grid-1", "chen", "/撤回 1")
    assert result.status == "done", result.reply
    assert [m.to for m in sent if m.to != "committee"] == ["@chen"]  # the reporter, privately
    assert "已由报事人撤回" in texts_to(sent, "@chen")[0]
    committee = texts_to(sent, "committee")
    assert committee == ["↩️ #1 已撤回。"]  # the committee knows at once, told by no name
    with h.app.sessions() as s:
        assert s.get(Concern, 1).state == "withdrawn"

    later = assert_grid_silent_until_the_hour(h, sent)
    assert h.now.astimezone(START.tzinfo).strftime("%H:%M") == "11:00"
    assert later == ["↩️ #1 已撤回。"]
    assert_names_nobody(later)


def test_someone_else_trying_to_withdraw_it_in_the_group_is_answered_privately_too(h):
    report_anonymously(h)
    result, sent = h.say("grid-1", "wang", "/撤回 1")
    assert result.status == "refused"
    assert [m.to for m in sent] == ["@wang"]
    assert "只有报事人本人或召集人可以撤回" in sent[0].text

    ok(h, "grid-1", "chen", "/撤回 1")
    result, sent = h.say("grid-1", "chen", "/撤回 1")  # the reporter again: refused as privately
    assert result.status == "refused"
    assert [m.to for m in sent] == ["@chen"]


def test_a_satisfied_answer_archives_it_and_the_grid_hears_it_later_and_unsigned(h):
    report_anonymously(h)
    ok(h, "grid-1", "wang", "/附议 1")
    resolve(h)

    result, sent = h.say("grid-1", "chen", "/满意 1")
    assert result.status == "done", result.reply
    assert texts_to(sent, "@chen") == ["🙏 感谢您对 #1 的评价：满意。"]
    assert texts_to(sent, "@wang") == ["🗂 #1 满意度调查结束，已归档。"]  # the follower, at once
    assert_names_nobody(texts_to(sent, "@wang"))
    with h.app.sessions() as s:
        assert s.get(Concern, 1).state == "closed"

    later = assert_grid_silent_until_the_hour(h, sent)
    assert later == ["🗂 #1 满意度调查结束，已归档。"]


def test_a_survey_answer_from_someone_not_asked_is_refused_privately_in_the_group(h):
    report_anonymously(h)
    resolve(h)
    result, sent = h.say("grid-1", "wang", "/满意 1")
    assert result.status == "refused"
    assert [m.to for m in sent] == ["@wang"] and "不在 #1 的评价名单中" in sent[0].text


def test_a_dissatisfied_answer_reopens_it_and_the_grid_hears_it_later_without_the_words(h):
    report_anonymously(h)
    resolve(h)

    result, sent = h.say("grid-1", "chen", "/不满意 1 电线又接上了")
    assert result.status == "done", result.reply
    assert texts_to(sent, "@chen") == ["🙏 感谢您对 #1 的评价：不满意。"]
    assert texts_to(sent, "committee") == ["🔁 #1 有居民不满意，已重新打开：电线又接上了"]
    with h.app.sessions() as s:
        assert s.get(Concern, 1).state == "reopened"

    later = assert_grid_silent_until_the_hour(h, sent)
    assert later == ["🔁 #1 满意度回访后已重新打开，将重新办理。"]
    assert "电线又接上了" not in later[0]  # the words the group saw in the reporter's message
    assert_names_nobody(later)


def test_notices_due_together_for_one_grid_come_as_one_message(h):
    report_anonymously(h)
    report_anonymously(h, "lin", "grid-1 3号楼电梯这周停了三次，老人下不了楼")  # lin has no home grid yet
    h.advance(timedelta(minutes=5))
    ok(h, "grid-1", "chen", "/撤回 1")  # 09:05 and 09:40: both wait for 11:00
    h.advance(timedelta(minutes=35))
    sent = ok(h, "grid-1", "lin", "/撤回 2")
    assert texts_to(sent, "grid-1") == []

    assert [t for t in texts_to(h.advance(timedelta(minutes=79)), "grid-1") if "撤回" in t] == []  # to 10:59
    posted = texts_to(h.advance(timedelta(minutes=1)), "grid-1")
    assert posted == ["📋 近期事项动态：\n↩️ #1 已撤回。\n↩️ #2 已撤回。"]
    with h.app.sessions() as s:
        held = s.scalars(select(ScheduledJob).where(ScheduledJob.kind == "grid_notice")).all()
        assert [j.state for j in held] == ["done", "done"]


def test_a_named_reporters_withdrawal_is_still_told_in_the_group_at_once(h):
    ok(h, "grid-1", "wang", "#报事 3栋门口路灯坏了")
    result, sent = h.say("grid-1", "wang", "/撤回 1")
    assert result.status == "done"
    assert texts_to(sent, "grid-1") == ["↩️ #1 已由报事人撤回。"]
    assert texts_to(sent, "committee") == ["↩️ #1 已由报事人撤回。"]
    assert [t for t in texts_to(h.advance(timedelta(hours=3)), "grid-1") if "#1" in t] == []


@pytest.fixture
def editing(ready_engine, config) -> Harness:
    """A platform that edits concern cards in place."""
    return Harness(bootstrap(config, clock=SimulatedClock(START), engine=ready_engine,
                             caps=Capabilities({PLATFORM: PlatformCaps(edits=True)})))


def test_the_grid_card_is_not_edited_before_the_held_notice(editing):
    h = editing
    sent = ok(h, "private", "chen", "/report 匿名 5栋楼下有人飞线给电动车充电")
    assert any(m.to == "grid-1" and "#1" in m.text for m in sent)  # the grid's card of #1

    sent = ok(h, "grid-1", "chen", "/撤回 1")
    assert [m for m in sent if m.to == "grid-1"] == []
    quiet = h.advance(timedelta(minutes=59))
    assert [m for m in quiet if m.to == "grid-1"] == []

    later = [m for m in h.advance(timedelta(minutes=1)) if m.to == "grid-1"]
    assert sorted(m.kind for m in later) == ["card.grid", "withdraw.inform_neutral"]
    assert_names_nobody([m.text for m in later])
