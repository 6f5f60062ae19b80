"""A platform without buttons or native polls (WeChat): people answer in words and numbers.

The replay platform declares no buttons, like WeChat, so these run through the real
dispatcher. In groups a message about a concern names it (``#12 +1``, ``附议 12``, ``#12 2``,
``#12 …``) and a bare number is nothing; in a private chat a bare number answers the last
numbered menu the platform showed that person (kept in the database).
"""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from bot.delivery import Delivery, Receipt
from storage.models import Comment, Concern, Support, SurveyResponse, Vote
from tests.harness import RecordingTransport


class NumberingTransport(RecordingTransport):
    """Numbers the buttons of a private message, as the WeChat adapter does, and says so."""

    async def send(self, delivery: Delivery) -> Receipt:
        receipt = await super().send(delivery)
        commands = tuple(b["command"] for row in getattr(delivery.message, "buttons", ()) for b in row
                         if "command" in b)
        return Receipt(receipt.message_id, menu=commands) if delivery.target.private and commands else receipt


def count(h, model) -> int:
    with h.app.sessions() as s:
        return s.scalar(select(func.count()).select_from(model))


def test_concern_numbers_in_words_support_comment_and_vote(h):
    h.say("grid-1", "wang", "#报事 3栋门口路灯坏了")
    assert h.say("grid-1", "li", "#1 +1")[0].command == "support"
    assert h.say("grid-1", "zhang", "附议 1")[0].command == "support"
    assert count(h, Support) == 2
    assert h.say("grid-1", "chen", "1")[0].status == "ignored"  # a bare number in a group is nothing

    h.say("committee", "liu", "/接单 1")
    result, _ = h.say("committee", "zhao", "#1 先看看是不是线路的问题")
    assert result.command == "comment" and count(h, Comment) == 1
    h.say("committee", "liu", "/协商 1 要不要换成LED路灯")
    result, sent = h.say("committee", "zhao", "#1 2")
    assert result.status == "done" and result.command == "vote"
    assert count(h, Vote) == 1
    result, _ = h.say("committee", "zhao", "#1 1")  # changed, not added
    assert result.status == "done" and count(h, Vote) == 1


def test_a_bare_number_in_a_private_chat_answers_the_last_numbered_menu(h):
    h.transport = NumberingTransport()
    h.replay.transport = h.transport
    h.say("grid-1", "wang", "#报事 3栋门口路灯坏了")
    h.say("committee", "liu", "/claim 1")
    h.say("committee", "liu", "/decide 1 换灯泡")
    h.say("committee", "liu", "/resolve 1 灯泡已换")
    asked = h.advance(timedelta(hours=25))
    assert [m.to for m in asked if "您满意吗" in m.text] == ["@wang"]

    result, _ = h.say("private", "wang", "1")  # 1 = 满意, the first choice under the survey
    assert result.status == "done" and result.command == "survey"
    with h.app.sessions() as s:
        assert s.scalar(select(SurveyResponse.rating)) == "satisfied"
        assert s.get(Concern, 1).state == "closed"


def test_a_bare_number_with_no_menu_waiting_gets_a_clear_answer(h):
    result, sent = h.say("private", "wang", "2")
    assert result.status == "refused"
    assert "没有等您回复编号的选项" in sent[0].text and sent[0].to == "@wang"
