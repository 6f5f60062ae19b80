"""One message, one transaction: a failure half-way leaves nothing behind but an apology.

The failures are injected by patching a name the handler looks up while it runs (the
database stays real), after the handler has already written part of its work.
"""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

import handlers.intake
import storage.outbox
import storage.queries
from storage.models import (
    AuditEntry, Concern, Deliberation, MessageLink, OutboxMessage, Outcome, ScheduledJob, SourceMessage, Support,
)

APOLOGY = "抱歉，处理您的消息时出了问题"


def count(h, model, *where) -> int:
    with h.app.sessions() as s:
        return s.scalar(select(func.count()).select_from(model).where(*where)) or 0


def outbox_rows(h) -> list[tuple[str, str]]:
    """(kind, text) of every outbox row, oldest first."""
    with h.app.sessions() as s:
        return [tuple(r) for r in s.execute(select(OutboxMessage.kind, OutboxMessage.text).order_by(OutboxMessage.id))]


def boom(*args, **kwargs):
    raise RuntimeError("injected failure")


def assert_nothing_of_the_report(h) -> None:
    assert count(h, Concern) == 0
    assert count(h, SourceMessage) == 0
    assert count(h, MessageLink) == 0
    assert count(h, AuditEntry) == 0


def test_failure_after_the_concern_is_added_leaves_no_concern_and_only_the_apology(h, monkeypatch):
    # intake.report calls _record_source after it has added and flushed the concern
    monkeypatch.setattr(handlers.intake, "_record_source", boom)
    result, sent = h.say("grid-1", "wang", "#报事 3栋门口路灯坏了一周了")
    assert result.status == "error" and APOLOGY in result.reply

    assert_nothing_of_the_report(h)
    assert [kind for kind, _ in outbox_rows(h)] == ["reply:error"]
    assert len(sent) == 1
    assert sent[0].to == "grid-1" and APOLOGY in sent[0].text
    assert sent[0].reply_to == h.last_message_id()  # it answers the sender's message


def test_failure_after_messages_were_queued_takes_them_back(h, monkeypatch):
    """The acknowledgement is already in the outbox when the committee card fails to queue."""
    real_enqueue = storage.outbox.enqueue
    queued: list[str] = []

    def enqueue(session, **values):
        queued.append(values["kind"])
        if values["kind"] == "report.card":
            raise RuntimeError("injected failure")
        return real_enqueue(session, **values)

    monkeypatch.setattr(storage.outbox, "enqueue", enqueue)
    result, sent = h.say("grid-1", "wang", "#报事 3栋门口路灯坏了一周了")
    assert result.status == "error"
    assert queued[:2] == ["reply:report.ack", "report.card"]  # the ack was written, then the card failed

    assert_nothing_of_the_report(h)
    assert [kind for kind, _ in outbox_rows(h)] == ["reply:error"]
    assert [(m.to, m.kind) for m in sent] == [("grid-1", "reply:error")]

    # once the fault is gone, the same report goes through whole
    monkeypatch.setattr(storage.outbox, "enqueue", real_enqueue)
    result, sent = h.say("grid-1", "wang", "#报事 3栋门口路灯坏了一周了")
    assert result.status == "done"
    assert count(h, Concern) == 1 and count(h, SourceMessage) == 1
    assert sorted(m.to for m in sent) == ["committee", "grid-1"]


def test_failure_during_claim_leaves_the_concern_reported_with_no_claim_audit(h, monkeypatch):
    h.say("grid-1", "wang", "#报事 3栋门口路灯坏了一周了")
    h.say("grid-1", "li", "/support 1")
    rows_before = outbox_rows(h)

    # claim has moved the state, written its audit line and queued its reply and the grid
    # notice by the time inform() looks up the followers
    monkeypatch.setattr(storage.queries, "followers", boom)
    result, sent = h.say("committee", "liu", "/claim 1")
    assert result.status == "error"

    with h.app.sessions() as s:
        concern = s.get(Concern, 1)
        assert concern.state == "reported"
        assert concern.claimed_by_id is None and concern.claimed_at is None and concern.first_response_at is None
        assert s.scalars(select(AuditEntry.action).where(AuditEntry.concern_id == 1)
                         .order_by(AuditEntry.id)).all() == ["report", "support"]
    rows_after = outbox_rows(h)
    assert rows_after[:len(rows_before)] == rows_before
    assert [kind for kind, _ in rows_after[len(rows_before):]] == ["reply:error"]
    assert [(m.to, m.kind) for m in sent] == [("committee", "reply:error")]

    # and the concern can still be claimed afterwards
    monkeypatch.undo()
    result, _ = h.say("committee", "liu", "/claim 1")
    assert result.status == "done"
    assert count(h, AuditEntry, AuditEntry.action == "claim") == 1


def test_failure_in_a_reply_to_a_concern_rolls_the_support_back(h, monkeypatch):
    h.say("grid-1", "wang", "#报事 3栋门口路灯坏了一周了")
    report_message = h.last_message_id()
    monkeypatch.setattr(handlers.intake, "_record_source", boom)  # called after the Support row is added
    result, sent = h.say("grid-1", "li", "+1", reply_to=report_message)
    assert result.status == "error"
    assert count(h, Support) == 0
    assert count(h, AuditEntry, AuditEntry.action == "support") == 0
    assert [(m.to, m.kind) for m in sent] == [("grid-1", "reply:error")]


def test_a_refusal_changes_nothing_and_queues_exactly_one_reply(h):
    h.say("grid-1", "wang", "#报事 3栋门口路灯坏了一周了")
    rows_before = outbox_rows(h)
    audit_before = count(h, AuditEntry)

    result, sent = h.say("grid-1", "zhang", "/claim 1")  # a resident may not claim
    assert result.status == "refused" and "只有委员可以接单" in result.reply

    with h.app.sessions() as s:
        concern = s.get(Concern, 1)
        assert concern.state == "reported" and concern.claimed_by_id is None
    assert count(h, AuditEntry) == audit_before
    new_rows = outbox_rows(h)[len(rows_before):]
    assert new_rows == [("reply:refused", result.reply)]
    assert [(m.to, m.reply_to) for m in sent] == [("grid-1", h.last_message_id())]


def test_a_refused_decision_writes_no_outcome(h):
    """/decide on a big matter without a poll: no outcome, no audit line, state unchanged, one reply."""
    h.say("grid-1", "wang", "#报事 3栋想加装电梯")
    h.say("committee", "zhou", "/claim 1")
    h.say("committee", "zhou", "/size 1 大事")
    audit_before = count(h, AuditEntry)
    rows_before = outbox_rows(h)
    result, sent = h.say("committee", "zhou", "/decide 1 直接申请加装")
    assert result.status == "refused"
    with h.app.sessions() as s:
        concern = s.get(Concern, 1)
        assert concern.state == "claimed" and concern.decided_at is None
    assert count(h, AuditEntry) == audit_before
    assert count(h, Outcome) == 0
    assert [k for k, _ in outbox_rows(h)[len(rows_before):]] == ["reply:refused"]
    assert len(sent) == 1


def test_failure_after_a_poll_was_scheduled_leaves_no_poll_and_no_jobs(h, monkeypatch):
    h.say("grid-1", "wang", "#报事 3栋想加装电梯")
    h.say("grid-1", "li", "/support 1")
    h.say("committee", "zhou", "/claim 1")
    jobs_before = count(h, ScheduledJob)
    rows_before = outbox_rows(h)
    # deliberate has written the poll, its close and reminder jobs and the committee card
    # when it informs the followers
    monkeypatch.setattr(storage.queries, "followers", boom)
    result, sent = h.say("committee", "zhou", "/deliberate 1 是否支持加装电梯 48h")
    assert result.status == "error"
    assert count(h, Deliberation) == 0
    assert count(h, ScheduledJob) == jobs_before
    assert count(h, AuditEntry, AuditEntry.action == "deliberate") == 0
    with h.app.sessions() as s:
        assert s.get(Concern, 1).state == "claimed"
    assert [k for k, _ in outbox_rows(h)[len(rows_before):]] == ["reply:error"]
    assert [m.to for m in sent] == ["committee"]
    # nothing fires later either
    monkeypatch.undo()
    later = h.advance(timedelta(hours=72))
    assert {m.kind for m in later} <= {"digest.body", "digest.quiet"}  # no reminder, no poll result


def test_failure_after_the_survey_was_scheduled_leaves_the_concern_unresolved(h, monkeypatch):
    h.say("grid-1", "wang", "#报事 2栋楼道灯不亮")
    h.say("grid-1", "li", "/support 1")
    h.say("committee", "liu", "/claim 1")
    h.say("committee", "liu", "/decide 1 换灯泡")
    monkeypatch.setattr(storage.queries, "followers", boom)
    result, _ = h.say("committee", "liu", "/resolve 1 已换好")
    assert result.status == "error"
    with h.app.sessions() as s:
        concern = s.get(Concern, 1)
        assert concern.state == "decided" and concern.resolved_at is None
        assert s.scalars(select(ScheduledJob).where(ScheduledJob.kind == "survey_send")).first() is None
    monkeypatch.undo()
    assert {m.kind for m in h.advance(timedelta(hours=48))} <= {"digest.body", "digest.quiet"}  # no survey
