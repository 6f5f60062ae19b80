"""The whole loop — 听邻说事 → 接单 → 协商 → 办事 → 知事 → 评事 (and 回头看) — on both databases.

Everything goes through ``h.say`` / ``h.advance``: the real dispatcher, the real scheduled
jobs and the real outbox, with only the chat platform recorded.
"""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from storage.models import (
    Assignment, AuditEntry, Concern, Deliberation, OutboxMessage, Outcome, Person, ProgressNote,
    ScheduledJob, Support, Survey, SurveyResponse, Vote,
)
from tests.harness import texts_to

RESIDENTS = ("@wang", "@li", "@zhang")


def concern_row(h, number: int = 1) -> Concern:
    with h.app.sessions() as s:
        concern = s.get(Concern, number)
        s.expunge_all()
        return concern


def state(h, number: int = 1) -> str:
    return concern_row(h, number).state


def audit_trail(h, number: int = 1) -> list[tuple[str, str | None, str | None, str | None]]:
    """(action, from, to, actor handle) for every audit line of a concern, in order."""
    with h.app.sessions() as s:
        rows = s.execute(select(AuditEntry.action, AuditEntry.from_state, AuditEntry.to_state, Person.handle)
                         .outerjoin(Person, Person.id == AuditEntry.actor_id)
                         .where(AuditEntry.concern_id == number).order_by(AuditEntry.id)).all()
    return [tuple(r) for r in rows]


def recipients(messages, needle: str) -> set[str]:
    return {m.to for m in messages if needle in m.text}


def test_the_whole_loop_with_a_big_matter_a_poll_a_reopen_and_a_happy_ending(h):
    # --- 1 collect: a report, a +1 reply to the report's message, and /support ------------
    result, sent = h.say("grid-1", "wang", "#报事 3栋门口路灯坏了一周了，晚上老人下楼看不清")
    assert result.status == "done" and result.command == "report"
    report_message = h.last_message_id()
    assert state(h) == "reported"
    assert [m.to for m in sent] == ["grid-1", "committee"]
    assert sent[0].reply_to == report_message and "#1" in sent[0].text

    result, sent = h.say("grid-1", "li", "+1", reply_to=report_message)
    assert (result.status, result.command) == ("done", "support")
    assert len(sent) == 1 and sent[0].to == "grid-1" and "已附议 #1，现有 2 人" in sent[0].text

    result, sent = h.say("grid-1", "zhang", "/support 1")
    assert (result.status, result.command) == ("done", "support")
    assert len(sent) == 1 and sent[0].to == "grid-1" and "现有 3 人" in sent[0].text
    with h.app.sessions() as s:
        supporters = s.scalars(select(Person.handle).join(Support, Support.person_id == Person.id)
                               .where(Support.concern_id == 1).order_by(Support.id)).all()
    assert supporters == ["li", "zhang"]

    # --- 2 claim and size it big; a big matter cannot be decided without a poll ------------
    result, sent = h.say("committee", "liu", "/claim 1")
    assert result.status == "done"
    assert state(h) == "claimed"
    assert recipients(sent, "刘委员 接单") == {"grid-1", *RESIDENTS}
    assert texts_to(sent, "committee") and "您已接单 #1" in texts_to(sent, "committee")[0]

    result, _ = h.say("committee", "liu", "/size 1 大事")
    assert result.status == "done" and concern_row(h).size == "big"

    result, sent = h.say("committee", "liu", "/decide 1 更换整套灯具")
    assert result.status == "refused" and "大事" in result.reply and "/deliberate 1" in result.reply
    assert [m.to for m in sent] == ["committee"]
    assert state(h) == "claimed"
    with h.app.sessions() as s:
        assert s.scalar(select(func.count()).select_from(Outcome)) == 0

    # --- 3 deliberate: options, 48h, votes (one changed), reminder, close ---------------------
    opened_at = h.now
    result, sent = h.say("committee", "liu", "/deliberate 1 是否更换整套灯具 同意/反对/再议 48h")
    assert result.status == "done"
    assert state(h) == "deliberating"
    card = texts_to(sent, "committee")
    assert len(card) == 1 and "1. 同意\n2. 反对\n3. 再议" in card[0] and "2026-03-04 09:00" in card[0]
    assert "至少 3 人" in card[0] and "委员共 5 人" in card[0]
    assert recipients(sent, "已提交委员会协商") == {"grid-1", *RESIDENTS}
    with h.app.sessions() as s:
        poll = s.scalars(select(Deliberation)).one()
        assert poll.closes_at == opened_at + timedelta(hours=48)
        assert (poll.electorate, poll.multiple, poll.state) == (5, False, "open")

    assert h.say("committee", "liu", "/vote 1 1")[0].status == "done"
    result, sent = h.say("committee", "zhao", "/vote 1 2")
    assert result.status == "done" and "反对" in sent[0].text
    result, sent = h.say("committee", "zhao", "/vote 1 1")
    assert result.status == "done" and "已改为：同意" in sent[0].text

    # nobody is reminded until 24h before the close, then only the members who have not voted
    early = h.advance(timedelta(hours=23, minutes=59))
    assert not [m for m in early if "您还没有投票" in m.text]
    reminder = h.advance(timedelta(minutes=1))
    assert recipients(reminder, "您还没有投票") == {"@ma", "@sun", "@zhou"}
    assert all(m.to.startswith("@") for m in reminder if "您还没有投票" in m.text)
    assert h.now == opened_at + timedelta(hours=24)

    assert h.say("committee", "sun", "/vote 1 3")[0].status == "done"
    with h.app.sessions() as s:
        votes = s.execute(select(Person.handle, Vote.option_id).join(Person, Person.id == Vote.person_id)).all()
    assert sorted(handle for handle, _ in votes) == ["liu", "sun", "zhao"]

    before_close = h.advance(timedelta(hours=23, minutes=59))
    assert not [m for m in before_close if "协商结束" in m.text]
    assert state(h) == "deliberating"
    closing = h.advance(timedelta(minutes=1))
    result_msgs = [m for m in closing if "协商结束" in m.text]
    assert {m.to for m in result_msgs} == {"committee", "coordinators"}
    assert all("3/5" in m.text and "同意 2，反对 0，再议 1" in m.text and "结果：同意" in m.text for m in result_msgs)
    assert recipients(closing, "多数意见：同意") == {"grid-1", *RESIDENTS}
    with h.app.sessions() as s:
        poll = s.scalars(select(Deliberation)).one()
        assert (poll.state, poll.result) == ("closed", "同意")
        assert poll.closed_at == opened_at + timedelta(hours=48)
    assert state(h) == "deliberating"  # the plan still has to be written down

    # --- 4 decide, assign, progress, resolve ---------------------------------------------
    result, sent = h.say("committee", "liu", "/decide 1 更换整套灯具并检查线路")
    assert result.status == "done"
    assert state(h) == "decided"
    assert recipients(sent, "已形成方案：更换整套灯具并检查线路") == {"committee", "grid-1", *RESIDENTS}
    with h.app.sessions() as s:
        outcome = s.scalars(select(Outcome)).one()
        assert outcome.plan == "更换整套灯具并检查线路" and outcome.vote_summary == "同意 2，反对 0，再议 1"

    result, sent = h.say("committee", "liu", "/assign 1 @zhao")
    assert result.status == "done"
    assert state(h) == "in_progress"
    private = texts_to(sent, "@zhao")
    assert len(private) == 1 and "您被指派办理 #1" in private[0] and "更换整套灯具并检查线路" in private[0]
    assert recipients(sent, "赵委员 负责办理") == {"committee", "grid-1", *RESIDENTS}
    with h.app.sessions() as s:
        assignment = s.scalars(select(Assignment)).one()
        assert (assignment.kind, assignment.active) == ("member", True)
        assert s.get(Person, assignment.assignee_id).handle == "zhao"

    result, sent = h.say("committee", "zhao", "/progress 1 灯具已采购，电工明天上午来")
    assert result.status == "done"
    assert state(h) == "in_progress"
    assert recipients(sent, "办理进展：灯具已采购") == {"committee", "grid-1", *RESIDENTS}

    resolved_at = h.now
    result, sent = h.say("committee", "zhao", "/resolve 1 已更换整套灯具，恢复照明")
    assert result.status == "done"
    assert state(h) == "resolved"
    assert recipients(sent, "已办结：已更换整套灯具") == {"committee", "grid-1", *RESIDENTS}
    with h.app.sessions() as s:
        assert [n.text for n in s.scalars(select(ProgressNote).order_by(ProgressNote.id))] == [
            "灯具已采购，电工明天上午来", "已更换整套灯具，恢复照明"]

    # --- 6 evaluate: the survey goes out 24h later, privately, to reporter and supporters ---
    assert not [m for m in h.advance(timedelta(hours=23, minutes=59)) if "您满意吗" in m.text]
    asked = h.advance(timedelta(minutes=1))
    survey_msgs = [m for m in asked if "您满意吗" in m.text]
    assert sorted(m.to for m in survey_msgs) == sorted(RESIDENTS)
    assert all("/survey 1 3" in m.text and m.buttons for m in survey_msgs)
    with h.app.sessions() as s:
        survey = s.scalars(select(Survey)).one()
        assert (survey.round, survey.state, survey.sent_at) == (1, "open", resolved_at + timedelta(hours=24))

    # 不满意 without a reason is refused and changes nothing
    result, sent = h.say("private", "wang", "/survey 1 3")
    assert result.status == "refused" and "说明原因" in result.reply
    assert [m.to for m in sent] == ["@wang"]
    assert state(h) == "resolved"
    with h.app.sessions() as s:
        assert s.scalar(select(func.count()).select_from(SurveyResponse)) == 0

    # with a reason it reopens the concern and the committee is told
    result, sent = h.say("private", "wang", "/survey 1 3 只亮了一个晚上，今天又不亮了")
    assert result.status == "done"
    assert state(h) == "reopened"
    assert concern_row(h).reopen_count == 1 and concern_row(h).claimed_by_id is None
    assert recipients(sent, "已重新打开") >= {"committee", "coordinators", "grid-1", "@li", "@zhang"}
    assert "只亮了一个晚上" in texts_to(sent, "committee")[0]
    assert "感谢您对 #1 的评价：不满意" in texts_to(sent, "@wang")[0]
    with h.app.sessions() as s:
        assert s.scalars(select(Survey.state)).one() == "closed"
        pending = s.scalars(select(ScheduledJob.kind).where(ScheduledJob.concern_id == 1,
                                                            ScheduledJob.state == "pending",
                                                            ScheduledJob.kind.like("survey_%"))).all()
        assert pending == []  # the old round's reminder and close are called off

    # --- 回头看: claim again, decide, resolve; the second survey closes it ----------------
    assert h.say("committee", "liu", "/claim 1")[0].status == "done"
    assert state(h) == "claimed"
    # the old poll belongs to the previous round: a member needs a new one for a big matter,
    # a coordinator may decide
    result, sent = h.say("committee", "liu", "/decide 1 更换灯具整套线路")
    assert result.status == "refused" and "须先经委员会协商" in texts_to(sent, "committee")[0]
    assert h.say("committee", "ma", "/decide 1 更换灯具整套线路")[0].status == "done"
    assert state(h) == "decided"
    assert h.say("committee", "liu", "/resolve 1 线路老化部分已全部更换")[0].status == "done"
    assert state(h) == "resolved"

    asked = h.advance(timedelta(hours=24))
    assert sorted(m.to for m in asked if "您满意吗" in m.text) == sorted(RESIDENTS)
    result, sent = h.say("private", "wang", "/survey 1 1 这次修好了，谢谢")
    assert result.status == "done"
    assert state(h) == "closed"
    assert concern_row(h).closed_at == h.now
    assert recipients(sent, "报事人评价「满意」，已归档") == {"grid-1", "@li", "@zhang"}
    with h.app.sessions() as s:
        rounds = s.execute(select(Survey.round, SurveyResponse.rating, SurveyResponse.comment)
                           .join(SurveyResponse, SurveyResponse.survey_id == Survey.id).order_by(Survey.round)).all()
    assert [tuple(r) for r in rounds] == [(1, "dissatisfied", "只亮了一个晚上，今天又不亮了"),
                                          (2, "satisfied", "这次修好了，谢谢")]

    # --- the audit log holds every step, in order, with actor and from → to ----------------
    assert audit_trail(h) == [
        ("report", None, "reported", "wang"),
        ("support", None, None, "li"),
        ("support", None, None, "zhang"),
        ("claim", "reported", "claimed", "liu"),
        ("size", "claimed", "claimed", "liu"),
        ("deliberate", "claimed", "deliberating", "liu"),
        ("vote", None, None, "liu"),
        ("vote", None, None, "zhao"),
        ("vote", None, None, "zhao"),
        ("vote", None, None, "sun"),
        ("poll_closed", "deliberating", "deliberating", None),
        ("decide", "deliberating", "decided", "liu"),
        ("assign", "decided", "in_progress", "liu"),
        ("progress", "in_progress", "in_progress", "zhao"),
        ("resolve", "in_progress", "resolved", "zhao"),
        ("survey", None, None, "wang"),
        ("survey_reopen", "resolved", "reopened", "wang"),
        ("claim", "reopened", "claimed", "liu"),
        ("decide", "claimed", "decided", "ma"),
        ("resolve", "decided", "resolved", "liu"),
        ("survey", None, None, "wang"),
        ("close", "resolved", "closed", "wang"),
    ]
    # the state changes chain: each line starts where the previous change ended
    changes = [(a, f, t) for a, f, t, _ in audit_trail(h) if t is not None]
    for (_, _, previous), (action, start, _) in zip(changes, changes[1:]):
        assert start == previous, f"{action} starts from {start}, but the concern was {previous}"

    # nothing is left waiting in the outbox
    with h.app.sessions() as s:
        assert s.scalar(select(func.count()).select_from(OutboxMessage)
                        .where(OutboxMessage.state != "sent")) == 0


def test_small_path_claim_size_small_and_decide_directly(h):
    h.say("grid-1", "wang", "#报事 2栋楼道灯不亮")
    assert h.say("committee", "liu", "/claim 1")[0].status == "done"
    result, sent = h.say("committee", "liu", "/小事 1")
    assert result.status == "done" and "小事" in result.reply
    assert not texts_to(sent, "coordinators")
    assert concern_row(h).size == "small" and concern_row(h).size_confirmed

    result, sent = h.say("committee", "liu", "/decide 1 联系电工本周内更换灯泡")
    assert result.status == "done"
    assert state(h) == "decided"
    assert recipients(sent, "已形成方案：联系电工本周内更换灯泡") >= {"committee", "grid-1", "@wang"}
    with h.app.sessions() as s:
        assert s.scalar(select(func.count()).select_from(Deliberation)) == 0
        outcome = s.scalars(select(Outcome)).one()
        assert outcome.deliberation_id is None and outcome.vote_summary == ""
    assert [(a, f, t) for a, f, t, _ in audit_trail(h)] == [
        ("report", None, "reported"), ("claim", "reported", "claimed"), ("size", "claimed", "claimed"),
        ("decide", "claimed", "decided")]


def test_urgent_alerts_the_coordinators_chat(h):
    # the intake hears the danger and alerts the coordinators at once, before anyone sizes it
    _, sent = h.say("private", "chen", "/report 5栋楼下有人飞线给电动车充电，电线垂到地上")
    alerts = texts_to(sent, "coordinators")
    assert len(alerts) == 1 and "急事 #1" in alerts[0] and "飞线" in alerts[0]
    assert concern_row(h).size == "urgent" and not concern_row(h).size_confirmed
    h.say("committee", "sun", "/claim 1")
    result, sent = h.say("committee", "sun", "/急事 1")  # a member confirms the hint
    assert result.status == "done"
    assert concern_row(h).size == "urgent" and concern_row(h).size_confirmed
    assert not texts_to(sent, "coordinators")
    assert "grid-1" not in {m.to for m in sent}

    # sizing it urgent again does not alert twice; an urgent matter is decided without a poll
    _, sent = h.say("committee", "sun", "/size 1 urgent")
    assert not texts_to(sent, "coordinators")
    result, sent = h.say("committee", "sun", "/decide 1 立即联系物业断开飞线")
    assert result.status == "done" and state(h) == "decided"
    assert "立即联系物业断开飞线" in texts_to(sent, "@chen")[0]


def test_a_concern_reopened_before_its_survey_went_out_is_surveyed_after_the_next_resolution(h):
    """回头看 by a coordinator inside the survey delay: the next resolution must still be evaluated."""
    h.say("grid-1", "wang", "#报事 3栋门口路灯坏了")
    h.say("grid-1", "li", "/support 1")
    h.say("committee", "liu", "/claim 1")
    h.say("committee", "liu", "/decide 1 换灯泡")
    h.say("committee", "liu", "/resolve 1 灯泡已换")
    h.advance(timedelta(hours=2))  # the survey is not due yet
    assert h.say("coordinators", "ma", "/reopen 1 居民反映当晚又坏了")[0].status == "done"
    assert state(h) == "reopened"

    h.say("committee", "liu", "/claim 1")
    h.say("committee", "liu", "/decide 1 更换整套灯具")
    assert h.say("committee", "liu", "/resolve 1 整套灯具已更换")[0].status == "done"
    asked = h.advance(timedelta(hours=24))
    assert sorted(m.to for m in asked if "您满意吗" in m.text) == ["@li", "@wang"]
    result, _ = h.say("private", "wang", "/survey 1 1")
    assert result.status == "done" and state(h) == "closed"
