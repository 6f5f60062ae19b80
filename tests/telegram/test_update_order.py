"""Several processes on one database (webhook mode behind a load balancer): a person's
updates take effect in the order they came, whichever process stored them, and an update
handled by one process is skipped by the other without a second answer.

"Another process" is played by storing an update in the shared inbox without this bot
seeing it, as a process that received it and has not got to it yet would have; later that
process handles its copy (``process_update``).
"""
from __future__ import annotations

import pytest
from sqlalchemy import select
from telegram import Update

from storage.models import InboundUpdate, Vote

from .conftest import COMMITTEE, GRID

pytestmark = pytest.mark.asyncio


async def open_poll(tgbot) -> dict:
    await tgbot.say(GRID, "wang", "#报事 3栋想加装电梯，老人爬楼太难")
    await tgbot.say(COMMITTEE, "liu", "/claim 1")
    await tgbot.say(COMMITTEE, "liu", "/deliberate 1 是否支持3栋加装电梯 同意/反对/再议 48h")
    [message] = [m for m in tgbot.sb.sent(COMMITTEE) if "poll" in m]
    return message["poll"]


def vote_update(tgbot, update_id: int, poll: dict, handle: str, option: int) -> dict:
    """A poll answer as Telegram sends it (what the sandbox would have made)."""
    user = {"id": tgbot.uid(handle), "is_bot": False, "first_name": handle}
    return {"update_id": update_id, "poll_answer": {
        "poll_id": poll["id"], "user": user, "option_ids": [option],
        "option_persistent_ids": [poll["options"][option]["persistent_id"]]}}


def votes(tgbot) -> dict[str, str]:
    with tgbot.app.sessions() as s:
        return {v.person.handle: v.option.text for v in s.scalars(select(Vote))}


def unhandled(tgbot) -> int:
    with tgbot.app.sessions() as s:
        return len(s.scalars(select(InboundUpdate.id).where(InboundUpdate.handled_at.is_(None))).all())


async def test_a_changed_vote_wins_when_the_first_vote_waits_in_another_process(tgbot):
    poll = await open_poll(tgbot)
    first = vote_update(tgbot, 880001, poll, "zhao", 0)  # 同意, received by the other process
    assert await tgbot.runtime.inbox.store("telegram", "880001", first, str(tgbot.uid("zhao")))

    tgbot.sb.vote(poll["id"], tgbot.uid("zhao"), [1])  # then zhao changes to 反对: this process gets it
    await tgbot.sb.wait_for(lambda: votes(tgbot).get("zhao") == "反对" and unhandled(tgbot) == 0)

    # the other process reaches its copy of the first vote at last: handled already, skipped
    await tgbot.runtime.application.process_update(Update.de_json(first, tgbot.runtime.application.bot))
    await tgbot.settle()
    assert votes(tgbot) == {"zhao": "反对"}


async def test_someone_elses_earlier_update_does_not_hold_up_or_reorder_anyone(tgbot):
    poll = await open_poll(tgbot)
    waiting = vote_update(tgbot, 880002, poll, "sun", 2)  # sun's vote, still waiting elsewhere
    assert await tgbot.runtime.inbox.store("telegram", "880002", waiting, str(tgbot.uid("sun")))
    tgbot.sb.vote(poll["id"], tgbot.uid("zhao"), [0])
    await tgbot.sb.wait_for(lambda: votes(tgbot) == {"zhao": "同意"})
    assert unhandled(tgbot) == 1  # sun's is the other process's to handle, when it gets there
    await tgbot.runtime.application.process_update(Update.de_json(waiting, tgbot.runtime.application.bot))
    assert votes(tgbot) == {"zhao": "同意", "sun": "再议"}


async def test_a_button_press_handled_by_another_process_is_not_answered_twice(tgbot):
    await tgbot.say(GRID, "wang", "#报事 3栋门口路灯坏了")
    [ack] = tgbot.sb.sent(GRID)
    tgbot.sb.press(GRID, ack["message_id"], tgbot.uid("li"), "/support 1")
    await tgbot.sb.wait_for(lambda: tgbot.sb.calls_to("answerCallbackQuery"))
    await tgbot.settle()
    [press] = [u for u in tgbot.sb.updates if "callback_query" in u]

    # the same press reaches a second process too (a restart's leftovers, an earlier-first catch-up)
    await tgbot.runtime.application.process_update(Update.de_json(press, tgbot.runtime.application.bot))
    await tgbot.settle()
    [answer] = tgbot.sb.calls_to("answerCallbackQuery")
    assert "已附议 #1" in answer.params["text"]  # the one answer is the real one
    assert "现有 2 人反映" in tgbot.sb.message(GRID, ack["message_id"])["text"]
