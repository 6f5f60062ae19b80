"""A big matter through Telegram: native non-anonymous poll, votes and a changed vote, the
close at the deadline, comments from replies, progress pushed privately, a survey by button."""
from datetime import timedelta

import pytest
from sqlalchemy import select

from storage.models import Comment, Concern, Deliberation, Vote

from .conftest import COMMITTEE, COORDINATORS, GRID

pytestmark = pytest.mark.asyncio


async def open_big_matter(tgbot) -> dict:
    await tgbot.say(GRID, "wang", "#报事 3栋想加装电梯，老人爬楼太难")
    await tgbot.say(COMMITTEE, "liu", "/claim 1")
    await tgbot.say(COMMITTEE, "liu", "/size 1 大事")
    await tgbot.say(COMMITTEE, "liu", "/deliberate 1 是否支持3栋加装电梯 同意/反对/再议 48h")
    polls = [m for m in tgbot.sb.sent(COMMITTEE) if "poll" in m]
    assert len(polls) == 1
    return polls[0]


async def test_native_poll_votes_change_and_close_at_the_deadline(tgbot):
    message = await open_big_matter(tgbot)
    poll = message["poll"]
    assert poll["is_anonymous"] is False
    assert [o["text"] for o in poll["options"]] == ["同意", "反对", "再议"]
    card = [m for m in tgbot.sb.sent(COMMITTEE) if "协商 #1" in m.get("text", "")]
    assert card and "reply_markup" not in card[0]  # the poll replaces the vote buttons

    for handle, options in [("liu", [0]), ("zhao", [0]), ("sun", [1]), ("sun", [0]), ("ma", [2])]:
        tgbot.sb.vote(poll["id"], tgbot.uid(handle), options)
    await tgbot.sb.wait_for(lambda: votes(tgbot) == {"liu": "同意", "zhao": "同意", "sun": "同意", "ma": "再议"})
    assert not [m for m in tgbot.sb.sent(COMMITTEE) if "已记录您对" in m.get("text", "")]  # no chatter

    tgbot.sb.vote(poll["id"], tgbot.uid("ma"), [])  # retracted
    await tgbot.sb.wait_for(lambda: "ma" not in votes(tgbot))

    await tgbot.advance(timedelta(hours=48))
    assert tgbot.sb.calls_to("stopPoll"), "the poll is stopped at the deadline"
    assert tgbot.sb.polls[poll["id"]]["is_closed"] is True
    results = [m["text"] for m in tgbot.sb.sent(COMMITTEE) if "协商结束" in m.get("text", "")]
    assert results and "同意 3" in results[0] and "3/4" in results[0]
    assert any("协商结束" in m["text"] for m in tgbot.sb.sent(COORDINATORS))
    with tgbot.app.sessions() as s:
        assert s.scalars(select(Deliberation.state)).one() == "closed"


def votes(tgbot) -> dict[str, str]:
    with tgbot.app.sessions() as s:
        return {v.person.handle: v.option.text for v in s.scalars(select(Vote))}


async def test_replies_to_the_card_and_the_poll_are_comments(tgbot):
    message = await open_big_matter(tgbot)
    card = tgbot.sb.sent(COMMITTEE)[0]
    await tgbot.say(COMMITTEE, "zhao", "支持：先问问一楼住户的意见", reply_to=card["message_id"])
    await tgbot.say(COMMITTEE, "sun", "反对：资金还没着落", reply_to=message["message_id"])
    with tgbot.app.sessions() as s:
        comments = [(c.person.handle, c.position, c.text) for c in s.scalars(select(Comment).order_by(Comment.id))]
    assert comments == [("zhao", "support", "先问问一楼住户的意见"), ("sun", "oppose", "资金还没着落")]


async def test_progress_reaches_the_reporter_privately_and_the_grid(tgbot):
    wang = tgbot.uid("wang")
    await tgbot.say(wang, "wang", "/start")  # a private chat with the bot, so it may write to her
    await tgbot.say(GRID, "wang", "#报事 3栋门口路灯坏了")
    await tgbot.say(COMMITTEE, "liu", "/claim 1")
    await tgbot.say(COMMITTEE, "liu", "/decide 1 本周更换灯泡")
    await tgbot.say(COMMITTEE, "liu", "/progress 1 电工明早到")
    assert any("电工明早到" in m["text"] for m in tgbot.sb.sent(wang))
    assert any("电工明早到" in m["text"] for m in tgbot.sb.sent(GRID))


async def test_survey_answered_by_button_closes_the_concern(tgbot):
    wang = tgbot.uid("wang")
    await tgbot.say(wang, "wang", "/start")
    await tgbot.say(GRID, "wang", "#报事 3栋门口路灯坏了")
    for text in ("/claim 1", "/decide 1 换灯泡", "/resolve 1 已换好"):
        await tgbot.say(COMMITTEE, "liu", text)
    await tgbot.advance(timedelta(hours=24))
    asks = [m for m in tgbot.sb.sent(wang) if "您满意吗" in m["text"]]
    assert len(asks) == 1
    labels = [b["text"] for row in asks[0]["reply_markup"]["inline_keyboard"] for b in row]
    assert labels == ["满意", "基本满意", "不满意"]
    tgbot.sb.press(wang, asks[0]["message_id"], wang, "/survey 1 1")
    await tgbot.sb.wait_for(lambda: tgbot.sb.callback_answers)
    await tgbot.settle()
    assert "感谢您对 #1 的评价：满意" in tgbot.sb.callback_answers[-1]["text"]
    with tgbot.app.sessions() as s:
        assert s.get(Concern, 1).state == "closed"
    assert any("已归档" in m["text"] for m in tgbot.sb.sent(GRID))


@pytest.mark.parametrize("tgbot", [True], indirect=True)
async def test_in_a_forum_committee_each_deliberation_gets_its_topic(tgbot):
    message = await open_big_matter(tgbot)
    topics = tgbot.sb.topics.get(COMMITTEE, [])
    assert len(topics) == 1 and topics[0]["name"].startswith("#1 ")
    thread = topics[0]["message_thread_id"]
    assert message.get("message_thread_id") == thread
    await tgbot.say(COMMITTEE, "zhao", "中立：等街道的补贴政策", thread_id=thread)
    with tgbot.app.sessions() as s:
        comments = [(c.person.handle, c.position) for c in s.scalars(select(Comment))]
    assert comments == [("zhao", "neutral")]


@pytest.mark.parametrize("tgbot", [True], indirect=True)
async def test_a_card_whose_send_fails_after_its_topic_opened_reuses_that_topic(tgbot):
    """The topic is opened, then sendMessage answers 500: the retry goes into the same topic."""
    sb = tgbot.sb
    await tgbot.say(GRID, "wang", "#报事 3栋想加装电梯，老人爬楼太难")
    await tgbot.say(COMMITTEE, "liu", "/claim 1")
    await tgbot.say(COMMITTEE, "liu", "/size 1 大事")
    sb.fail("sendMessage", error_code=500)  # the deliberation card, right after its topic was created
    await tgbot.say(COMMITTEE, "liu", "/deliberate 1 是否支持3栋加装电梯 同意/反对/再议 48h")
    await tgbot.advance(timedelta(seconds=6))  # past the retry delay
    topics = sb.topics.get(COMMITTEE, [])
    assert len(topics) == 1, topics
    cards = [m for m in sb.sent(COMMITTEE) if m.get("text", "").startswith("🗳 协商 #1")]
    assert len(cards) == 1 and cards[0].get("message_thread_id") == topics[0]["message_thread_id"]


async def test_a_poll_telegram_refuses_falls_back_to_buttons_and_the_opener_and_coordinators_are_told(tgbot):
    sb = tgbot.sb
    sb.fail("sendPoll", error_code=400, description="Bad Request: POLL_OPTION_DUPLICATE")
    await tgbot.say(tgbot.uid("liu"), "liu", "/start")  # the member has a private chat with the bot
    await tgbot.say(GRID, "wang", "#报事 3栋想加装电梯，老人爬楼太难")
    await tgbot.say(COMMITTEE, "liu", "/claim 1")
    await tgbot.say(COMMITTEE, "liu", "/size 1 大事")
    await tgbot.say(COMMITTEE, "liu", "/deliberate 1 是否支持3栋加装电梯 同意/反对/再议 48h")
    await tgbot.settle()
    assert [m for m in sb.sent(COMMITTEE) if "poll" in m] == []  # refused
    [fallback] = [m for m in sb.sent(COMMITTEE) if "没能以平台投票的形式发出" in m.get("text", "")]
    labels = [b["text"] for row in fallback["reply_markup"]["inline_keyboard"] for b in row]
    assert labels == ["1. 同意", "2. 反对", "3. 再议"]
    told = [m["text"] for m in sb.sent(tgbot.uid("liu")) if "没能以平台投票的形式发出" in m["text"]]
    assert told and "poll_option_duplicate" in told[0].lower()
    assert any("没能以平台投票的形式发出" in m["text"] for m in sb.sent(COORDINATORS))

    # the deliberation goes on: a member votes with the fallback's button
    data = fallback["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
    before = tgbot.processed
    sb.press(COMMITTEE, fallback["message_id"], tgbot.uid("zhao"), data)
    await sb.wait_for(lambda: tgbot.processed > before)
    await tgbot.settle()
    with tgbot.app.sessions() as s:
        assert len(s.scalars(select(Vote)).all()) == 1
