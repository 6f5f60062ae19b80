"""请邻议事: polls in the committee — quorum, votes and their changes, deadlines, comments."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from storage.models import AuditEntry, Comment, Concern, Deliberation, Option, OutboxMessage, Person, ScheduledJob, Vote
from tests.harness import texts_to


def open_poll(h, options: str = "同意/反对/再议", extra: str = "48h") -> None:
    """#1 reported, claimed by liu, sized big, and put to a poll."""
    h.say("grid-1", "li", "#报事 我们3栋都是老人，想申请加装电梯")
    h.say("committee", "liu", "/claim 1")
    h.say("committee", "liu", "/size 1 大事")
    result, _ = h.say("committee", "liu", f"/deliberate 1 是否支持3栋申请加装电梯 {options} {extra}".strip())
    assert result.status == "done", result.reply


def poll(h) -> Deliberation:
    with h.app.sessions() as s:
        row = s.scalars(select(Deliberation).order_by(Deliberation.id.desc())).first()
        s.expunge_all()
        return row


def state(h) -> str:
    with h.app.sessions() as s:
        return s.get(Concern, 1).state


def votes(h) -> list[tuple[str, int]]:
    """(voter handle, option position) of every stored vote."""
    with h.app.sessions() as s:
        rows = s.execute(select(Person.handle, Option.position).select_from(Vote).join(Person, Person.id == Vote.person_id)
                         .join(Option, Option.id == Vote.option_id).order_by(Person.handle, Option.position)).all()
    return [tuple(r) for r in rows]


def test_quorum_met_posts_the_result_and_keeps_the_concern_for_a_decision(h):
    open_poll(h)
    for who, choice in (("liu", "1"), ("zhao", "1"), ("sun", "2")):
        assert h.say("committee", who, f"/vote 1 {choice}")[0].status == "done"
    sent = h.advance(timedelta(hours=48))
    results = [m for m in sent if "协商结束" in m.text]
    assert {m.to for m in results} == {"committee", "coordinators"}
    assert "达到法定人数 3" in results[0].text and "结果：同意" in results[0].text
    assert (poll(h).state, poll(h).result) == ("closed", "同意")
    assert state(h) == "deliberating"
    # the passed poll lets a member record the plan of a big matter
    assert h.say("committee", "liu", "/decide 1 同意申请加装电梯")[0].status == "done"
    assert state(h) == "decided"


def test_quorum_not_met_sends_the_concern_back_and_tells_the_coordinators(h):
    open_poll(h)
    h.say("committee", "liu", "/vote 1 1")
    h.say("committee", "zhao", "/vote 1 1")
    sent = h.advance(timedelta(hours=48))

    assert state(h) == "claimed"
    assert (poll(h).state, poll(h).result) == ("closed", "no_quorum")
    coordinators = [t for t in texts_to(sent, "coordinators") if "未达法定人数" in t]
    assert len(coordinators) == 1 and "#1" in coordinators[0] and "2/5" in coordinators[0]
    assert any("未达法定人数" in t for t in texts_to(sent, "committee"))
    assert not [m for m in sent if "多数意见" in m.text]  # residents are not told of a result there is not
    with h.app.sessions() as s:
        last = s.scalars(select(AuditEntry).order_by(AuditEntry.id.desc())).first()
        assert (last.action, last.from_state, last.to_state, last.actor_id) == ("no_quorum", "deliberating",
                                                                                 "claimed", None)
    # a big matter without a passed poll still cannot be decided by a member; a new poll can be opened
    result, _ = h.say("committee", "liu", "/decide 1 直接申请")
    assert result.status == "refused" and "大事" in result.reply
    assert h.say("committee", "liu", "/deliberate 1 再议一次 24h")[0].status == "done"
    assert state(h) == "deliberating"


def test_a_tie_is_reported_as_a_tie(h):
    open_poll(h)
    for who, choice in (("liu", "1"), ("zhao", "2"), ("sun", "1"), ("zhou", "2")):
        h.say("committee", who, f"/vote 1 {choice}")
    sent = h.advance(timedelta(hours=48))
    assert any("平票：同意、反对" in t and "未达到通过标准" in t for t in texts_to(sent, "committee"))


def test_changing_a_vote_keeps_one_vote_per_member(h):
    open_poll(h)
    _, sent = h.say("committee", "liu", "/vote 1 1")
    assert "已记录您对 #1 的投票：同意" in sent[0].text
    _, sent = h.say("committee", "liu", "/vote 1 2")
    assert "已改为：反对" in sent[0].text
    _, sent = h.say("committee", "liu", "/vote 1 再议")  # an option may be named by its text too
    assert "已改为：再议" in sent[0].text
    h.say("committee", "zhao", "/vote 1 1")
    assert votes(h) == [("liu", 3), ("zhao", 1)]


@pytest.mark.parametrize("after", [timedelta(0), timedelta(seconds=1)])
def test_a_vote_at_or_after_the_deadline_is_refused_by_the_handler_itself(h, after):
    open_poll(h)
    closes_at = poll(h).closes_at
    h.app.clock.set(closes_at - timedelta(seconds=1))
    assert h.say("committee", "liu", "/vote 1 1")[0].status == "done"  # one second before: fine
    # the clock reaches the deadline, but the ticker has not closed the poll yet
    h.app.clock.set(closes_at + after)
    assert poll(h).state == "open"
    result, sent = h.say("committee", "zhao", "/vote 1 1")
    assert result.status == "refused" and "2026-03-04 09:00 截止" in result.reply
    assert [m.to for m in sent] == ["committee"]
    assert votes(h) == [("liu", 1)]


def test_a_vote_after_the_poll_was_closed_is_refused(h):
    open_poll(h)
    h.advance(timedelta(hours=49))
    assert poll(h).state == "closed"
    result, _ = h.say("committee", "zhao", "/vote 1 1")
    assert result.status == "refused" and "截止" in result.reply
    assert votes(h) == []


def test_residents_cannot_vote(h):
    open_poll(h)
    result, sent = h.say("grid-1", "wang", "/vote 1 1")
    assert result.status == "refused" and "只有委员可以投票" in result.reply
    assert [m.to for m in sent] == ["grid-1"]
    assert votes(h) == []


def test_multiple_choice_accepts_several_options(h):
    open_poll(h, options="修路灯/装监控/加巡逻", extra="多选 48h")
    assert poll(h).multiple is True
    with h.app.sessions() as s:
        card = s.scalars(select(OutboxMessage.text).where(OutboxMessage.kind == "deliberate.card")).one()
    assert "可多选" in card and "1. 修路灯\n2. 装监控\n3. 加巡逻" in card
    assert poll(h).question == "是否支持3栋申请加装电梯"

    result, sent = h.say("committee", "liu", "/vote 1 1,3")
    assert result.status == "done" and "修路灯、加巡逻" in sent[0].text
    h.say("committee", "zhao", "/vote 1 2，3")  # full-width comma from a phone keyboard
    assert votes(h) == [("liu", 1), ("liu", 3), ("zhao", 2), ("zhao", 3)]
    # a changed multiple vote replaces all earlier choices
    h.say("committee", "liu", "/vote 1 2")
    assert votes(h) == [("liu", 2), ("zhao", 2), ("zhao", 3)]


def test_single_choice_refuses_two_options(h):
    open_poll(h)
    result, sent = h.say("committee", "liu", "/vote 1 1,3")
    assert result.status == "refused" and "只能选一项" in result.reply
    assert len(sent) == 1
    assert votes(h) == []


def test_bad_option_is_refused(h):
    open_poll(h)
    for choice in ("4", "0", "abc", "1 9", ""):
        result, sent = h.say("committee", "liu", f"/vote 1 {choice}".strip())
        assert result.status == "refused", choice
        assert "1–3" in result.reply and "/vote 1 1" in result.reply, choice
        assert len(sent) == 1
    assert votes(h) == []


def test_vote_without_a_poll_is_refused(h):
    h.say("grid-1", "li", "#报事 楼道堆满杂物")
    result, _ = h.say("committee", "liu", "/vote 1 1")
    assert result.status == "refused" and "没有进行中的协商投票" in result.reply


def test_a_member_cannot_decide_while_the_poll_is_open(h):
    open_poll(h)
    result, _ = h.say("committee", "liu", "/decide 1 同意申请")
    assert result.status == "refused" and "尚未结束" in result.reply
    assert poll(h).state == "open" and state(h) == "deliberating"


def test_coordinator_decide_while_the_poll_is_open_closes_it_early(h):
    open_poll(h)
    for who, choice in (("liu", "1"), ("zhao", "1"), ("sun", "3")):
        h.say("committee", who, f"/vote 1 {choice}")
    decided_at = h.now
    result, sent = h.say("committee", "ma", "/decide 1 同意3栋申请加装电梯，社区协助征集意见")
    assert result.status == "done"
    assert state(h) == "decided"
    closed = poll(h)
    assert (closed.state, closed.result, closed.closed_at) == ("closed", "同意", decided_at)
    assert {m.to for m in sent if "协商结束" in m.text} == {"committee", "coordinators"}
    assert "同意 2，反对 0，再议 1" in result.reply  # the plan carries the tally
    with h.app.sessions() as s:
        jobs = dict(s.execute(select(ScheduledJob.kind, ScheduledJob.state)
                              .where(ScheduledJob.concern_id == 1, ScheduledJob.kind.like("poll_%"))).all())
    assert jobs == {"poll_close": "cancelled", "poll_reminder": "cancelled"}
    # the original deadline passes quietly: no reminder, no second result
    later = h.advance(timedelta(hours=49))
    assert not [m for m in later if "#1" in m.text and ("协商" in m.text or "投票" in m.text)]
    assert state(h) == "decided"


def test_reply_to_the_concern_is_a_silent_comment_with_a_position(h):
    open_poll(h)
    result, sent = h.say("committee", "zhou", "支持：楼里八成是老人，低楼层住户的顾虑要先沟通", reply_to_concern=1)
    assert (result.status, result.command) == ("done", "comment")
    assert sent == []
    result, sent = h.say("committee", "sun", "反对: 预算还没有着落", reply_to_concern=1)
    assert result.status == "done" and sent == []
    result, sent = h.say("committee", "zhao", "先摸清楚每户的意见", reply_to_concern=1)
    assert result.status == "done" and sent == []
    # a reply to the bot's poll card in the committee group counts the same
    with h.app.sessions() as s:
        card_id = s.scalars(select(OutboxMessage.external_message_id)
                            .where(OutboxMessage.kind == "deliberate.card")).one()
    result, sent = h.say("committee", "liu", "中立：再看看", reply_to=card_id)
    assert (result.status, result.command) == ("done", "comment") and sent == []

    poll_id = poll(h).id
    with h.app.sessions() as s:
        rows = s.execute(select(Person.handle, Comment.position, Comment.text, Comment.deliberation_id)
                         .join(Person, Person.id == Comment.person_id).order_by(Comment.id)).all()
    assert [tuple(r) for r in rows] == [
        ("zhou", "support", "楼里八成是老人，低楼层住户的顾虑要先沟通", poll_id),
        ("sun", "oppose", "预算还没有着落", poll_id),
        ("zhao", "", "先摸清楚每户的意见", poll_id),
        ("liu", "neutral", "再看看", poll_id),
    ]
    # /status counts them
    _, sent = h.say("committee", "liu", "/status 1")
    assert "意见：4 条" in sent[0].text


def test_comment_command_is_acknowledged(h):
    open_poll(h)
    result, sent = h.say("committee", "sun", "/comment 1 反对：低楼层住户会受影响")
    assert result.status == "done"
    assert [m.to for m in sent] == ["committee"] and "已记为 #1 的意见（反对）" in sent[0].text
    result, sent = h.say("grid-1", "wang", "/comment 1 希望尽快装上")
    assert result.status == "done" and "已记为 #1 的意见。" in sent[0].text
    with h.app.sessions() as s:
        rows = s.execute(select(Comment.position, Comment.text).order_by(Comment.id)).all()
    assert [tuple(r) for r in rows] == [("oppose", "低楼层住户会受影响"), ("", "希望尽快装上")]
    result, _ = h.say("committee", "sun", "/comment 1")
    assert result.status == "refused"
    with h.app.sessions() as s:
        assert s.scalar(select(func.count()).select_from(Comment)) == 2


@pytest.mark.parametrize("exit_command", ["/reject 1 不属于社区职责，已告知12345",
                                          "/convert 1 提案 关于3栋加装电梯的提案"], ids=["reject", "convert"])
def test_a_concern_leaving_deliberation_ends_its_poll(h, exit_command):
    """Rejected or converted while the poll is open: no more votes, and no poll left hanging open."""
    open_poll(h)
    h.say("committee", "liu", "/vote 1 1")
    assert h.say("coordinators", "ma", exit_command)[0].status == "done"
    result, _ = h.say("committee", "zhao", "/vote 1 1")
    assert result.status == "refused"
    assert votes(h) == [("liu", 1)]
    assert poll(h).state != "open"
    # the coordinators' digest does not keep listing it as a poll closing today
    later = h.advance(timedelta(days=4))
    assert not [t for t in texts_to(later, "coordinators") if "今日截止的协商" in t]
