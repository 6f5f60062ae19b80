"""关注: supporters get progress privately until they ask not to, and can ask again."""
from __future__ import annotations

from datetime import timedelta

from tests.harness import texts_to


def reported_and_supported(h) -> None:
    h.say("grid-1", "wang", "#报事 3栋门口路灯坏了")
    h.say("grid-1", "li", "/support 1")
    h.say("grid-1", "zhang", "/support 1")
    h.say("committee", "liu", "/claim 1")
    h.say("committee", "liu", "/decide 1 请电工换灯")


def test_a_supporter_who_unfollows_gets_no_more_progress_but_still_counts(h):
    reported_and_supported(h)
    result, sent = h.say("grid-1", "li", "/unfollow 1")
    assert result.status == "done"
    assert "已取消关注 #1" in texts_to(sent, "grid-1")[0] and "附议仍然算数" in texts_to(sent, "grid-1")[0]

    _, sent = h.say("committee", "liu", "/progress 1 已联系电工，明天上午来修")
    assert texts_to(sent, "@li") == []
    assert any("明天上午来修" in text for text in texts_to(sent, "@zhang"))
    assert any("明天上午来修" in text for text in texts_to(sent, "@wang"))
    _, sent = h.say("grid-1", "li", "/status 1")
    assert "附议：2 人" in sent[0].text

    h.say("committee", "liu", "/resolve 1 灯泡已换")  # nor the survey
    asked = h.advance(timedelta(hours=25))
    assert sorted(m.to for m in asked if "您满意吗" in m.text) == ["@wang", "@zhang"]


def test_follow_turns_private_progress_back_on(h):
    reported_and_supported(h)
    h.say("grid-1", "li", "/取消关注 1")
    result, sent = h.say("private", "li", "/关注 1")
    assert result.status == "done" and "已关注 #1" in sent[0].text
    _, sent = h.say("committee", "liu", "/progress 1 电工已到")
    assert any("电工已到" in text for text in texts_to(sent, "@li"))


def test_follow_asks_for_support_first_and_the_reporter_always_hears(h):
    reported_and_supported(h)
    result, sent = h.say("grid-1", "chen", "/follow 1")
    assert result.status == "refused"
    assert "还没有附议 #1" in sent[0].text and "/support 1" in sent[0].text
    result, sent = h.say("grid-1", "wang", "/unfollow 1")
    assert result.status == "refused" and "是您反映的" in sent[0].text
    _, sent = h.say("committee", "liu", "/progress 1 已联系电工")
    assert any("已联系电工" in text for text in texts_to(sent, "@wang"))


def test_an_anonymous_reporter_trying_to_unfollow_in_the_group_is_answered_privately(h):
    h.say("private", "wang", "/report 匿名 3栋门口路灯坏了")
    result, sent = h.say("grid-1", "wang", "/unfollow 1")
    assert result.status == "refused"
    assert [m.to for m in sent] == ["@wang"]  # nothing in the group ties wang to #1
