"""How the bot presents itself and runs: the command menu, /start and /help in the user's
language, the deep link for private reports, webhook mode with its secret, the error handler,
and commands addressed to other bots."""
from __future__ import annotations

import json
import logging
import re
import socket
import time

import aiohttp
import pytest
import pytest_asyncio
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError

from bot.bootstrap import bootstrap
from bot.config import load
from bot.telegram.runtime import CAPABILITIES, UPDATES, TelegramRuntime
from sandbox.telegram import BotApiSandbox
from handlers.clock import SimulatedClock
from storage.models import Concern

from .conftest import COMMITTEE, COORDINATORS, GRID, START, USERS, Bot, config_text

pytestmark = pytest.mark.asyncio

CJK = re.compile(r"[\u4e00-\u9fff]")
ANN = 555  # an English-speaking resident the config does not know
MENU = ["report", "support", "status", "mine", "unfollow", "survey", "claim", "size", "deliberate", "vote",
        "decide", "progress", "resolve", "stats", "chart", "members", "export", "help"]
HELP_ZH = "🤝 有事好商量 — 居民可用"
HELP_EN = "🤝 shangliang: for residents"


async def says(bot: Bot, chat: int, user_id: int, text: str) -> dict:
    """Like ``Bot.say`` for a user who is not in the config."""
    before = bot.processed
    message = bot.sb.user_says(chat, user_id, text)
    await bot.sb.wait_for(lambda: bot.processed > before)
    await bot.settle()
    return message


def concern_count(bot: Bot) -> int:
    with bot.app.sessions() as s:
        return s.scalar(select(func.count()).select_from(Concern))


# --- a: the command menu ------------------------------------------------------------------
async def test_start_up_sets_a_chinese_menu_and_an_english_one_for_english_users(tgbot):
    sb = tgbot.sb
    assert set(sb.scoped_commands) == {("default", ""), ("default", "en")}
    zh, en = sb.commands[""], sb.commands["en"]
    assert [c["command"] for c in zh] == MENU
    assert [c["command"] for c in en] == MENU
    assert all(CJK.search(c["description"]) for c in zh), zh
    assert not any(CJK.search(c["description"]) for c in en), en
    assert {"command": "report", "description": "报事（私聊可匿名）"} in zh
    assert {"command": "help", "description": "帮助"} in zh
    assert {"command": "help", "description": "help"} in en


async def test_every_command_in_the_menu_is_one_the_bot_understands(tgbot):
    wang = tgbot.uid("wang")
    for name in MENU:
        before = len(tgbot.sb.sent(wang))
        await tgbot.say(wang, "wang", f"/{name}")
        answers = [m["text"] for m in tgbot.sb.sent(wang)[before:]]
        assert len(answers) == 1, (name, answers)
        assert "没有「/" not in answers[0], (name, answers[0])


# --- b/c: /start, /help and the deep link -------------------------------------------------
async def test_start_and_help_answer_in_chinese_for_a_chinese_user(tgbot):
    wang = tgbot.uid("wang")
    start = await tgbot.say(wang, "wang", "/start")
    await tgbot.say(wang, "wang", "/help")
    answers = tgbot.sb.sent(wang)
    assert len(answers) == 2
    assert all(a["text"].startswith(HELP_ZH) for a in answers), answers
    assert answers[0]["reply_to_message"]["message_id"] == start["message_id"]
    assert "委员可用" not in answers[0]["text"]  # a resident is not shown the members' commands

    liu = tgbot.uid("liu")
    await tgbot.say(liu, "liu", "/help")
    [member_help] = tgbot.sb.sent(liu)
    assert member_help["text"].startswith(HELP_ZH) and "委员可用" in member_help["text"]


async def test_start_and_help_answer_in_english_for_an_english_user(tgbot):
    tgbot.sb.add_user(ANN, "Ann", username="ann", language_code="en")
    await says(tgbot, ANN, ANN, "/start")
    await says(tgbot, ANN, ANN, "/help")
    answers = [m["text"] for m in tgbot.sb.sent(ANN)]
    assert len(answers) == 2
    assert all(a.startswith(HELP_EN) for a in answers), answers
    assert HELP_ZH not in "".join(answers)


async def test_the_deep_link_start_report_explains_anonymous_reporting(tgbot):
    wang = tgbot.uid("wang")
    await tgbot.say(wang, "wang", "/start report")
    [answer] = tgbot.sb.sent(wang)
    assert answer["text"].startswith("🤫") and "匿名" in answer["text"]
    assert "/report 匿名" in answer["text"]
    assert HELP_ZH not in answer["text"]

    tgbot.sb.add_user(ANN, "Ann", language_code="en")
    await says(tgbot, ANN, ANN, "/start report")
    [english] = tgbot.sb.sent(ANN)
    assert english["text"].startswith("🤫 Reports made here") and "/report 匿名" in english["text"]


# --- d: webhook mode ----------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest_asyncio.fixture
async def webhook_bot(tmp_path):
    """The bot in webhook mode: PTB's own webhook server (tornado) fed by the sandbox."""
    path = tmp_path / "config.toml"
    path.write_text(config_text(), "utf-8")
    sb = BotApiSandbox()
    await sb.start()
    for handle, (user_id, name) in USERS.items():
        sb.add_user(user_id, name, username=handle, language_code="zh-hans")
    sb.add_chat(GRID, "supergroup", title="幸福里居民群")
    sb.add_chat(COMMITTEE, "supergroup", title="议事委员会")
    sb.add_chat(COORDINATORS, "supergroup", title="联络组")
    app = bootstrap(load(path), clock=SimulatedClock(START), database_url=f"sqlite:///{tmp_path / 'bot.db'}",
                    platforms=("telegram",), caps=CAPABILITIES)
    runtime = TelegramRuntime(app, token=sb.token, base_url=sb.url, tick_seconds=3600)
    port = free_port()
    application = runtime.application
    await application.initialize()
    await runtime._post_init(application)
    await application.start()
    await application.updater.start_webhook(listen="127.0.0.1", port=port, url_path="telegram",
                                            webhook_url=f"http://127.0.0.1:{port}/telegram",
                                            secret_token="s3cret", allowed_updates=UPDATES)
    bot = Bot(sb, app, runtime)
    bot.webhook_url = f"http://127.0.0.1:{port}/telegram"
    try:
        yield bot
    finally:
        await application.updater.stop()
        await application.stop()
        await runtime._post_shutdown(application)
        await application.shutdown()
        app.close()
        await sb.stop()
    assert sb.errors == [], sb.errors


async def test_webhook_mode_registers_its_secret_and_acts_only_on_requests_that_carry_it(webhook_bot):
    bot, sb = webhook_bot, webhook_bot.sb
    assert sb.webhook == {"url": bot.webhook_url, "secret_token": "s3cret"}
    [hook] = sb.calls_to("setWebhook")
    assert hook.params["allowed_updates"] == UPDATES
    assert sb.calls_to("getUpdates") == []

    # a resident's report comes in through the webhook and is answered
    report = sb.user_says(GRID, bot.uid("wang"), "#报事 3栋门口路灯坏了一周了")
    await sb.wait_for(lambda: sb.sent(GRID) and sb.sent(COMMITTEE))
    await bot.settle()
    [ack] = sb.sent(GRID)
    assert ack["text"].startswith("📝 已登记 #1【公共设施】幸福里网格")
    assert ack["reply_to_message"]["message_id"] == report["message_id"]
    assert concern_count(bot) == 1

    # a forged update: refused without the right secret
    forged = {"update_id": 900001, "message": {
        "message_id": 4242, "date": int(time.time()),
        "chat": {"id": GRID, "type": "supergroup", "title": "幸福里居民群"},
        "from": {"id": bot.uid("li"), "is_bot": False, "first_name": "李叔"},
        "text": "#报事 伪造的报事"}}
    body = json.dumps(forged, ensure_ascii=False)
    sends = len(sb.calls_to("sendMessage"))
    async with aiohttp.ClientSession() as http:
        for headers in ({"X-Telegram-Bot-Api-Secret-Token": "wrong"}, {}):
            async with http.post(bot.webhook_url, data=body,
                                 headers={"Content-Type": "application/json", **headers}) as resp:
                assert resp.status == 403, headers
        assert bot.runtime.application.update_queue.qsize() == 0
        await bot.settle()
        assert concern_count(bot) == 1
        assert len(sb.calls_to("sendMessage")) == sends

        # the same body with the secret is taken: so the 403s above were about the secret alone
        async with http.post(bot.webhook_url, data=body, headers={
                "Content-Type": "application/json", "X-Telegram-Bot-Api-Secret-Token": "s3cret"}) as resp:
            assert resp.status == 200
    await sb.wait_for(lambda: len(sb.sent(GRID)) == 2)
    await bot.settle()
    assert sb.sent(GRID)[1]["text"].startswith("📝 已登记 #2")
    assert concern_count(bot) == 2


# --- e: the error handler -----------------------------------------------------------------
async def test_an_exception_in_a_callback_is_logged_apologised_for_and_the_bot_goes_on(tgbot, monkeypatch, caplog):
    async def broken(incoming, update):
        raise RuntimeError("dispatcher exploded")

    monkeypatch.setattr(tgbot.runtime, "_handle", broken)
    with caplog.at_level(logging.ERROR, logger="bot.telegram.runtime"):
        await tgbot.say(GRID, "wang", "#报事 3栋门口路灯坏了")
        await tgbot.sb.wait_for(lambda: tgbot.sb.sent(GRID))
    [apology] = tgbot.sb.sent(GRID)
    assert "抱歉" in apology["text"]
    assert tgbot.sb.sent(COMMITTEE) == []
    errors = [r for r in caplog.records if r.name == "bot.telegram.runtime" and r.levelno == logging.ERROR]
    assert len(errors) == 1
    assert errors[0].exc_info and errors[0].exc_info[0] is RuntimeError
    assert "Traceback" in caplog.text and "RuntimeError: dispatcher exploded" in caplog.text

    monkeypatch.undo()
    await tgbot.say(GRID, "wang", "#报事 3栋门口路灯坏了")
    texts = [m["text"] for m in tgbot.sb.sent(GRID)]
    assert len(texts) == 2 and texts[1].startswith("📝 已登记 #1")  # the failed attempt left no concern
    assert len(tgbot.sb.sent(COMMITTEE)) == 1


# --- f: commands for other bots -----------------------------------------------------------
async def test_a_command_for_another_bot_is_ignored_and_one_for_this_bot_answered(tgbot):
    await tgbot.say(GRID, "wang", "#报事 3栋门口路灯坏了")
    before = len(tgbot.sb.sent(GRID))
    await tgbot.say(GRID, "li", "/status@otherbot 1")
    await tgbot.say(GRID, "li", "／status@otherbot 1")  # a full-width slash does not make it ours
    await tgbot.say(GRID, "li", "/status＠otherbot 1")
    mine = await tgbot.say(GRID, "li", "/status@shangliang_bot 1")
    # updates are handled in order, so once the second is answered the first has been handled
    await tgbot.sb.wait_for(lambda: len(tgbot.sb.sent(GRID)) > before)
    new = tgbot.sb.sent(GRID)[before:]
    assert len(new) == 1, [m["text"] for m in new]
    assert new[0]["reply_to_message"]["message_id"] == mine["message_id"]
    assert new[0]["text"].startswith("#1【公共设施·小事】幸福里网格｜待接单")
    assert [c for c in tgbot.sb.calls_to("sendMessage") if "没有「/" in c.params["text"]] == []


async def test_webhook_answers_200_only_once_the_update_is_stored_and_handles_a_resend_once(webhook_bot, monkeypatch):
    bot, sb = webhook_bot, webhook_bot.sb
    update = {"update_id": 900002, "message": {
        "message_id": 4343, "date": int(time.time()),
        "chat": {"id": GRID, "type": "supergroup", "title": "幸福里居民群"},
        "from": {"id": bot.uid("li"), "is_bot": False, "first_name": "李叔"},
        "text": "#报事 5栋楼道的灯不亮"}}
    body = json.dumps(update, ensure_ascii=False)
    headers = {"Content-Type": "application/json", "X-Telegram-Bot-Api-Secret-Token": "s3cret"}
    real_store = bot.runtime.inbox._store

    def database_down(*args):
        raise OperationalError("INSERT", {}, Exception("connection refused"))
    monkeypatch.setattr(bot.runtime.inbox, "_store", database_down)
    async with aiohttp.ClientSession() as http:
        async with http.post(bot.webhook_url, data=body, headers=headers) as resp:
            assert resp.status != 200  # Telegram keeps the update and sends it again later
        await bot.settle()
        assert concern_count(bot) == 0

        monkeypatch.setattr(bot.runtime.inbox, "_store", real_store)
        for _ in range(2):  # the resend, and Telegram sending it once more
            async with http.post(bot.webhook_url, data=body, headers=headers) as resp:
                assert resp.status == 200
            await bot.settle()
    await sb.wait_for(lambda: sb.sent(GRID))
    assert concern_count(bot) == 1
    assert [m["text"][:9] for m in sb.sent(GRID) if m["text"].startswith("📝")] == ["📝 已登记 #1【"]  # answered once
