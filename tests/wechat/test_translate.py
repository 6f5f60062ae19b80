"""WeChat payloads → Incoming: what the bot takes in a group, and what it leaves alone."""
from datetime import datetime, timezone

from . import require_wechaty

require_wechaty()

from bot.wechat.translate import from_payload, strip_mention  # noqa: E402

TAGS = ("#报事", "#建议")


def payload(text, *, room="r1@chatroom", sender="wxid_wang", mentioned=False, kind=6, **kw):
    return {"id": "m1", "room_id": room, "from_id": sender, "from_name": "王阿姨", "to_id": "", "text": text,
            "type": kind, "timestamp": 1772413200, "mentioned": mentioned, "self_id": "wxid_bot",
            "self_names": ["商量助手", "居委会小商"], **kw}


def test_a_tagged_report_in_a_room_is_taken_with_its_ids():
    incoming = from_payload(payload("路灯坏了 ＃报事"), TAGS)
    assert incoming.platform == "wechat" and incoming.chat_id == "r1@chatroom" and incoming.sender_id == "wxid_wang"
    assert incoming.message_id == incoming.update_id == "m1" and not incoming.private
    assert incoming.sender_name == "王阿姨" and incoming.text == "路灯坏了 ＃报事"
    assert incoming.at == datetime(2026, 3, 2, 1, 0, tzinfo=timezone.utc)


def test_commands_are_taken_and_chatter_is_not():
    assert from_payload(payload("／进度 12"), TAGS).text == "／进度 12"
    assert from_payload(payload("今天天气不错"), TAGS) is None
    assert from_payload(payload("+1"), TAGS) is None  # no quoted replies on WeChat: support is /附议


def test_a_mention_is_taken_and_cut_from_the_text():
    assert from_payload(payload("@商量助手\u2005/帮助", mentioned=True), TAGS).text == "/帮助"
    assert from_payload(payload("@居委会小商 路灯坏了", mentioned=True), TAGS).text == "路灯坏了"
    assert from_payload(payload("@商量助手\u2005", mentioned=True), TAGS) is None  # nothing left to say
    assert strip_mention("@改过名的机器人\u2005/我的", ["商量助手"]) == "/我的"
    assert strip_mention("请 @商量助手\u2005 看看 /进度 3", ["商量助手"]) == "请 看看 /进度 3"
    assert strip_mention("@a.b\u2005x", ["a.b"]) == "x"  # names are not patterns


def test_private_messages_are_always_for_the_bot():
    incoming = from_payload(payload("路灯坏了", room=""), TAGS)
    assert incoming.private and incoming.chat_id == "wxid_wang"
    picture = from_payload(payload("<msg><img/></msg>", room="", kind=5), TAGS)
    assert picture.media and picture.text == ""


def test_the_bots_own_messages_and_other_kinds_are_ignored():
    assert from_payload(payload("#报事 x", sender="wxid_bot"), TAGS) is None
    assert from_payload(payload("#报事 x", kind=14), TAGS) is None  # a link card
    assert from_payload(payload("#报事 x", sender=""), TAGS) is None
