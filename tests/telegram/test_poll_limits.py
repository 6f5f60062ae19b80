"""Polls Telegram refuses: the sandbox answers sendPoll as Telegram does, and /协商 never gets
that far — it refuses the member first, and a long question is shortened for the poll only."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select
from telegram.error import BadRequest

from storage.models import Concern, Deliberation, OutboxMessage

from .conftest import COMMITTEE, GRID

pytestmark = pytest.mark.asyncio

QUESTION = "要不要在三栋东侧空地建设集中充电棚，由社区出面联系物业公司统一安装独立电表和自动断电保护装置，" * 9


def answer(tgbot) -> dict:
    return tgbot.sb.calls_to("sendPoll")[-1].answer


@pytest.mark.parametrize(("question", "options", "description"), [
    ("要不要换路灯？", ["同意", "同意", "反对"], "Bad Request: POLL_OPTION_DUPLICATE"),
    ("要不要换路灯？", ["同意", " 同意 ", "反对"], "Bad Request: POLL_OPTION_DUPLICATE"),  # Telegram trims
    ("要不要换路灯？", ["甲" * 100 + "一", "甲" * 100 + "二"], "Bad Request: poll options length must not exceed 100"),
    ("问" * 301, ["同意", "反对"], "Bad Request: poll question length must not exceed 300"),
    ("要不要换路灯？", [str(i) for i in range(13)], "Bad Request: poll can't have more than 12 options"),
    ("要不要换路灯？", ["同意", "  "], "Bad Request: text must be non-empty"),
    ("   ", ["同意", "反对"], "Bad Request: text must be non-empty"),
])
async def test_the_sandbox_refuses_polls_telegram_refuses(tgbot, question, options, description):
    bot = tgbot.runtime.application.bot
    with pytest.raises(BadRequest) as refusal:
        await bot.send_poll(COMMITTEE, question, options, is_anonymous=False)
    assert answer(tgbot) == {"ok": False, "error_code": 400, "description": description}
    # PTB drops the "Bad Request: " prefix and capitalizes the rest ("Poll_option_duplicate")
    assert description.lower() == "bad request: " + refusal.value.message.lower()
    assert not [m for m in tgbot.sb.sent(COMMITTEE) if "poll" in m]
    assert tgbot.sb.polls == {}


async def test_the_sandbox_takes_what_telegram_takes(tgbot):
    bot = tgbot.runtime.application.bot
    sent = await bot.send_poll(COMMITTEE, "问" * 300, ["甲" * 100, "同意吗"], is_anonymous=False)
    assert len(sent.poll.question) == 300 and [o.text for o in sent.poll.options] == ["甲" * 100, "同意吗"]


async def claimed_big_matter(tgbot) -> None:
    await tgbot.say(GRID, "wang", "#报事 3栋楼道的路灯坏了一个月")
    await tgbot.say(COMMITTEE, "liu", "/claim 1")
    await tgbot.say(COMMITTEE, "liu", "/size 1 大事")


def outbox_kinds(tgbot) -> list[str]:
    with tgbot.app.sessions() as s:
        return s.scalars(select(OutboxMessage.kind).order_by(OutboxMessage.id)).all()


async def test_deliberate_with_a_repeated_option_is_refused_and_no_poll_is_sent(tgbot):
    await claimed_big_matter(tgbot)
    before_grid, before_outbox = len(tgbot.sb.sent(GRID)), outbox_kinds(tgbot)

    await tgbot.say(COMMITTEE, "liu", "/协商 1 要不要换路灯 同意/同意/反对")

    last = tgbot.sb.sent(COMMITTEE)[-1]
    assert "选项重复：「同意」出现了 2 次" in last["text"]
    assert "例：/协商 1 要不要换路灯 同意/反对/再议" in last["text"]
    assert tgbot.sb.calls_to("sendPoll") == []
    assert not [m for m in tgbot.sb.sent(COMMITTEE) if "poll" in m or "协商 #1" in m.get("text", "")]
    assert len(tgbot.sb.sent(GRID)) == before_grid  # residents were told nothing
    assert outbox_kinds(tgbot) == before_outbox + ["reply:refused"]
    with tgbot.app.sessions() as s:
        assert s.get(Concern, 1).state == "claimed"
        assert s.scalar(select(func.count()).select_from(Deliberation)) == 0
        assert s.scalar(select(func.count()).select_from(OutboxMessage).where(OutboxMessage.state == "failed")) == 0

    # put right, the same member opens it and the poll goes out
    await tgbot.say(COMMITTEE, "liu", "/协商 1 要不要换路灯 同意/反对/再议")
    polls = [m for m in tgbot.sb.sent(COMMITTEE) if "poll" in m]
    assert len(polls) == 1 and [o["text"] for o in polls[0]["poll"]["options"]] == ["同意", "反对", "再议"]


async def test_a_long_question_is_whole_in_the_card_and_shortened_in_the_poll(tgbot):
    await claimed_big_matter(tgbot)
    await tgbot.say(COMMITTEE, "liu", f"/协商 1 {QUESTION} 同意/反对/再议 48h")

    sent = tgbot.sb.sent(COMMITTEE)
    cards = [i for i, m in enumerate(sent) if m.get("text", "").startswith("🗳 协商 #1")]
    polls = [i for i, m in enumerate(sent) if "poll" in m]
    assert len(cards) == 1 and len(polls) == 1 and cards[0] < polls[0]  # the card, then the poll under it
    assert QUESTION in sent[cards[0]]["text"]
    question = sent[polls[0]]["poll"]["question"]
    assert len(question) == 300 and question == "#1 " + QUESTION[:296] + "…"
    with tgbot.app.sessions() as s:
        assert s.scalars(select(Deliberation.question)).one() == QUESTION
        assert s.scalar(select(func.count()).select_from(OutboxMessage).where(OutboxMessage.state == "failed")) == 0
