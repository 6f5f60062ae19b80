"""Anonymous reporters are never pointed at in a group, whatever they type there themselves.

An answer that would show the group who reported a concern anonymously goes to the
reporter's private chat instead; what the group does see names nobody.
"""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from storage.models import Concern, Support
from tests.harness import texts_to

NAMES = ("陈奶奶", "chen")


def names_chen(text: str) -> bool:
    return any(name in text.lower() for name in NAMES)


def report_privately(h) -> None:
    result, _ = h.say("private", "chen", "/report 匿名 5栋楼下有人飞线给电动车充电")
    assert result.status == "done", result.reply
    with h.app.sessions() as s:
        assert s.get(Concern, 1).anonymous


def resolve_and_survey(h) -> None:
    """#1 (anonymous, by chen) claimed, decided and resolved by liu; the survey goes out."""
    for text in ("/claim 1", "/decide 1 联系物业拆除飞线", "/resolve 1 飞线已拆除"):
        result, _ = h.say("committee", "liu", text)
        assert result.status == "done", (text, result.reply)
    sent = h.advance(timedelta(hours=24))
    assert any("您满意吗" in t for t in texts_to(sent, "@chen"))


def test_anonymous_tagged_report_in_the_group_gets_one_honest_reply_and_no_name(h):
    result, sent = h.say("grid-1", "chen", "#报事 匿名 5栋飞线充电")
    assert result.status == "done"

    in_grid = texts_to(sent, "grid-1")
    assert len(in_grid) == 1  # the acknowledgement only: no separate grid notice
    assert "委员会和台账里不会显示您的名字" in in_grid[0]
    assert "只有召集人能看到" not in in_grid[0]  # that promise would be false: the group saw the message
    assert not [m for m in sent if "居民反映" in m.text]

    cards = texts_to(sent, "committee")
    assert len(cards) == 1 and "报事人：匿名" in cards[0]
    for message in sent:
        assert not names_chen(message.text), (message.to, message.text)
    with h.app.sessions() as s:
        concern = s.get(Concern, 1)
        assert concern.anonymous and concern.text == "5栋飞线充电"


def test_an_anonymous_reporter_supporting_their_own_concern_in_the_group_is_answered_privately(h):
    report_privately(h)
    for text, reply_to in (("+1", 1), ("/附议 1", None)):
        result, sent = h.say("grid-1", "chen", text, reply_to_concern=reply_to)
        assert result.status == "refused", text
        assert [m.to for m in sent] == ["@chen"], text
        assert "您就是 #1 的报事人" in sent[0].text, text
        assert texts_to(sent, "grid-1") == [], text
    with h.app.sessions() as s:
        assert s.scalars(select(Support)).all() == []


def test_an_anonymous_reporter_withdrawing_in_the_group_is_answered_privately(h):
    report_privately(h)
    result, sent = h.say("grid-1", "chen", "/withdraw 1")
    assert result.status == "done", result.reply

    to_chen = texts_to(sent, "@chen")
    assert len(to_chen) == 1 and "已由报事人撤回" in to_chen[0]  # told once, privately
    # the group hears of it only later and unsigned (tests/integration/test_anonymous_notices.py)
    assert texts_to(sent, "grid-1") == []
    for message in sent:
        if message.to != "@chen":
            assert not names_chen(message.text), (message.to, message.text)
    with h.app.sessions() as s:
        assert s.get(Concern, 1).state == "withdrawn"


def test_mine_in_the_group_only_says_it_was_sent_privately(h):
    report_privately(h)
    result, sent = h.say("grid-1", "chen", "/mine")
    assert result.status == "done"
    in_grid = texts_to(sent, "grid-1")
    assert len(in_grid) == 1 and "已私信发给您" in in_grid[0]
    assert "#1" not in in_grid[0] and "飞线" not in in_grid[0]
    to_chen = texts_to(sent, "@chen")
    assert len(to_chen) == 1 and "您的事项" in to_chen[0] and "#1" in to_chen[0] and "飞线" in to_chen[0]


def test_survey_answers_in_the_group_are_acknowledged_privately(h):
    report_privately(h)
    resolve_and_survey(h)

    result, sent = h.say("grid-1", "chen", "/满意 1")
    assert result.status == "done", result.reply
    thanks = [m for m in sent if "感谢您对 #1 的评价" in m.text]
    assert [m.to for m in thanks] == ["@chen"]
    for text in texts_to(sent, "grid-1"):  # whatever the group hears names nobody and thanks nobody
        assert "感谢" not in text and not names_chen(text), text
    with h.app.sessions() as s:
        assert s.get(Concern, 1).state == "closed"

    result, sent = h.say("grid-1", "chen", "/不满意 1")
    assert result.status == "refused"
    assert [m.to for m in sent] == ["@chen"]
    assert "不满意请说明原因" in sent[0].text


def test_a_refusal_in_a_group_masks_the_numbers_typed_into_it(h):
    h.say("grid-1", "wang", "#报事 3栋门口路灯坏了")
    h.say("committee", "liu", "/claim 1")
    h.say("committee", "liu", "/decide 1 更换灯泡")
    result, sent = h.say("committee", "liu", "/assign 1 @13900005621")
    assert result.status == "refused"
    in_committee = texts_to(sent, "committee")
    assert len(in_committee) == 1
    assert "13900005621" not in in_committee[0]
    assert "5621" in in_committee[0] and "没有找到委员" in in_committee[0]
