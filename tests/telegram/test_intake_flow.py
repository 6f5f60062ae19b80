"""Intake through Telegram: a repeated report folds into a support, an edited report is re-read."""
import pytest

from .conftest import COMMITTEE, GRID

pytestmark = pytest.mark.asyncio


async def test_a_second_report_of_the_same_problem_becomes_a_support(tgbot):
    await tgbot.say(GRID, "wang", "#报事 3栋门口路灯坏了")
    second = await tgbot.say(GRID, "li", "三栋楼下的路灯好几天不亮了 #报事")
    answers = [m for m in tgbot.sb.sent(GRID) if m.get("reply_to_message", {}).get("message_id") == second["message_id"]]
    assert len(answers) == 1 and "已附议 #1" in answers[0]["text"] and "现有 2 人反映" in answers[0]["text"]
    assert len(tgbot.sb.sent(COMMITTEE)) == 1  # no second card
    card = tgbot.sb.sent(COMMITTEE)[0]
    await tgbot.sb.wait_for(lambda: "2 人反映" in tgbot.sb.message(COMMITTEE, card["message_id"])["text"])


async def test_an_edited_report_is_read_again_until_it_is_claimed(tgbot):
    report = await tgbot.say(GRID, "wang", "#报事 5栋门口垃圾桶满了")
    before = tgbot.processed
    tgbot.sb.user_edits(GRID, report["message_id"], "#报事 5栋门口的路灯坏了，不是垃圾桶")
    await tgbot.sb.wait_for(lambda: tgbot.processed > before)
    await tgbot.settle()
    assert any("已按您修改后的内容更新 #1" in m["text"] and "公共设施" in m["text"] for m in tgbot.sb.sent(GRID))
    card = tgbot.sb.sent(COMMITTEE)[0]
    await tgbot.sb.wait_for(lambda: "公共设施" in tgbot.sb.message(COMMITTEE, card["message_id"])["text"])
