"""The playground's server as the page uses it: a visitor typing as personas, pressing the
bot's buttons, voting in its polls, moving time, loading the sample week, and bad input."""
from __future__ import annotations

import io
import re
from datetime import datetime, timedelta

import pytest
from openpyxl import load_workbook

pytestmark = pytest.mark.asyncio


def texts(messages: list[dict]) -> list[str]:
    return [re.sub(r"<[^>]+>", "", m["html"].replace("<br>", "\n")) for m in messages]


def button(messages: list[dict], label: str) -> tuple[str, str]:
    for m in reversed(messages):
        for row in m["buttons"]:
            for b in row:
                if b["text"] == label and b["data"]:
                    return m["id"], b["data"]
    raise AssertionError(f"no button {label!r} in {[[b['text'] for r in m['buttons'] for b in r] for m in messages]}")


async def test_the_page_knows_the_community_and_the_clock(page):
    state = await page.state()
    assert state["platform"] == "telegram" and state["busy"] is None
    roles = {p["handle"]: p["role"] for p in state["personas"]}
    assert roles["wang"] == "resident" and roles["liu"] == "member" and roles["ma"] == "coordinator"
    assert [c["kind"] for c in state["chats"]] == ["grid", "committee", "coordinators"]
    assert all(c["messages"] == [] for c in state["chats"])
    now = datetime.fromisoformat(state["clock"]["iso"])
    assert (now.hour, now.minute) == (9, 0) and state["clock"]["label"].endswith("09:00")


async def test_a_report_is_registered_and_a_member_claims_it_by_its_button(page):
    await page.say("grid-1", "wang", "#报事 3栋门口路灯坏了一周了，晚上看不清")
    grid = await page.chat("grid-1")
    assert grid[0]["from"] == {"name": "王阿姨", "handle": "wang", "bot": False}
    assert "#1" in texts(grid)[1] and grid[1]["from"]["bot"]
    assert grid[1]["reply_to"]["id"] == grid[0]["id"]  # the answer quotes the report
    card, claim = button(await page.chat("committee"), "接单")

    refused = await page.post("press", message=card, data=claim, **{"as": "wang"})
    assert refused["alert"] is True and refused["toast"]  # a resident may not claim
    answer = await page.post("press", message=card, data=claim, **{"as": "liu"})
    assert answer["alert"] is False and answer["toast"]
    card_now = next(m for m in await page.chat("committee") if m["id"] == card)
    assert "刘委员" in texts([card_now])[0]  # the card is edited in place: who claimed it
    assert any("刘委员" in t and "#1" in t for t in texts(await page.bot_said("grid-1"))[1:])


async def test_a_poll_is_voted_by_clicking_and_closes_when_time_passes_its_deadline(page):
    await page.say("grid-1", "li", "#报事 想申请加装电梯，大家商量商量")
    await page.say("committee", "liu", "/claim 1")
    await page.say("committee", "liu", "/deliberate 1 要不要加装电梯 同意/反对 2h")
    poll = next(m["poll"] for m in await page.chat("committee") if m["poll"])
    assert [o["text"] for o in poll["options"]] == ["同意", "反对"] and not poll["closed"]
    await page.post("vote", poll=poll["id"], options=[0], **{"as": "liu"})
    await page.post("vote", poll=poll["id"], options=[1], **{"as": "zhao"})
    poll = next(m["poll"] for m in await page.chat("committee") if m["poll"])
    assert poll["voters"] == {"liu": [0], "zhao": [1]} and poll["total"] == 2

    moved = await page.post("time", minutes=180)
    assert moved["clock"]["label"].endswith("12:00")
    poll = next(m["poll"] for m in await page.chat("committee") if m["poll"])
    assert poll["closed"]
    # the bot counted both clicks: 2 of 5 members voted, short of the quorum of 3
    assert any("#1" in t and "2/5" in t for t in texts(await page.bot_said("committee")))
    closed = await page.post("vote", 400, poll=poll["id"], options=[0], **{"as": "sun"})
    assert closed["error"] == "这个投票已经结束"


async def test_the_digest_comes_when_the_clock_reaches_the_morning(page):
    await page.say("grid-1", "wang", "#报事 垃圾桶满了没人清")
    moved = await page.post("time", to="08:30")
    at = datetime.fromisoformat(moved["clock"]["iso"])
    assert (at.hour, at.minute) == (8, 30)
    assert at.date() == (datetime.fromisoformat((await page.state())["clock"]["iso"]) - timedelta(minutes=1)).date()
    digest = texts(await page.bot_said("coordinators"))
    assert any("📊" in t for t in digest), digest


async def test_a_deep_link_opens_the_private_chat_and_a_private_report_stays_anonymous(page):
    await page.say("grid-1", "wang", "#报事 路灯坏了")
    grid = await page.chat("grid-1")
    url = next(b["url"] for m in grid for row in m["buttons"] for b in row if b["url"])
    opened = await page.post("open", url=url, **{"as": "chen"})
    assert opened["chat"] == "private"
    private = await page.chat("private-chen")
    assert texts(private)[0].startswith("/start") and private[1]["from"]["bot"]
    await page.say("private", "chen", "/report 匿名 5栋楼下有人飞线充电，电话 139 0000 5621")
    committee = texts(await page.bot_said("committee"))
    assert any("#2" in t for t in committee) and not any("陈奶奶" in t for t in committee)
    assert not any("139 0000 5621" in t or "13900005621" in t for t in committee)
    wrong = await page.post("open", 400, url="https://example.org/", **{"as": "chen"})
    assert "打不开" in wrong["error"]


async def test_bad_input_gets_a_clear_answer_and_changes_nothing(page):
    before = await page.state()
    cases = [
        ("say", dict(chat="grid-1", text="   ", **{"as": "wang"}), "不能为空"),
        ("say", dict(chat="nowhere", text="hi", **{"as": "wang"}), "没有这个聊天"),
        ("say", dict(chat="grid-1", text="hi", **{"as": "nobody"}), "身份"),
        ("say", dict(chat="grid-1", text="x" * 30000, **{"as": "wang"}), "太长"),
        ("say", dict(chat="grid-1", text="x" * 5000, **{"as": "wang"}), "Telegram 不接受"),
        ("vote", dict(poll="42", options=[0], **{"as": "liu"}), "没有这个投票"),
        ("vote", dict(poll="42", options=["a"], **{"as": "liu"}), "选项"),
        ("press", dict(message="committee:99", data="/claim 1", **{"as": "liu"}), "Telegram"),
        ("time", dict(minutes=-5), "往后"),
        ("time", dict(to="25:99"), "08:30"),
        ("time", dict(minutes=60 * 24 * 365), "两个月"),
    ]
    for action, body, said in cases:
        answer = await page.post(action, 400, **body)
        assert answer["ok"] is False and said in answer["error"], (action, body, answer)
        assert "Traceback" not in answer["error"]
    response = await page.client.post("/api/say", data=b"not json", headers={"Content-Type": "application/json"})
    assert response.status == 400 and "JSON" in (await response.json())["error"]
    assert (await page.client.post("/api/drop-tables", json={})).status == 404
    after = await page.state()
    assert after["chats"] == before["chats"] and after["private"] == before["private"]
    assert after["clock"] == before["clock"]


async def test_an_unknown_command_gets_the_bots_own_answer(page):
    await page.say("grid-1", "wang", "/飞上天 1")
    answer = texts(await page.bot_said("grid-1"))
    assert answer and "/帮助" in answer[-1] or "help" in answer[-1]


async def test_the_sample_week_fills_the_chats_and_its_files_open(page):
    await page.post("sample")
    state = await page.state()
    assert state["busy"] is None and state["clock"]["label"].startswith("3月")
    chats = {c["key"]: c["messages"] for c in state["chats"]}
    grid, committee = texts(chats["grid-1"]), texts(chats["committee"])
    assert any("#报事 3栋门口路灯坏了" in t for t in grid)
    assert any("#3" in t and "提案" in t for t in committee)  # the big matter went all the way
    polls = [m["poll"] for m in chats["committee"] if m["poll"]]
    assert polls and all(p["closed"] for p in polls)  # the sample's members vote with /vote
    files = [m["file"] for msgs in [*chats.values(), *state["private"].values()] for m in msgs if m["file"]]
    assert {f["image"] for f in files} == {True, False}, files
    for f in files:
        response = await page.client.get(f["url"])
        assert response.status == 200 and response.content_type == f["mime"]
        body = await response.read()
        if f["image"]:
            assert body.startswith(b"\x89PNG")
        else:
            sheets = load_workbook(io.BytesIO(body)).sheetnames
            assert len(sheets) >= 2, sheets
    assert (await page.client.get("/api/files/999")).status == 400

    await page.post("reset")
    state = await page.state()
    assert all(c["messages"] == [] for c in state["chats"]) and not any(state["private"].values())
    assert not state["clock"]["label"].startswith("3月2日")


async def test_an_action_while_the_sample_loads_is_told_to_wait(page):
    import asyncio
    loading = asyncio.create_task(page.post("sample"))
    await asyncio.sleep(0.3)
    state = await page.state()
    assert state["busy"] and "示例" in state["busy"]
    answer = await page.post("say", 400, chat="grid-1", text="#报事 test", **{"as": "wang"})
    assert "稍候" in answer["error"]
    await loading


async def test_wechat_is_text_only_with_the_same_answers(wechat_page):
    page = wechat_page
    state = await page.state()
    assert state["platform"] == "wechat" and "wechat" in state["platforms"]
    await page.say("grid-1", "wang", "#报事 3栋门口路灯坏了")
    grid = await page.chat("grid-1")
    assert "#1" in texts(grid)[1] and all(m["buttons"] == [] and m["poll"] is None for m in grid)
    await page.say("grid-1", "li", "#1 +1")
    assert any("附议" in t for t in texts(await page.bot_said("grid-1"))[1:])
    no_button = await page.post("press", 400, message=grid[1]["id"], data="/support 1", **{"as": "li"})
    assert "没有按钮" in no_button["error"]
    no_quote = await page.post("say", 400, chat="grid-1", text="+1", reply_to=grid[0]["id"], **{"as": "zhang"})
    assert "#12 +1" in no_quote["error"]
    await page.post("reset", platform="telegram")
    assert (await page.state())["platform"] == "telegram"
    await page.say("grid-1", "wang", "#报事 路灯坏了")
    assert (await page.chat("grid-1"))[1]["buttons"]  # Telegram again: buttons

