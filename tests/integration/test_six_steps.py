"""六步议事法 after the committee (example config: public notice and residents' vote on):
a big matter's plan is posted on notice (张榜公示) in its grid group, residents comment by
replying, then the residents of that grid vote (居民表决) before the plan stands. Small and
urgent matters skip all this. Every test runs on SQLite and on PostgreSQL."""
from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from bot.bootstrap import bootstrap
from handlers.clock import SimulatedClock
from storage.models import AuditEntry, Chat, Comment, Concern, Deliberation, Grid, OutboxMessage, Outcome, ScheduledJob, Vote
from tests.harness import Harness, texts_to

START = datetime.fromisoformat("2026-03-02T09:00:00+08:00")
PLAN = "同意3栋申请加装电梯，费用按楼层分摊"
NOT_RESIDENT = "⚠️ 只有 幸福里网格 的居民可以参加这次居民表决。"


@pytest.fixture
def make(ready_engine, six_step_config):
    """A harness over the example config (six steps on), with ``changes`` to its settings."""
    def build(**changes) -> Harness:
        config = replace(six_step_config, settings=replace(six_step_config.settings, **changes))
        return Harness(bootstrap(config, clock=SimulatedClock(START), engine=ready_engine))
    return build


@pytest.fixture
def h(make) -> Harness:
    return make()


def ok(h, chat: str, who: str, text: str, **kw):
    result, sent = h.say(chat, who, text, **kw)
    assert result.status == "done", (text, result.reply)
    return result, sent


def refused(h, chat: str, who: str, text: str) -> str:
    result, sent = h.say(chat, who, text)
    assert result.status == "refused", (text, result.reply)
    assert [m.to for m in sent] == ["@" + who if chat == "private" else chat]
    return result.reply


def state(h) -> str:
    with h.app.sessions() as s:
        return s.get(Concern, 1).state


def outcome(h) -> Outcome:
    with h.app.sessions() as s:
        row = s.scalars(select(Outcome).order_by(Outcome.id.desc())).first()
        s.expunge_all()
        return row


def residents_poll(h) -> Deliberation | None:
    with h.app.sessions() as s:
        row = s.scalars(select(Deliberation).where(Deliberation.kind == "residents")).one_or_none()
        s.expunge_all()
        return row


def votes(h, kind: str = "residents") -> list[tuple[str, str]]:
    with h.app.sessions() as s:
        rows = s.scalars(select(Vote).join(Deliberation).where(Deliberation.kind == kind))
        return sorted((v.person.handle, v.option.text) for v in rows)


def jobs(h, kind: str) -> list[tuple]:
    with h.app.sessions() as s:
        return [(j.due_at, j.state) for j in s.scalars(select(ScheduledJob).where(ScheduledJob.kind == kind))]


def decided_big_matter(h) -> list:
    """#1 (big, reported by li): a 48h committee poll passes and liu records the plan at
    2026-03-04 09:00; returns what the /decide sent."""
    ok(h, "grid-1", "li", "#报事 我们3栋都是老人，想申请加装电梯")
    ok(h, "committee", "liu", "/claim 1")
    ok(h, "committee", "liu", "/size 1 大事")
    ok(h, "committee", "liu", "/deliberate 1 是否支持3栋申请加装电梯 同意/反对/再议 48h")
    ok(h, "committee", "zhou", "支持：楼里八成是老人", reply_to_concern=1)  # a committee comment, before the notice
    for who in ("liu", "zhao", "sun"):
        ok(h, "committee", who, "/vote 1 1")
    h.advance(timedelta(hours=48))
    assert state(h) == "deliberating"
    return ok(h, "committee", "liu", f"/decide 1 {PLAN}")[1]


def notice_message_id(h) -> str:
    with h.app.sessions() as s:
        return s.scalars(select(OutboxMessage.external_message_id).where(OutboxMessage.kind == "notice.posted")).one()


def to_residents_vote(h) -> list:
    """Through the 3-day notice to the residents' vote; returns what the notice's end sent."""
    decided_big_matter(h)
    return h.advance(timedelta(days=3))


# --- 张榜公示 -----------------------------------------------------------------------------------

def test_a_decided_big_matter_goes_on_notice_in_its_grid(h):
    sent = decided_big_matter(h)

    assert state(h) == "notice"
    notices = [m for m in sent if m.text.startswith("📢 张榜公示 #1")]
    assert [m.to for m in notices] == ["grid-1"]  # only its own grid, once
    text = notices[0].text
    assert "幸福里网格" in text and f"拟定方案：{PLAN}" in text
    assert "公示至 2026-03-07 09:00。有意见请直接回复本消息，或发送 /comment 1 意见。" in text
    assert not texts_to(sent, "grid-2")
    stored = outcome(h)
    assert (stored.plan, stored.notice_until) == (PLAN, datetime.fromisoformat("2026-03-07T09:00:00+08:00"))
    assert jobs(h, "notice_end") == [(stored.notice_until, "pending")]
    with h.app.sessions() as s:
        trail = [(a.action, a.from_state, a.to_state) for a in
                 s.scalars(select(AuditEntry).where(AuditEntry.action.in_(("decide", "publish"))).order_by(AuditEntry.id))]
    assert trail == [("decide", "deliberating", "decided"), ("publish", "decided", "notice")]
    _, answer = ok(h, "grid-1", "wang", "/status 1")
    assert "公示中" in answer[0].text and f"方案：{PLAN}" in answer[0].text
    # work on the plan waits for the notice (and the residents' vote) to end
    assert "公示中" in refused(h, "committee", "liu", "/assign 1 @zhao")


def test_residents_replies_to_the_notice_are_stored_as_comments(h):
    decided_big_matter(h)
    notice = notice_message_id(h)

    result, sent = h.say("grid-1", "wang", "支持：早该装了", reply_to=notice)
    assert (result.status, result.command, sent) == ("done", "comment", [])
    result, sent = h.say("grid-1", "zhang", "一楼住户的采光怎么办？", reply_to=notice)
    assert (result.status, result.command, sent) == ("done", "comment", [])
    result, sent = h.say("grid-1", "chen", "+1", reply_to=notice)  # "+1" under the notice is support
    assert (result.status, result.command) == ("done", "support")

    with h.app.sessions() as s:
        chats = {c.key: c.id for c in s.scalars(select(Chat))}
        committee_poll = s.scalars(select(Deliberation.id).where(Deliberation.kind == "committee")).one()
        rows = [(c.person.handle, c.position, c.text, c.chat_id, c.deliberation_id)
                for c in s.scalars(select(Comment).order_by(Comment.id))]
    assert rows == [("zhou", "support", "楼里八成是老人", chats["committee"], committee_poll),
                    ("wang", "support", "早该装了", chats["grid-1"], None),
                    ("zhang", "", "一楼住户的采光怎么办？", chats["grid-1"], None)]
    assert state(h) == "notice"


# --- 居民表决 -----------------------------------------------------------------------------------

def test_the_residents_vote_opens_in_the_grid_when_the_notice_ends(h):
    decided_big_matter(h)
    earlier = h.advance(timedelta(days=3) - timedelta(minutes=1))
    assert not [m for m in earlier if "居民表决" in m.text] and residents_poll(h) is None

    sent = h.advance(timedelta(minutes=1))

    cards = [m for m in sent if m.text.startswith("🗳 居民表决 #1")]
    assert [m.to for m in cards] == ["grid-1"]
    assert cards[0].text == (f"🗳 居民表决 #1：{PLAN}\n1. 同意\n2. 反对\n"
                             "截止 2026-03-10 09:00，需至少 3 位本网格居民投票。投票：/vote 1 选项号")
    assert [[(b["label"], b["command"]) for b in row] for row in cards[0].buttons] == [
        [("1. 同意", "/vote 1 1")], [("2. 反对", "/vote 1 2")]]
    assert not [m for m in sent if "居民表决" in m.text and m.to != "grid-1"]
    poll = residents_poll(h)
    with h.app.sessions() as s:
        grid_1 = s.scalars(select(Grid.id).where(Grid.key == "grid-1")).one()
    assert (poll.state, poll.grid_id, poll.electorate, poll.quorum_count) == ("open", grid_1, 4, 3)
    assert poll.closes_at == datetime.fromisoformat("2026-03-10T09:00:00+08:00")
    assert state(h) == "notice"
    assert jobs(h, "notice_end")[0][1] == "done"


def test_only_residents_of_the_grid_vote_once_each_and_may_change_their_vote(h):
    to_residents_vote(h)

    # committee people with no home grid, and a resident of another grid, are refused
    assert refused(h, "grid-1", "liu", "/vote 1 1") == NOT_RESIDENT
    assert refused(h, "committee", "ma", "/vote 1 1") == NOT_RESIDENT
    h.say("grid-2", "qian", "大家好")  # qian becomes known as a resident of grid-2
    assert refused(h, "grid-2", "qian", "/vote 1 1") == NOT_RESIDENT
    assert refused(h, "private", "qian", "/vote 1 1") == NOT_RESIDENT
    assert votes(h) == []

    _, sent = ok(h, "grid-1", "wang", "/vote 1 1")
    assert texts_to(sent, "grid-1") == ["✅ 已记录您对 #1 的投票：同意。截止（2026-03-10 09:00）前可以改。"]
    ok(h, "private", "li", "/vote 1 反对")  # privately, by the option's text
    _, sent = ok(h, "grid-1", "li", "/vote 1 1")
    assert texts_to(sent, "grid-1") == ["✅ 您对 #1 的投票已改为：同意。"]
    ok(h, "grid-1", "zhang", "/vote 1 2")
    assert "只能选一项" in refused(h, "grid-1", "chen", "/vote 1 1,2")
    assert votes(h) == [("li", "同意"), ("wang", "同意"), ("zhang", "反对")]


def test_a_residents_vote_with_quorum_and_a_majority_for_the_plan_lets_it_stand(h):
    to_residents_vote(h)
    for who, choice in (("wang", 1), ("li", 1), ("zhang", 2)):
        ok(h, "grid-1", who, f"/vote 1 {choice}")

    sent = h.advance(timedelta(days=3))

    passed = f"✅ #1 居民表决通过（3 人投票：同意 2，反对 1），方案生效：{PLAN}"
    assert texts_to(sent, "grid-1") == [passed]
    assert passed in texts_to(sent, "committee") and passed in texts_to(sent, "@li")  # li reported it
    assert not [m for m in sent if "未通过" in m.text]
    assert state(h) == "decided"
    poll = residents_poll(h)
    assert (poll.state, poll.result) == ("closed", "同意")
    assert outcome(h).residents_result == "通过：同意 2，反对 1（3 人投票）"
    with h.app.sessions() as s:
        last = s.scalars(select(AuditEntry).where(AuditEntry.action == "notice_done")).one()
        assert (last.from_state, last.to_state, last.actor_id) == ("notice", "decided", None)

    result, sent = ok(h, "committee", "liu", "/assign 1 @zhao")  # now the plan is carried out
    assert state(h) == "in_progress"
    assert any("赵委员" in t for t in texts_to(sent, "grid-1"))
    assert refused(h, "grid-1", "chen", "/vote 1 1").startswith("⚠️ #1 的投票已于 2026-03-10 09:00 截止")


@pytest.mark.parametrize("ballots, voters, tally, result", [
    ((("wang", 1), ("li", 1)), 2, "同意 2，反对 0", "no_quorum"),
    ((("wang", 2), ("li", 2), ("zhang", 1)), 3, "同意 1，反对 2", "not_passed"),
    ((("wang", 1), ("li", 1), ("zhang", 2), ("chen", 2)), 4, "同意 2，反对 2", "not_passed"),
], ids=["too-few", "against", "tie"])
def test_a_failed_residents_vote_sends_the_plan_back_to_the_coordinators(h, ballots, voters, tally, result):
    to_residents_vote(h)
    for who, choice in ballots:
        ok(h, "grid-1", who, f"/vote 1 {choice}")

    sent = h.advance(timedelta(days=3))

    failed = f"⚠️ #1 居民表决未通过（{voters} 人投票，需要 3：{tally}），方案退回召集人重新研究。"
    for to in ("grid-1", "committee", "coordinators", "@li"):
        assert [t for t in texts_to(sent, to) if "居民表决" in t] == [failed], to
    assert not [m for m in sent if "表决通过" in m.text or "方案生效" in m.text]
    assert state(h) == "claimed"
    assert (residents_poll(h).state, residents_poll(h).result) == ("closed", result)
    assert outcome(h).residents_result == f"未通过：{tally}（{voters} 人投票）"
    # the plan does not stand: no work on it, and a member cannot just record it again
    assert "已接单" in refused(h, "committee", "liu", "/assign 1 @zhao")
    assert "须先经委员会协商" in refused(h, "committee", "liu", f"/decide 1 {PLAN}")


def test_without_a_residents_vote_the_plan_stands_when_the_notice_ends(make):
    h = make(residents_vote=False)
    decided_big_matter(h)
    notice = notice_message_id(h)
    ok(h, "grid-1", "wang", "支持：早该装了", reply_to=notice)
    ok(h, "grid-1", "zhang", "/comment 1 一楼住户的采光怎么办？")

    sent = h.advance(timedelta(days=3))

    done = f"✅ #1 公示期结束（收到居民意见 2 条），方案生效：{PLAN}"  # zhou's committee comment came before
    for to in ("grid-1", "committee", "@li"):
        assert texts_to(sent, to) == [done], to
    assert not [m for m in sent if "居民表决" in m.text]
    assert residents_poll(h) is None
    assert state(h) == "decided"
    assert outcome(h).residents_result == ""
    ok(h, "committee", "liu", "/assign 1 @zhao")
    assert state(h) == "in_progress"


@pytest.mark.parametrize("size", [None, "急事"], ids=["small", "urgent"])
def test_small_and_urgent_matters_skip_the_notice(h, size):
    ok(h, "grid-1", "wang", "#报事 3栋门口路灯坏了")
    ok(h, "committee", "liu", "/claim 1")
    if size:
        ok(h, "committee", "liu", f"/size 1 {size}")

    _, sent = ok(h, "committee", "liu", "/decide 1 今天更换灯泡")

    assert state(h) == "decided"
    assert not [m for m in sent if "张榜公示" in m.text]
    assert outcome(h).notice_until is None and jobs(h, "notice_end") == []
    later = h.advance(timedelta(days=7))
    assert not [m for m in later if "公示" in m.text or "居民表决" in m.text]
    ok(h, "committee", "liu", "/assign 1 @zhao")
    assert state(h) == "in_progress"


def test_a_reopened_residents_vote_closes_normally(h):
    to_residents_vote(h)
    ok(h, "grid-1", "wang", "/vote 1 1")
    h.advance(timedelta(days=3))
    assert state(h) == "claimed"
    _, sent = ok(h, "coordinators", "ma", "/repoll 1 24h")
    assert texts_to(sent, "grid-1") == ["🗳 #1 已重新开放投票，截止 2026-03-11 09:00。"]
    for who in ("li", "zhang"):
        ok(h, "grid-1", who, "/vote 1 1")

    sent = h.advance(timedelta(hours=24))

    assert not [m for m in sent if "执行失败" in m.text]
    assert [t for t in texts_to(sent, "grid-1") if "居民表决通过" in t]
    assert residents_poll(h).state == "closed" and state(h) == "decided"
