"""The coordinators' hold on a committee poll: quorum by count or share, the passing rule,
hidden tallies, reopening a poll, the review date (回头看), and what the plan's message says
about the vote. Every test runs on SQLite and on PostgreSQL."""
from __future__ import annotations

import re
from dataclasses import replace
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from bot.bootstrap import bootstrap
from handlers.clock import SimulatedClock
from storage.models import AuditEntry, Comment, Concern, Deliberation, Outcome, ScheduledJob, Vote
from tests.harness import Harness, texts_to

START = datetime.fromisoformat("2026-03-02T09:00:00+08:00")
BAD_VALUE = "⚠️ 请写人数或比例，例如：/quorum 1 5 或 /quorum 1 60%，/passing 1 2/3 或 /passing 1 多数"
COUNTS = re.compile(r"(同意|反对|再议) \d")  # a tally such as "同意 2"


@pytest.fixture
def make(ready_engine, config):
    """A harness over an app whose settings differ from the example config by ``changes``."""
    def build(**changes) -> Harness:
        changed = replace(config, settings=replace(config.settings, **changes))
        return Harness(bootstrap(changed, clock=SimulatedClock(START), engine=ready_engine))
    return build


def ok(h, chat: str, who: str, text: str, **kw):
    result, sent = h.say(chat, who, text, **kw)
    assert result.status == "done", (text, result.reply)
    return result, sent


def refused(h, chat: str, who: str, text: str):
    result, sent = h.say(chat, who, text)
    assert result.status == "refused", (text, result.reply)
    assert [m.to for m in sent] == [chat]  # the refusal, and nothing else
    return result.reply


def open_poll(h, deadline: str = "48h"):
    """#1 (a big matter) reported by li, claimed by liu and put to a poll of 同意/反对/再议;
    returns what the /deliberate sent."""
    ok(h, "grid-1", "li", "#报事 我们3栋都是老人，想申请加装电梯")
    ok(h, "committee", "liu", "/claim 1")
    ok(h, "committee", "liu", "/size 1 大事")
    return ok(h, "committee", "liu", f"/deliberate 1 是否支持3栋申请加装电梯 同意/反对/再议 {deadline}")[1]


def cast(h, *votes: tuple[str, int]) -> None:
    for who, choice in votes:
        ok(h, "committee", who, f"/vote 1 {choice}")


def poll(h) -> Deliberation:
    with h.app.sessions() as s:
        row = s.scalars(select(Deliberation).order_by(Deliberation.id.desc())).first()
        s.expunge_all()
        return row


def polls(h) -> int:
    with h.app.sessions() as s:
        return len(s.scalars(select(Deliberation.id)).all())


def state(h) -> str:
    with h.app.sessions() as s:
        return s.get(Concern, 1).state


def rules(h) -> tuple:
    p = poll(h)
    return p.quorum_count, p.quorum_share, p.threshold


def votes(h) -> list[tuple[str, int]]:
    with h.app.sessions() as s:
        return sorted((v.person.handle, v.option.position) for v in s.scalars(select(Vote)))


def outcome(h) -> Outcome | None:
    with h.app.sessions() as s:
        row = s.scalars(select(Outcome).order_by(Outcome.id.desc())).first()
        s.expunge_all()
        return row


# --- quorum ------------------------------------------------------------------------------------

def test_a_fixed_quorum_of_two_is_reached_by_two_of_five_members(make):
    h = make(quorum_count=2)
    sent = open_poll(h)
    assert "需至少 2 人投票（委员共 5 人）" in texts_to(sent, "committee")[0]
    cast(h, ("liu", 1), ("zhao", 1))

    sent = h.advance(timedelta(hours=48))

    results = [m for m in sent if "协商结束" in m.text]
    assert sorted(m.to for m in results) == ["committee", "coordinators"]
    assert "#1 协商结束（2/5 人投票，达到法定人数 2）" in results[0].text
    assert "同意 2，反对 0，再议 0" in results[0].text and "结果：同意" in results[0].text
    closed = poll(h)
    assert (closed.state, closed.result, closed.quorum_count) == ("closed", "同意", 2)
    assert state(h) == "deliberating"


def test_a_coordinator_raises_the_quorum_of_an_open_poll(make):
    h = make(quorum_count=2)
    open_poll(h)
    cast(h, ("liu", 1))

    result, sent = ok(h, "coordinators", "ma", "/quorum 1 4")

    assert result.reply == "⚙️ #1 投票规则已改为：法定人数 4，得票最多者通过"
    assert texts_to(sent, "coordinators") == [result.reply]
    assert texts_to(sent, "committee") == [result.reply]  # the committee is told of the new rule
    assert rules(h) == (4, 0.5, None)
    assert poll(h).state == "open" and votes(h) == [("liu", 1)]  # votes already cast stand
    with h.app.sessions() as s:
        entry = s.scalars(select(AuditEntry).where(AuditEntry.action == "quorum")).one()
        assert entry.actor.handle == "ma" and entry.detail["quorum"] == 4

    cast(h, ("zhao", 1))  # two voters: enough under the old rule, not under the new one
    sent = h.advance(timedelta(hours=48))

    for to in ("committee", "coordinators"):
        told = [t for t in texts_to(sent, to) if "未达法定人数" in t]
        assert len(told) == 1, to
        assert "#1 协商未达法定人数（2/5 人投票，需要 4）" in told[0]
    assert not [m for m in sent if "协商结束" in m.text]
    assert (poll(h).state, poll(h).result) == ("closed", "no_quorum")
    assert state(h) == "claimed"


def test_a_coordinator_sets_the_quorum_as_a_share_of_the_committee(make):
    h = make(quorum_count=2)
    open_poll(h)

    result, _ = ok(h, "committee", "ma", "/quorum 1 60%")

    assert result.reply == "⚙️ #1 投票规则已改为：法定人数 3，得票最多者通过"  # 60% of 5
    assert rules(h) == (None, 0.6, None)  # the share replaces the fixed count
    cast(h, ("liu", 1), ("zhao", 1))
    ok(h, "coordinators", "ma", "/quorum 1 2")  # and a count replaces the share again
    assert rules(h)[0] == 2
    sent = h.advance(timedelta(hours=48))
    assert any("达到法定人数 2" in t for t in texts_to(sent, "committee"))


def test_only_a_coordinator_changes_the_rules(h):
    open_poll(h)
    for who, chat in (("liu", "committee"), ("wang", "grid-1")):
        for command in ("/quorum 1 1", "/quorum 1 60%", "/passing 1 多数", "/passing 1 1/2"):
            assert refused(h, chat, who, command) == "⛔ 只有召集人可以改投票规则。", (who, command)
    assert rules(h) == (None, 0.5, None)
    with h.app.sessions() as s:
        assert s.scalars(select(AuditEntry).where(AuditEntry.action == "quorum")).all() == []


def test_a_bad_value_is_refused_with_the_example(h):
    open_poll(h)
    for command in ("/quorum 1 0", "/quorum 1 -1", "/quorum 1 abc", "/quorum 1 0%", "/quorum 1 150%",
                    "/quorum 1 1/2", "/quorum 1", "/passing 1 3/2", "/passing 1 0/3", "/passing 1 5/0",
                    "/passing 1 120%", "/passing 1 全体", "/passing 1"):
        assert refused(h, "coordinators", "ma", command) == BAD_VALUE, command
    assert rules(h) == (None, 0.5, None)


def test_the_rules_of_a_poll_that_is_not_open_cannot_change(h):
    ok(h, "grid-1", "li", "#报事 我们3栋都是老人，想申请加装电梯")
    ok(h, "committee", "liu", "/claim 1")
    assert refused(h, "coordinators", "ma", "/quorum 1 2") == "⚠️ #1 目前「已接单」，不能改投票规则。"
    open_poll_on_claimed(h)
    cast(h, ("liu", 1), ("zhao", 1), ("sun", 1))
    h.advance(timedelta(hours=48))  # closed with a result; the concern waits for the plan
    assert state(h) == "deliberating"
    assert refused(h, "coordinators", "ma", "/passing 1 2/3") == "⚠️ #1 目前没有进行中的协商投票。"
    assert poll(h).threshold is None


def open_poll_on_claimed(h) -> None:
    ok(h, "committee", "liu", "/size 1 大事")
    ok(h, "committee", "liu", "/deliberate 1 是否支持3栋申请加装电梯 同意/反对/再议 48h")


# --- passing rule ------------------------------------------------------------------------------

def test_a_two_thirds_rule_is_announced_and_stored(h):
    open_poll(h)
    result, sent = ok(h, "coordinators", "ma", "/passing 1 2/3")
    assert result.reply == "⚙️ #1 投票规则已改为：法定人数 3，需获投票数的 2/3 以上"
    assert texts_to(sent, "committee") == [result.reply]
    assert rules(h)[:2] == (None, 0.5) and rules(h)[2] == pytest.approx(2 / 3)
    ok(h, "coordinators", "ma", "/passing 1 75%")
    assert rules(h)[2] == 0.75


def test_exactly_two_thirds_of_the_votes_cast_pass_a_two_thirds_rule(h):
    open_poll(h)
    ok(h, "coordinators", "ma", "/passing 1 2/3")
    cast(h, ("liu", 1), ("zhao", 1), ("sun", 2))  # 2 of 3 votes cast
    sent = h.advance(timedelta(hours=48))
    assert (poll(h).result, state(h)) == ("同意", "deliberating")
    assert any("结果：同意" in t for t in texts_to(sent, "committee"))


def test_more_than_two_thirds_pass_a_two_thirds_rule(h):
    open_poll(h)
    ok(h, "coordinators", "ma", "/passing 1 2/3")
    cast(h, ("liu", 1), ("zhao", 1), ("sun", 1), ("zhou", 2))  # 3 of 4

    sent = h.advance(timedelta(hours=48))

    results = [t for t in texts_to(sent, "committee") if "协商结束" in t]
    assert len(results) == 1 and "结果：同意" in results[0] and "未达到通过标准" not in results[0]
    assert (poll(h).result, state(h)) == ("同意", "deliberating")
    ok(h, "committee", "liu", "/decide 1 同意申请加装电梯")  # a member may now record the plan
    assert state(h) == "decided"


@pytest.mark.parametrize("ballots, detail", [
    ((("liu", 1), ("zhao", 2), ("sun", 3)), "平票：同意、反对、再议 获 1/3 票，需要 2/3"),
    ((("liu", 1), ("zhao", 1), ("sun", 1), ("zhou", 2), ("ma", 2)), "同意 获 3/5 票，需要 2/3"),
], ids=["one-each", "three-of-five"])
def test_a_poll_short_of_the_passing_rule_goes_back_to_the_coordinators(h, ballots, detail):
    open_poll(h)
    ok(h, "coordinators", "ma", "/passing 1 2/3")
    cast(h, *ballots)

    sent = h.advance(timedelta(hours=48))

    for to in ("committee", "coordinators", "grid-1", "@li"):
        told = [t for t in texts_to(sent, to) if "未达到通过标准" in t]
        assert len(told) == 1, to
        assert f"#1 协商结束但未达到通过标准（{detail}）" in told[0] and "已退回召集人" in told[0]
    assert not [m for m in sent if "结果：" in m.text or "多数意见" in m.text]
    assert (poll(h).state, poll(h).result) == ("closed", "not_passed")
    assert state(h) == "claimed"
    with h.app.sessions() as s:
        last = s.scalars(select(AuditEntry).order_by(AuditEntry.id.desc())).first()
        assert (last.action, last.from_state, last.to_state) == ("no_quorum", "deliberating", "claimed")
        assert last.detail["result"] == "not_passed"
    # the big matter cannot be decided by a member on a poll that did not pass
    assert "须先经委员会协商" in refused(h, "committee", "liu", "/decide 1 直接申请")
    assert state(h) == "claimed"


def test_a_coordinator_puts_the_poll_back_to_plurality(h):
    open_poll(h)
    ok(h, "coordinators", "ma", "/passing 1 2/3")
    result, _ = ok(h, "coordinators", "ma", "/passing 1 多数")
    assert result.reply == "⚙️ #1 投票规则已改为：法定人数 3，得票最多者通过"
    assert rules(h) == (None, 0.5, None)
    cast(h, ("liu", 1), ("zhao", 1), ("sun", 1), ("zhou", 2), ("ma", 2))  # 3/5 would fail 2/3

    sent = h.advance(timedelta(hours=48))

    assert any("结果：同意" in t for t in texts_to(sent, "committee"))
    assert not [m for m in sent if "未达到通过标准" in m.text]
    assert (poll(h).result, state(h)) == ("同意", "deliberating")


def test_a_tie_under_plurality_is_not_a_decision(h):
    """A tie (平票) passes nothing: the big matter goes back to the coordinators, and a member
    cannot record a plan on it without a new poll."""
    open_poll(h)
    cast(h, ("liu", 1), ("zhao", 2), ("sun", 1), ("zhou", 2))

    sent = h.advance(timedelta(hours=48))

    failed = [t for t in texts_to(sent, "committee") if "未达到通过标准" in t]
    assert len(failed) == 1 and "平票：同意、反对" in failed[0]
    assert texts_to(sent, "coordinators")
    assert (poll(h).result, state(h)) == ("not_passed", "claimed")
    result, _ = h.say("committee", "liu", "/decide 1 同意申请加装电梯")
    assert result.status == "refused"
    assert state(h) == "claimed"


# --- hidden results ----------------------------------------------------------------------------

def test_hidden_results_show_only_the_number_of_voters_until_the_close(make):
    h = make(hide_results=True)
    sent = open_poll(h)
    card = [m for m in sent if m.to == "committee"][0]
    assert [b["command"] for row in card.buttons for b in row] == ["/vote 1 1", "/vote 1 2", "/vote 1 3"]
    assert poll(h).hide_results is True
    before = len(h.transport.sent)
    cast(h, ("liu", 1), ("zhao", 1))
    ok(h, "committee", "sun", "/vote 1 2")

    for chat, who in (("grid-1", "wang"), ("committee", "liu"), ("coordinators", "ma")):
        _, answer = ok(h, chat, who, "/status 1")
        assert "协商：投票进行中，结果截止后公布（已有 3 人投票）（截止 2026-03-04 09:00）" in answer[0].text
    while_open = h.transport.sent[before:]
    assert not [m.text for m in while_open if COUNTS.search(m.text)]

    sent = h.advance(timedelta(hours=48))

    results = [t for t in texts_to(sent, "committee") if "协商结束" in t]
    assert len(results) == 1
    assert "（3/5 人投票，达到法定人数 3）" in results[0] and "同意 2，反对 1，再议 0" in results[0]
    _, answer = ok(h, "grid-1", "wang", "/status 1")
    assert "投票进行中" not in answer[0].text


# --- reopening a poll --------------------------------------------------------------------------

def test_a_coordinator_reopens_a_poll_that_missed_its_quorum(h):
    open_poll(h)
    cast(h, ("liu", 1))
    h.advance(timedelta(hours=48))
    assert (state(h), poll(h).result) == ("claimed", "no_quorum")
    first = poll(h)

    assert refused(h, "committee", "liu", "/repoll 1 24h") == "⛔ 只有召集人可以重开投票。"
    assert poll(h).state == "closed"

    result, sent = ok(h, "coordinators", "ma", "/repoll 1 24h")

    assert result.reply == "🗳 #1 已重新开放投票，截止 2026-03-05 09:00。"
    committee = [m for m in sent if m.to == "committee"]
    assert len(committee) == 1 and committee[0].text == result.reply
    assert [b["command"] for row in committee[0].buttons for b in row] == ["/vote 1 1", "/vote 1 2", "/vote 1 3"]
    again = poll(h)
    assert again.id == first.id and polls(h) == 1  # the same poll, not a new one
    assert (again.state, again.result, again.closed_at) == ("open", "", None)
    assert again.closes_at == datetime.fromisoformat("2026-03-05T09:00:00+08:00")
    assert state(h) == "deliberating"

    cast(h, ("zhao", 1), ("sun", 2))  # liu's vote from the first round still counts
    assert votes(h) == [("liu", 1), ("sun", 2), ("zhao", 1)]
    assert not [m for m in h.advance(timedelta(hours=23, minutes=59)) if "#1 协商" in m.text]
    assert poll(h).state == "open"

    sent = h.advance(timedelta(minutes=1))

    results = [t for t in texts_to(sent, "committee") if "协商结束" in t]
    assert len(results) == 1 and "（3/5 人投票，达到法定人数 3）" in results[0]
    assert (poll(h).state, poll(h).result) == ("closed", "同意")
    assert state(h) == "deliberating"
    ok(h, "committee", "liu", "/decide 1 同意申请加装电梯")


def test_repoll_needs_a_closed_poll(h):
    open_poll(h)
    assert refused(h, "coordinators", "ma", "/repoll 1 24h") == "⚠️ #1 目前没有进行中的协商投票。"


# --- review date (回头看) -----------------------------------------------------------------------

def small_claimed(h) -> None:
    ok(h, "grid-1", "wang", "#报事 3栋门口路灯坏了")
    ok(h, "committee", "liu", "/claim 1")


def test_a_review_date_is_stored_and_the_coordinators_are_reminded_that_day(h):
    small_claimed(h)

    result, sent = ok(h, "committee", "liu", "/decide 1 换灯泡 回头看 2026-03-20")

    assert result.reply == "📋 #1 已形成方案：换灯泡"  # the review date is cut from the plan
    assert any(t == "📋 #1 已形成方案：换灯泡" for t in texts_to(sent, "grid-1"))
    review_at = datetime.fromisoformat("2026-03-20T09:00:00+08:00")
    assert (outcome(h).plan, outcome(h).review_at) == ("换灯泡", review_at)
    with h.app.sessions() as s:
        job = s.scalars(select(ScheduledJob).where(ScheduledJob.kind == "review")).one()
        assert (job.due_at, job.state, job.concern_id) == (review_at, "pending", 1)

    earlier = h.advance(review_at - h.now - timedelta(minutes=1))
    assert not [m for m in earlier if "回头看" in m.text]

    sent = h.advance(timedelta(minutes=1))

    assert texts_to(sent, "coordinators") == ["⏰ 回头看：#1 的方案「换灯泡」今天到复查日期了，请看看落实得怎么样。"]
    assert not [m for m in sent if m.to != "coordinators"]


@pytest.mark.parametrize("date, reply", [
    ("2026-03-01", "⚠️ 截止时间必须晚于现在。"),
    ("2026-03-02", "⚠️ 截止时间必须晚于现在。"),  # 09:00 today is now, not later
    ("2026-02-30", "⚠️ 看不懂截止时间「2026-02-30」。可写 48h、3天、30分钟 或 2026-03-05 18:00。"),
])
def test_a_review_date_that_is_past_or_impossible_is_refused(h, date, reply):
    small_claimed(h)
    assert refused(h, "committee", "liu", f"/decide 1 换灯泡 回头看 {date}") == reply
    assert state(h) == "claimed" and outcome(h) is None
    with h.app.sessions() as s:
        assert s.scalars(select(ScheduledJob).where(ScheduledJob.kind == "review")).all() == []


# --- the plan's message ------------------------------------------------------------------------

def test_the_plan_carries_the_vote_and_the_number_of_comments(h):
    open_poll(h)
    ok(h, "committee", "zhou", "支持：楼里八成是老人", reply_to_concern=1)
    ok(h, "committee", "sun", "/comment 1 反对：低楼层住户会受影响")
    ok(h, "grid-1", "wang", "/comment 1 希望尽快装上")
    cast(h, ("liu", 1), ("zhao", 1), ("sun", 2))
    h.advance(timedelta(hours=48))

    result, sent = ok(h, "committee", "liu", "/decide 1 同意申请加装电梯")

    expected = "📋 #1 已形成方案：同意申请加装电梯\n（协商结果：同意 2，反对 1，再议 0；意见 3 条）"
    assert result.reply == expected
    for to in ("committee", "grid-1", "@li"):
        assert texts_to(sent, to) == [expected], to
    with h.app.sessions() as s:
        assert len(s.scalars(select(Comment)).all()) == 3
    stored = outcome(h)
    assert (stored.plan, stored.vote_summary, stored.deliberation_id) == ("同意申请加装电梯", "同意 2，反对 1，再议 0",
                                                                         poll(h).id)


def test_a_plan_without_a_poll_has_no_vote_line(h):
    small_claimed(h)
    result, _ = ok(h, "committee", "liu", "/decide 1 换灯泡")
    assert result.reply == "📋 #1 已形成方案：换灯泡"
    assert outcome(h).vote_summary == ""
