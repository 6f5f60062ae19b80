"""六步议事法 through Telegram: the committee votes in a native poll, the plan is posted on
notice in the grid group, and then the residents of the grid vote with inline buttons
(toasts for them, an alert for anyone else) before the plan stands."""
from datetime import timedelta

import pytest
import pytest_asyncio
from sqlalchemy import select

from storage.models import Comment, Concern, Deliberation, Outcome, Vote

from .conftest import COMMITTEE, COORDINATORS, GRID, Bot, config_text, running_bot

pytestmark = pytest.mark.asyncio

SIX_STEPS = """
[deliberation]
public_notice = true
residents_vote = true
residents_quorum = 2
notice_period = "1h"
residents_vote_period = "1h"
"""
PLAN = "同意3栋申请加装电梯，费用按楼层分摊"


@pytest_asyncio.fixture
async def sixbot(tmp_path):
    """The conftest's bot, with the public notice and the residents' vote switched on."""
    async with running_bot(tmp_path, config_text() + SIX_STEPS) as bot:
        assert bot.app.config.settings.residents_vote
        assert bot.app.config.settings.notice_period == timedelta(hours=1)
        yield bot


def texts(bot: Bot, chat: int, part: str) -> list[dict]:
    return [m for m in bot.sb.sent(chat) if part in m.get("text", "")]


def state(bot: Bot) -> str:
    with bot.app.sessions() as s:
        return s.get(Concern, 1).state


def residents_votes(bot: Bot) -> dict[str, str]:
    with bot.app.sessions() as s:
        rows = s.scalars(select(Vote).join(Deliberation).where(Deliberation.kind == "residents"))
        return {v.person.handle: v.option.text for v in rows}


async def press(bot: Bot, message: dict, handle: str, data: str) -> dict:
    """A user presses a button under ``message``; returns the bot's answer to the press."""
    before = len(bot.sb.callback_answers)
    bot.sb.press(GRID, message["message_id"], bot.uid(handle), data)
    await bot.sb.wait_for(lambda: len(bot.sb.callback_answers) > before)
    await bot.settle()
    return bot.sb.callback_answers[-1]


async def committee_passes_the_plan(bot: Bot) -> None:
    """#1, a big matter: the committee votes 同意 in a native poll, liu records the plan
    (2026-03-03 09:00) and it goes on notice."""
    await bot.say(GRID, "wang", "#报事 3栋想加装电梯，老人爬楼太难")
    await bot.say(COMMITTEE, "liu", "/claim 1")
    await bot.say(COMMITTEE, "liu", "/size 1 大事")
    await bot.say(COMMITTEE, "liu", "/deliberate 1 是否支持3栋加装电梯 同意/反对/再议 24h")
    polls = [m for m in bot.sb.sent(COMMITTEE) if "poll" in m]
    assert len(polls) == 1
    for handle in ("liu", "zhao", "sun"):
        bot.sb.vote(polls[0]["poll"]["id"], bot.uid(handle), [0])
    await bot.sb.wait_for(lambda: len(committee_votes(bot)) == 3)
    await bot.advance(timedelta(hours=24))
    assert any("结果：同意" in m["text"] for m in texts(bot, COMMITTEE, "协商结束"))
    await bot.say(COMMITTEE, "liu", f"/decide 1 {PLAN}")


def committee_votes(bot: Bot) -> dict[str, str]:
    with bot.app.sessions() as s:
        rows = s.scalars(select(Vote).join(Deliberation).where(Deliberation.kind == "committee"))
        return {v.person.handle: v.option.text for v in rows}


async def test_residents_vote_by_button_after_the_notice_and_the_plan_stands(sixbot):
    bot = sixbot
    await committee_passes_the_plan(bot)

    # 张榜公示 in the grid group; a reply to it is a comment
    notices = texts(bot, GRID, "张榜公示 #1")
    assert len(notices) == 1
    assert f"拟定方案：{PLAN}" in notices[0]["text"] and "公示至 2026-03-03 10:00" in notices[0]["text"]
    assert state(bot) == "notice"
    await bot.say(GRID, "li", "支持：早该装了", reply_to=notices[0]["message_id"])
    with bot.app.sessions() as s:
        assert [(c.person.handle, c.position, c.text) for c in s.scalars(select(Comment))] == [
            ("li", "support", "早该装了")]
    assert not texts(bot, GRID, "居民表决")

    # the notice ends: the residents' vote card with its buttons
    await bot.advance(timedelta(hours=1))
    cards = texts(bot, GRID, "居民表决 #1")
    assert len(cards) == 1
    card = cards[0]
    assert "需至少 2 位本网格居民投票" in card["text"] and "截止 2026-03-03 11:00" in card["text"]
    keyboard = card["reply_markup"]["inline_keyboard"]
    assert [[(b["text"], b["callback_data"]) for b in row] for row in keyboard] == [
        [("1. 同意", "/vote 1 1")], [("2. 反对", "/vote 1 2")]]
    assert not texts(bot, COMMITTEE, "居民表决 #1")
    before = len(bot.sb.sent(GRID))

    answer = await press(bot, card, "wang", "/vote 1 1")
    assert answer["text"] == "✅ 已记录您对 #1 的投票：同意。截止（2026-03-03 11:00）前可以改。"
    assert not answer.get("show_alert")
    answer = await press(bot, card, "li", "/vote 1 2")
    assert "已记录您对 #1 的投票：反对" in answer["text"] and not answer.get("show_alert")
    answer = await press(bot, card, "li", "/vote 1 1")  # changed her mind: still one vote
    assert answer["text"] == "✅ 您对 #1 的投票已改为：同意。" and not answer.get("show_alert")
    answer = await press(bot, card, "zhang", "/vote 1 2")
    assert "已记录您对 #1 的投票：反对" in answer["text"]

    # a committee member, who lives in no grid, gets an alert and no vote
    answer = await press(bot, card, "liu", "/vote 1 1")
    assert answer.get("show_alert") is True
    assert answer["text"] == "⚠️ 只有 幸福里网格 的居民可以参加这次居民表决。"

    assert residents_votes(bot) == {"wang": "同意", "li": "同意", "zhang": "反对"}
    assert len(bot.sb.sent(GRID)) == before  # presses are answered by toasts, not messages

    # the vote closes: the plan stands
    await bot.advance(timedelta(hours=1))
    passed = texts(bot, GRID, "居民表决通过")
    assert [m["text"] for m in passed] == [f"✅ #1 居民表决通过（3 人投票：同意 2，反对 1），方案生效：{PLAN}"]
    assert texts(bot, COMMITTEE, "居民表决通过")
    assert state(bot) == "decided"
    with bot.app.sessions() as s:
        outcome = s.scalars(select(Outcome)).one()
        assert outcome.residents_result == "通过：同意 2，反对 1（3 人投票）"
    answer = await press(bot, card, "wang", "/vote 1 2")  # too late now
    assert answer.get("show_alert") is True and "截止" in answer["text"]
    assert residents_votes(bot)["wang"] == "同意"
    assert bot.sb.errors == []


async def test_too_few_residents_send_the_plan_back_to_the_coordinators(sixbot):
    bot = sixbot
    await committee_passes_the_plan(bot)
    await bot.advance(timedelta(hours=1))
    card = texts(bot, GRID, "居民表决 #1")[0]
    await press(bot, card, "wang", "/vote 1 1")  # one resident, the quorum is two

    await bot.advance(timedelta(hours=1))

    failed = "⚠️ #1 居民表决未通过（1 人投票，需要 2：同意 1，反对 0），方案退回召集人重新研究。"
    for chat in (GRID, COMMITTEE, COORDINATORS):
        assert [m["text"] for m in texts(bot, chat, "居民表决未通过")] == [failed], chat
    assert state(bot) == "claimed"
    assert bot.sb.errors == []
