"""Deliberation at its edges: long tied options, no quorum, deadline-looking questions,
reopened big matters, and chatter under concerns that are over."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from storage.models import Comment, Concern, Deliberation, Option, OutboxMessage, ScheduledJob
from tests.harness import texts_to

LONG_A = "由社区出面联系物业公司在三栋东侧空地统一建设带有独立电表和自动断电保护功能的电动自行车集中充电棚并安排专人每日巡查"
LONG_B = "先由楼长挨家挨户征求意见再召开楼道议事会讨论费用分摊办法等多数住户签字同意以后才向街道提交加装充电设施的申请材料"


def ok(h, chat: str, who: str, text: str):
    result, sent = h.say(chat, who, text)
    assert result.status == "done", (text, result.reply)
    return sent


def concern(h) -> Concern:
    with h.app.sessions() as s:
        row = s.get(Concern, 1)
        s.expunge_all()
        return row


def latest_poll(h) -> Deliberation:
    with h.app.sessions() as s:
        row = s.scalars(select(Deliberation).order_by(Deliberation.id.desc())).first()
        s.expunge_all()
        return row


def big_concern_claimed(h) -> None:
    ok(h, "grid-1", "wang", "#报事 楼道里天天有人给电动车充电，大家很担心")
    ok(h, "committee", "liu", "/claim 1")
    ok(h, "committee", "liu", "/size 1 大事")


def test_a_tie_between_two_long_options_closes_cleanly(h):
    assert 55 <= len(LONG_A) <= 65 and 55 <= len(LONG_B) <= 65
    big_concern_claimed(h)
    ok(h, "committee", "liu", f"/deliberate 1 楼道充电怎么办 {LONG_A}/{LONG_B}")
    with h.app.sessions() as s:
        assert list(s.scalars(select(Option.text).order_by(Option.position))) == [LONG_A, LONG_B]
    for who, choice in (("liu", 1), ("zhao", 2), ("sun", 1), ("zhou", 2)):
        ok(h, "committee", who, f"/vote 1 {choice}")

    sent = h.advance(timedelta(hours=72))  # the default length for a big matter

    results = [t for t in texts_to(sent, "committee") if "协商结束" in t]
    assert len(results) == 1
    assert "平票" in results[0] and LONG_A in results[0] and LONG_B in results[0]
    poll = latest_poll(h)
    assert poll.state == "closed"
    assert poll.result == "not_passed"  # a tie decides nothing
    with h.app.sessions() as s:
        job = s.scalars(select(ScheduledJob).where(ScheduledJob.kind == "poll_close")).one()
        assert job.state == "done", job.result
    assert concern(h).state == "claimed"  # back to the coordinators


def test_no_quorum_is_told_to_the_grid_and_the_reporter(h):
    big_concern_claimed(h)
    ok(h, "committee", "liu", "/deliberate 1 是否建设集中充电棚")
    ok(h, "committee", "liu", "/vote 1 1")

    sent = h.advance(timedelta(hours=72))

    for to in ("grid-1", "@wang"):
        told = [t for t in texts_to(sent, to) if "未达法定人数" in t]
        assert len(told) == 1, to
        assert "#1" in told[0]
    assert concern(h).state == "claimed"
    assert latest_poll(h).result == "no_quorum"


@pytest.mark.parametrize(("size_command", "length"), [
    (None, timedelta(hours=24)),
    ("/size 1 大事", timedelta(hours=72)),
    ("/size 1 急事", timedelta(hours=2)),
], ids=["small", "big", "urgent"])
def test_a_measure_in_the_question_is_not_a_deadline(h, size_command, length):
    ok(h, "grid-1", "wang", "#报事 小区围墙太矮，晚上有人翻进来")
    ok(h, "committee", "liu", "/claim 1")
    if size_command:
        ok(h, "committee", "liu", size_command)

    ok(h, "committee", "liu", "/deliberate 1 是否加装2m高的围栏")

    poll = latest_poll(h)
    assert poll.closes_at - poll.opened_at == length
    assert poll.closes_at - poll.opened_at != timedelta(minutes=2)
    assert poll.question == "是否加装2m高的围栏"
    with h.app.sessions() as s:
        card = s.scalars(select(OutboxMessage.text).where(OutboxMessage.kind == "deliberate.card")).first()
    assert "是否加装2m高的围栏" in card


def test_a_reopened_big_matter_needs_a_new_poll_and_forgets_its_old_assignment(h):
    big_concern_claimed(h)
    ok(h, "committee", "liu", "/deliberate 1 是否建设集中充电棚")
    for who in ("liu", "zhao", "sun"):
        ok(h, "committee", who, "/vote 1 1")
    h.advance(timedelta(hours=72))
    ok(h, "committee", "liu", "/decide 1 建设集中充电棚")
    ok(h, "committee", "liu", "/assign 1 @sun")
    _, sent = h.say("committee", "liu", "/status 1")
    assert "办理：孙委员" in sent[0].text
    ok(h, "committee", "sun", "/resolve 1 充电棚已建成")
    ok(h, "coordinators", "ma", "/reopen 1 充电棚的电表一直没通电")
    assert concern(h).state == "reopened"

    _, sent = h.say("grid-1", "wang", "/status 1")
    assert "办理：" not in sent[0].text and "孙委员" not in sent[0].text

    ok(h, "committee", "liu", "/claim 1")
    result, _ = h.say("committee", "liu", "/decide 1 请供电所接通电表")
    assert result.status == "refused" and "须先经委员会协商" in result.reply
    assert concern(h).state == "claimed"
    _, sent = h.say("committee", "liu", "/status 1")
    assert "办理：" not in sent[0].text

    ok(h, "committee", "liu", "/deliberate 1 是否请供电所接通电表")
    for who in ("liu", "zhao", "zhou"):
        ok(h, "committee", who, "/vote 1 1")
    h.advance(timedelta(hours=72))
    ok(h, "committee", "liu", "/decide 1 请供电所接通电表")
    assert concern(h).state == "decided"
    _, sent = h.say("committee", "liu", "/status 1")
    assert "办理：" not in sent[0].text  # still no assignment for this round

    ok(h, "committee", "liu", "/assign 1 @zhao")
    _, sent = h.say("grid-1", "wang", "/status 1")
    assert "办理：赵委员" in sent[0].text and "孙委员" not in sent[0].text


def close_by_survey(h) -> None:
    ok(h, "committee", "liu", "/claim 1")
    ok(h, "committee", "liu", "/decide 1 更换灯泡")
    ok(h, "committee", "liu", "/resolve 1 已更换")
    h.advance(timedelta(hours=24))
    ok(h, "private", "wang", "/survey 1 1")


def withdraw(h) -> None:
    ok(h, "grid-1", "wang", "/withdraw 1")


@pytest.mark.parametrize(("finish", "final_state"), [(close_by_survey, "closed"), (withdraw, "withdrawn")],
                         ids=["closed", "withdrawn"])
def test_a_casual_reply_under_a_finished_concern_is_ignored(h, finish, final_state):
    ok(h, "grid-1", "wang", "#报事 3栋门口路灯坏了")
    finish(h)
    assert concern(h).state == final_state
    with h.app.sessions() as s:
        outbox_before = s.scalar(select(func.count()).select_from(OutboxMessage))

    result, sent = h.say("grid-1", "li", "这灯上个月也坏过一次", reply_to_concern=1)

    assert result.status == "ignored"
    assert sent == []
    with h.app.sessions() as s:
        assert s.scalar(select(func.count()).select_from(Comment)) == 0
        assert s.scalar(select(func.count()).select_from(OutboxMessage)) == outbox_before
    assert concern(h).state == final_state
