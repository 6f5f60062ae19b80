"""Reporting, supporting and claiming through Telegram, with the real PTB Application."""
import pytest

from .conftest import COMMITTEE, GRID, STRANGER

pytestmark = pytest.mark.asyncio


async def test_report_is_answered_in_thread_with_buttons_and_carded_in_the_committee(tgbot):
    report = await tgbot.say(GRID, "wang", "#报事 3栋门口路灯坏了一周了")
    acks = tgbot.sb.sent(GRID)
    assert len(acks) == 1
    ack = acks[0]
    assert ack["reply_to_message"]["message_id"] == report["message_id"]
    assert "#1" in ack["text"] and "公共设施" in ack["text"] and "幸福里网格" in ack["text"]
    buttons = [b for row in ack["reply_markup"]["inline_keyboard"] for b in row]
    assert [b["text"] for b in buttons] == ["附议 +1", "查看进度", "🤫 私聊匿名反映"]
    assert buttons[2]["url"] == "https://t.me/shangliang_bot?start=report"  # the deep link
    cards = tgbot.sb.sent(COMMITTEE)
    assert len(cards) == 1 and "王阿姨" in cards[0]["text"]
    committee_labels = [b["text"] for row in cards[0]["reply_markup"]["inline_keyboard"] for b in row]
    assert "接单" in committee_labels and "大事" in committee_labels


async def test_support_by_button_answers_with_a_toast_and_edits_the_card(tgbot):
    await tgbot.say(GRID, "wang", "#报事 3栋门口路灯坏了")
    ack = tgbot.sb.sent(GRID)[0]
    before = len(tgbot.sb.sent(GRID))
    tgbot.sb.press(GRID, ack["message_id"], tgbot.uid("li"), "/support 1")
    await tgbot.sb.wait_for(lambda: tgbot.sb.callback_answers)
    await tgbot.settle()
    answer = tgbot.sb.callback_answers[-1]
    assert "已附议 #1" in answer["text"] and not answer.get("show_alert")
    assert len(tgbot.sb.sent(GRID)) == before  # no new message in the group
    await tgbot.sb.wait_for(lambda: "2 人反映" in tgbot.sb.message(GRID, ack["message_id"])["text"])
    card = tgbot.sb.message(COMMITTEE, tgbot.sb.sent(COMMITTEE)[0]["message_id"])
    assert "2 人反映" in card["text"]


async def test_a_member_only_button_pressed_by_a_non_member_gets_an_alert_not_a_message(tgbot):
    await tgbot.say(GRID, "wang", "#报事 3栋门口路灯坏了")
    card = tgbot.sb.sent(COMMITTEE)[0]
    before = len(tgbot.sb.sent(COMMITTEE))
    tgbot.sb.press(COMMITTEE, card["message_id"], STRANGER, "/claim 1")
    await tgbot.sb.wait_for(lambda: tgbot.sb.callback_answers)
    await tgbot.settle()
    answer = tgbot.sb.callback_answers[-1]
    assert answer.get("show_alert") is True and "只有委员" in answer["text"]
    assert len(tgbot.sb.sent(COMMITTEE)) == before

    tgbot.sb.press(COMMITTEE, card["message_id"], tgbot.uid("liu"), "/claim 1")
    await tgbot.sb.wait_for(lambda: len(tgbot.sb.callback_answers) == 2)
    await tgbot.settle()
    assert "您已接单 #1" in tgbot.sb.callback_answers[-1]["text"]
    await tgbot.sb.wait_for(lambda: "已接单" in tgbot.sb.message(COMMITTEE, card["message_id"])["text"])
    assert any("刘委员 接单" in m["text"] for m in tgbot.sb.sent(GRID))


async def test_size_by_button_sets_the_size_and_urgent_alerts_the_coordinators(tgbot):
    from .conftest import COORDINATORS
    await tgbot.say(GRID, "wang", "#报事 5栋楼道有人飞线充电，电线垂到地上")
    card = tgbot.sb.sent(COMMITTEE)[0]
    tgbot.sb.press(COMMITTEE, card["message_id"], tgbot.uid("sun"), "/size 1 urgent")
    await tgbot.sb.wait_for(lambda: tgbot.sb.callback_answers)
    await tgbot.settle()
    assert "急事" in tgbot.sb.callback_answers[-1]["text"]
    await tgbot.sb.wait_for(lambda: "急事" in tgbot.sb.message(COMMITTEE, card["message_id"])["text"])
    alerts = [m["text"] for m in tgbot.sb.sent(COORDINATORS) if "急事 #1" in m["text"]]
    assert len(alerts) == 1
