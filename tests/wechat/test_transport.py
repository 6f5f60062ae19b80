"""Typed deliveries → WeChat text: splitting, buttons as lines, files and polls, failures."""
from datetime import datetime, timezone

import pytest

from . import require_wechaty

require_wechaty()

from bot.delivery import Delivery, Edit, File, Poll, RetryLater, StopPoll, Target, Text  # noqa: E402
from bot.wechat.transport import WeChatTransport, split  # noqa: E402
from sandbox.wechat import MemoryPuppet  # noqa: E402

WHEN = datetime(2026, 3, 5, tzinfo=timezone.utc)


def delivery(message, row_id=1, to="r1@chatroom"):
    return Delivery(row_id, "reply", None, Target(to, "grid-1"), message)


def puppet():
    p = MemoryPuppet(echo_sent=False)
    p.add_room("r1@chatroom", "幸福里", [])
    p.logged_in = True
    return p


def test_long_texts_are_cut_at_paragraphs_then_lines_then_sentence_ends():
    paragraph = "一" * 60
    parts = split(f"{paragraph}\n\n{paragraph}\n\n{paragraph}", 130)
    assert parts == [f"{paragraph}\n\n{paragraph}", paragraph]
    parts = split("\n".join(["二" * 40] * 5), 100)
    assert all(len(p) <= 100 for p in parts) and [p.count("二") for p in parts] == [80, 80, 40]
    parts = split("三" * 50 + "。" + "四" * 60 + "！" + "五" * 30, 100)
    assert parts[0] == "三" * 50 + "。" and all(len(p) <= 100 for p in parts)
    assert [len(p) for p in split("六" * 250, 100)] == [100, 100, 50]


@pytest.mark.asyncio
async def test_buttons_become_lines_naming_their_commands():
    p = puppet()
    transport = WeChatTransport(p, pause=0)
    buttons = ((({"label": "附议", "command": "/附议 12"}), {"label": "进度", "command": "/进度 12"}),
               ({"label": "私下报事", "start": "report"},))
    receipt = await transport.send(delivery(Text("#12 路灯坏了", buttons)))
    [sent] = p.sent
    assert receipt.message_id == sent.message_id
    assert sent.text == "#12 路灯坏了\n\n回复「/附议 12」附议\n回复「/进度 12」进度\n私聊我发送「/report」私下报事"


@pytest.mark.asyncio
async def test_files_polls_and_edits_go_out_as_text_and_a_stop_sends_nothing():
    p = puppet()
    transport = WeChatTransport(p, pause=0)
    await transport.send(delivery(File("台账.xlsx", "application/vnd.ms-excel", b"x", "本月台账"), 1))
    await transport.send(delivery(Poll("#3 加装电梯？", ("同意", "反对"), False, WHEN), 2))
    await transport.send(delivery(Edit("m-1", "#3 已决定"), 3))
    assert (await transport.send(delivery(StopPoll("m-2", WHEN), 4))).message_id is None
    texts = [s.text for s in p.sent]
    assert texts[0].startswith("本月台账\n\n") and "台账.xlsx" in texts[0] and "暂不能在微信中发送" in texts[0]
    assert texts[1] == "#3 加装电梯？\n\n1. 同意\n2. 反对"
    assert texts[2] == "#3 已决定" and len(texts) == 3


@pytest.mark.asyncio
async def test_a_failure_is_retry_later_and_the_retry_resumes_with_the_part_that_failed():
    p = puppet()
    transport = WeChatTransport(p, max_text=60, pause=0, retry_seconds=7)
    text = "\n\n".join(["甲" * 50, "乙" * 50, "丙" * 50])
    p.fail_next_sends(1)
    with pytest.raises(RetryLater) as caught:
        await transport.send(delivery(Text(text)))
    assert caught.value.seconds == 7 and p.sent == []
    original = p.message_send_text
    calls = 0

    async def second_part_fails(conversation_id, message, mention_ids=None):
        nonlocal calls
        calls += 1
        if calls == 2:
            raise ConnectionError("dropped")
        return await original(conversation_id, message)

    p.message_send_text = second_part_fails
    with pytest.raises(RetryLater):
        await transport.send(delivery(Text(text)))
    receipt = await transport.send(delivery(Text(text)))
    assert [s.text for s in p.sent] == ["甲" * 50, "乙" * 50, "丙" * 50]  # each part once
    assert receipt.message_id == p.sent[0].message_id


@pytest.mark.asyncio
async def test_no_puppet_means_retry_later():
    with pytest.raises(RetryLater, match="not connected"):
        await WeChatTransport(None).send(delivery(Text("hi")))


@pytest.mark.asyncio
async def test_sends_keep_the_configured_pause():
    p = puppet()
    pauses = []

    async def sleep(seconds):
        pauses.append(seconds)

    transport = WeChatTransport(p, pause=2.0, sleep=sleep)
    await transport.send(delivery(Text("one"), 1))
    await transport.send(delivery(Text("two"), 2))
    assert len(pauses) == 1 and 1.9 < pauses[0] <= 2.0
