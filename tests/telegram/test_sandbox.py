"""The Bot API sandbox, driven by the real python-telegram-bot (Bot and Application)."""
from __future__ import annotations

import asyncio
import json
import struct
import zlib

import aiohttp
import pytest
import pytest_asyncio
import telegram
from aiohttp import web
from telegram import InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import BadRequest, Conflict, Forbidden, NetworkError, RetryAfter, TimedOut
from telegram.ext import ApplicationBuilder, CallbackQueryHandler, MessageHandler, filters

from sandbox.telegram import BotApiSandbox

pytestmark = pytest.mark.asyncio

ANN, BO, CY = 1001, 1002, 1003
GROUP, FORUM = -1001000000001, -1001000000002


@pytest_asyncio.fixture
async def sb():
    async with BotApiSandbox() as sandbox:
        sandbox.add_user(ANN, "Ann", username="ann", language_code="zh")
        sandbox.add_user(BO, "Bo")
        sandbox.add_user(CY, "Cy")
        sandbox.add_chat(ANN, "private", user_id=ANN)
        sandbox.add_chat(GROUP, "supergroup", title="网格一群")
        sandbox.add_chat(FORUM, "supergroup", title="议事会", is_forum=True)
        yield sandbox


@pytest_asyncio.fixture
async def bot(sb):
    async with telegram.Bot(sb.token, base_url=f"{sb.url}/bot", base_file_url=f"{sb.url}/file/bot") as b:
        yield b


def keyboard(*data: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[InlineKeyboardButton(d.upper(), callback_data=d) for d in data]])


def png(width: int, height: int) -> bytes:
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
    raw = b"".join(b"\x00" + b"\x00\x00\x00" * width for _ in range(height))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


async def raw_call(sb, method: str, **fields) -> tuple[int, dict]:
    async with aiohttp.ClientSession() as session:
        async with session.post(f"{sb.url}/bot{sb.token}/{method}", data=fields) as resp:
            return resp.status, await resp.json()


async def test_get_me(sb, bot):
    me = await bot.get_me()
    assert (me.id, me.username, me.is_bot) == (123456789, "shangliang_bot", True)
    assert [c.method for c in sb.calls] == ["getMe", "getMe"]  # Bot.initialize() calls it too
    assert sb.errors == []


async def test_send_edit_reply_with_inline_keyboard(sb, bot):
    said = sb.user_says(ANN, ANN, "/start")
    assert said["entities"] == [{"type": "bot_command", "offset": 0, "length": 6}]
    sent = await bot.send_message(ANN, "  选一个  ", reply_markup=keyboard("yes", "no"),
                                  reply_parameters=telegram.ReplyParameters(said["message_id"]))
    assert (sent.message_id, sent.text) == (2, "选一个")  # ids count per chat; Telegram trims text
    assert sent.reply_to_message.text == "/start"
    assert sent.reply_markup.inline_keyboard[0][1].callback_data == "no"
    edited = await bot.edit_message_text("已选", chat_id=ANN, message_id=2, reply_markup=keyboard("undo"))
    assert edited.edit_date is not None
    with pytest.raises(BadRequest, match="(?i)message is not modified"):
        await bot.edit_message_text("已选", chat_id=ANN, message_id=2, reply_markup=keyboard("undo"))
    await bot.edit_message_text("完成", chat_id=ANN, message_id=2)  # no reply_markup: keyboard goes
    assert "reply_markup" not in sb.message(ANN, 2)
    await bot.edit_message_reply_markup(ANN, 2, reply_markup=keyboard("again"))
    assert [m["text"] for m in sb.sent(ANN)] == ["完成"]
    assert sb.sent(ANN)[0]["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == "again"
    with pytest.raises(BadRequest, match="(?i)message to be replied not found"):
        await bot.send_message(ANN, "x", reply_parameters=telegram.ReplyParameters(99))
    orphan = await bot.send_message(ANN, "x", reply_parameters=telegram.ReplyParameters(99, allow_sending_without_reply=True))
    assert orphan.reply_to_message is None
    assert await bot.delete_message(ANN, orphan.message_id)
    assert len(sb.sent(ANN)) == 1
    with pytest.raises(BadRequest, match="(?i)message to delete not found"):
        await bot.delete_message(ANN, orphan.message_id)
    assert sb.errors == []


async def test_poll_sent_voted_stopped(sb, bot):
    message = await bot.send_poll(GROUP, "加装电梯？", ["同意", "反对", "再议"], is_anonymous=False)
    poll_id = message.poll.id
    assert sb.calls_to("sendPoll")[0].params["options"] == [{"text": "同意"}, {"text": "反对"}, {"text": "再议"}]
    sb.vote(poll_id, ANN, [0])
    sb.vote(poll_id, BO, [1])
    sb.vote(poll_id, ANN, [2])   # changing a vote is allowed in regular polls
    sb.vote(poll_id, BO, [])     # retracted
    updates = await bot.get_updates(timeout=0)
    answers = [u.poll_answer for u in updates if u.poll_answer]
    assert [(a.user.id, a.option_ids) for a in answers] == [(ANN, (0,)), (BO, (1,)), (ANN, (2,)), (BO, ())]
    assert updates[-1].poll.total_voter_count == 1
    assert sb.polls[poll_id]["options"][2]["voter_count"] == 1
    stopped = await bot.stop_poll(GROUP, message.message_id)
    assert stopped.is_closed and [o.voter_count for o in stopped.options] == [0, 0, 1]
    with pytest.raises(BadRequest, match="(?i)already been closed"):
        await bot.stop_poll(GROUP, message.message_id)
    with pytest.raises(ValueError, match="closed"):
        sb.vote(poll_id, CY, [0])
    anonymous = await bot.send_poll(GROUP, "周末开会？", ["好", "不好"], open_period=60)
    assert anonymous.poll.is_anonymous and anonymous.poll.close_date is not None
    sb.vote(anonymous.poll.id, CY, [1])
    sb.close_poll(anonymous.poll.id)  # as if its open_period ran out
    later = await bot.get_updates(offset=updates[-1].update_id + 1)
    # stopPoll's `poll` update; the anonymous vote gives a `poll` update only; then the closing
    assert [(u.poll.id, u.poll.is_closed) for u in later] == [
        (poll_id, True), (anonymous.poll.id, False), (anonymous.poll.id, True)]
    assert sb.message(GROUP, anonymous.message_id)["poll"]["options"][1]["voter_count"] == 1
    assert sb.errors == []


async def test_application_echoes_and_answers_callbacks(sb):
    app = ApplicationBuilder().token(sb.token).base_url(f"{sb.url}/bot").base_file_url(f"{sb.url}/file/bot").build()

    async def echo(update, context):
        await update.message.reply_text(f"回声：{update.message.text}", reply_markup=keyboard("ok"))

    async def pressed(update, context):
        await update.callback_query.answer(f"收到 {update.callback_query.data}")

    app.add_handler(MessageHandler(filters.TEXT, echo))
    app.add_handler(CallbackQueryHandler(pressed))
    async with app:
        await app.start()
        await app.updater.start_polling(poll_interval=0, timeout=1)
        sb.user_says(GROUP, BO, "路灯坏了")
        await sb.wait_for(lambda: sb.sent(GROUP))
        reply = sb.sent(GROUP)[0]
        assert reply["text"] == "回声：路灯坏了" and reply["reply_to_message"]["from"]["id"] == BO
        query_id = sb.press(GROUP, reply["message_id"], CY, "ok")
        await sb.wait_for(lambda: sb.callback_answers)
        await app.updater.stop()
        await app.stop()
    assert sb.callback_answers == [{"callback_query_id": query_id, "text": "收到 ok"}]
    methods = [c.method for c in sb.calls]
    assert methods[:3] == ["getMe", "deleteWebhook", "getUpdates"]
    assert sb.calls[1].params == {}  # PTB's bootstrap sends no drop_pending_updates
    last = sb.calls_to("getUpdates")[-1].params
    assert last == {"offset": sb.updates[-1]["update_id"] + 1, "timeout": 0}  # confirms at shutdown
    assert sb.errors == []


async def test_forum_topics(sb, bot):
    topic = await bot.create_forum_topic(FORUM, "停车管理")
    assert topic.name == "停车管理" and topic.message_thread_id == 1
    assert sb.topics[FORUM][0]["name"] == "停车管理"
    inside = await bot.send_message(FORUM, "本话题讨论停车", message_thread_id=topic.message_thread_id)
    assert inside.is_topic_message and inside.message_thread_id == 1
    said = sb.user_says(FORUM, ANN, "东门车位不够", thread_id=1)
    assert said["reply_to_message"]["forum_topic_created"]["name"] == "停车管理"
    update = (await bot.get_updates())[0]
    assert update.message.message_thread_id == 1 and update.message.is_topic_message
    with pytest.raises(BadRequest, match="(?i)the chat is not a forum"):
        await bot.create_forum_topic(GROUP, "不行")
    with pytest.raises(BadRequest, match="(?i)message thread not found"):
        await bot.send_message(FORUM, "x", message_thread_id=77)
    assert sb.errors == []


async def test_document_and_photo_uploads(sb, bot):
    document = await bot.send_document(GROUP, b"concern,status\n12,open\n", filename="ledger.csv",
                                       caption="台账")
    assert document.document.file_name == "ledger.csv" and document.document.file_size == 23
    upload = sb.calls_to("sendDocument")[0].params["document"]
    assert (upload.filename, upload.size) == ("ledger.csv", 23)
    photo = await bot.send_photo(GROUP, png(300, 200), filename="map.png")
    assert (photo.photo[-1].width, photo.photo[-1].height) == (300, 200)
    assert [m.get("caption") for m in sb.sent(GROUP)] == ["台账", None]
    downloaded = await (await bot.get_file(document.document.file_id)).download_as_bytearray()
    assert bytes(downloaded) == b"concern,status\n12,open\n"
    with pytest.raises(BadRequest, match="(?i)IMAGE_PROCESS_FAILED"):
        await bot.send_photo(GROUP, b"not an image", filename="x.png")
    assert sb.errors == []


async def test_commands_per_language_and_scope(sb, bot):
    default = [telegram.BotCommand("report", "报事"), telegram.BotCommand("help", "帮助")]
    assert await bot.set_my_commands(default)
    assert await bot.set_my_commands([telegram.BotCommand("report", "Report a concern")], language_code="en")
    assert await bot.set_my_commands([telegram.BotCommand("decide", "决定")],
                                     scope=telegram.BotCommandScopeChat(GROUP))
    assert sb.commands == {"": [{"command": "report", "description": "报事"}, {"command": "help", "description": "帮助"}],
                           "en": [{"command": "report", "description": "Report a concern"}]}
    assert [c.command for c in await bot.get_my_commands(language_code="en")] == ["report"]
    assert [c.command for c in await bot.get_my_commands(scope=telegram.BotCommandScopeChat(GROUP))] == ["decide"]
    with pytest.raises(BadRequest, match="(?i)BOT_COMMAND_INVALID"):  # Telegram refuses non-Latin commands
        await bot.set_my_commands([telegram.BotCommand("报事", "报事")])
    assert await bot.delete_my_commands(language_code="en")
    assert list(sb.commands) == [""]
    assert await bot.set_my_description("有事好商量") and sb.descriptions == {"": "有事好商量"}
    assert (await bot.get_my_short_description()).short_description == ""
    assert sb.errors == []


async def test_violations_are_refused_and_recorded(sb):
    status, body = await raw_call(sb, "sendMesage", chat_id="1", text="hi")
    assert status == 400 and body["description"].startswith("sandbox: sendMesage: unknown method")
    status, body = await raw_call(sb, "sendMessage", chat_id=str(GROUP), text="hi", silent="true")
    assert status == 400 and "unknown parameter" in body["description"] and "'silent'" in body["description"]
    status, body = await raw_call(sb, "sendMessage", chat_id=str(GROUP))
    assert status == 400 and "missing required parameter(s) text" in body["description"]
    status, body = await raw_call(sb, "sendMessage", chat_id=str(GROUP), text="hi", disable_notification="yes")
    assert status == 400 and "disable_notification" in body["description"]
    markup = json.dumps({"inline_keyboard": [[{"text": "a", "callback": "x"}]]})
    status, body = await raw_call(sb, "sendMessage", chat_id=str(GROUP), text="hi", reply_markup=markup)
    assert status == 400 and "unknown field 'callback'" in body["description"]
    status, body = await raw_call(sb, "sendSticker", chat_id=str(GROUP), sticker="CAAC")
    assert (status, body["error_code"]) == (501, 501)
    assert body["description"].startswith("sandbox: sendSticker is a Bot API method the sandbox does not implement")
    assert len(sb.errors) == 6 and sb.errors[0].startswith("sendMesage: unknown method")
    assert sb.sent() == []
    async with aiohttp.ClientSession() as session:  # a JSON body is checked the same way
        async with session.post(f"{sb.url}/bot{sb.token}/getUpdates", json={"timeout": "1"}) as resp:
            assert resp.status == 400 and "expected Integer" in (await resp.json())["description"]
    assert len(sb.errors) == 7


@pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")  # PTB's own RetryAfter
async def test_faults_surface_as_ptb_errors(sb, bot):
    sb.user_says(ANN, ANN, "hi")
    sb.fail("sendMessage", retry_after=3)
    with pytest.raises(RetryAfter) as info:
        await bot.send_message(ANN, "a")
    assert "Retry in 3 seconds" in str(info.value)  # parameters.retry_after reached PTB
    sb.fail("sendMessage", error_code=500)
    with pytest.raises(NetworkError, match="(?i)Internal Server Error"):
        await bot.send_message(ANN, "b")
    sb.fail("sendMessage", error_code=403)
    with pytest.raises(Forbidden, match="(?i)blocked"):
        await bot.send_message(ANN, "c")
    sb.slow("sendMessage", 0.5)
    with pytest.raises(TimedOut):
        await bot.send_message(ANN, "d", read_timeout=0.1)
    sb.drop("sendMessage", times=2)
    for _ in range(2):
        with pytest.raises(NetworkError):
            await bot.send_message(ANN, "e")
    await bot.send_message(ANN, "f")
    assert [m["text"] for m in sb.sent(ANN)] == ["d", "f"]  # a slow call took effect, the others did not
    assert sb.errors == []


async def test_forbidden_cases(sb, bot):
    sb.add_user(2001, "Dee")
    sb.add_chat(2001, "private")
    with pytest.raises(Forbidden, match="(?i)bot can't initiate conversation with a user"):
        await bot.send_message(2001, "hello")
    sb.user_says(2001, 2001, "/start")
    await bot.send_message(2001, "hello")
    sb.bot_status_changed(2001, "kicked", by_user=2001)
    with pytest.raises(Forbidden, match="(?i)bot was blocked by the user"):
        await bot.send_message(2001, "still there?")
    sb.bot_status_changed(GROUP, "left", by_user=ANN)
    with pytest.raises(Forbidden, match="(?i)bot was kicked from the group chat"):
        await bot.send_message(GROUP, "anyone?")
    updates = await bot.get_updates()
    changes = [(u.my_chat_member.chat.id, u.my_chat_member.new_chat_member.status) for u in updates if u.my_chat_member]
    assert changes == [(2001, "kicked"), (GROUP, "left")]
    sb.bot_status_changed(GROUP, "administrator", by_user=ANN)
    member = await bot.get_chat_member(GROUP, sb.bot["id"])
    assert member.status == "administrator" and member.can_manage_chat
    assert (await bot.get_chat_member(GROUP, CY)).status == "left"
    assert (await bot.get_chat(FORUM)).is_forum
    assert sb.errors == []


async def test_webhook_mode_posts_with_secret(sb, bot):
    received = []

    async def receive(request):
        received.append((request.headers.get("X-Telegram-Bot-Api-Secret-Token"), await request.json()))
        return web.Response()

    app = web.Application()
    app.router.add_post("/hook", receive)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        url = f"http://127.0.0.1:{site._server.sockets[0].getsockname()[1]}/hook"
        assert await bot.set_webhook(url, secret_token="s3cr3t-token")
        assert sb.webhook == {"url": url, "secret_token": "s3cr3t-token"}
        sb.user_says(GROUP, ANN, "#报事 楼道灯不亮")
        await sb.wait_for(lambda: received)
        secret, update = received[0]
        assert secret == "s3cr3t-token" and update["message"]["text"] == "#报事 楼道灯不亮"
        assert telegram.Update.de_json(update, bot).message.entities[0].type == "hashtag"
        assert (await bot.get_webhook_info()).pending_update_count == 0
        with pytest.raises(Conflict, match="(?i)webhook is active"):
            await bot.get_updates()
        assert await bot.delete_webhook()
        assert sb.webhook is None and await bot.get_updates() == ()
    finally:
        await runner.cleanup()
    assert sb.errors == []


async def test_text_rules_like_telegram(sb, bot):
    with pytest.raises(BadRequest, match="(?i)message text is empty"):
        await bot.send_message(GROUP, " \n ")
    with pytest.raises(BadRequest, match="(?i)message is too long"):
        await bot.send_message(GROUP, "长" * 4097)
    await bot.send_message(GROUP, "长" * 4096)
    with pytest.raises(BadRequest, match="(?i)can't parse entities"):
        await bot.send_message(GROUP, "1 < 2 <b>ok</b>", parse_mode="HTML")
    html = await bot.send_message(GROUP, "<b>第12号</b> &lt;已办结&gt;", parse_mode="HTML")
    assert html.text == "第12号 <已办结>" and html.entities[0].type == "bold" and html.entities[0].length == 4
    with pytest.raises(BadRequest, match="(?i)reserved"):
        await bot.send_message(GROUP, "第12号. 已办结", parse_mode="MarkdownV2")
    md = await bot.send_message(GROUP, "*第12号*\\. 已办结", parse_mode="MarkdownV2")
    assert md.text == "第12号. 已办结" and md.entities[0].type == "bold"
    said = sb.user_says(GROUP, ANN, "/report匿名 东门")  # glued to CJK: no command entity, like tdlib
    assert "entities" not in said
    said = sb.user_says(GROUP, ANN, "/support@shangliang_bot 12 👍 @ann 见 https://example.org/a?b=1。")
    assert [(e["type"], e["offset"], e["length"]) for e in said["entities"]] == [
        ("bot_command", 0, 23), ("mention", 30, 4), ("url", 37, 25)]  # UTF-16: the emoji counts 2
    assert sb.errors == []


async def test_get_updates_offsets_and_long_poll(sb, bot):
    first = sb.user_says(GROUP, ANN, "一")
    sb.user_says(GROUP, BO, "二")
    updates = await bot.get_updates()
    assert [u.message.text for u in updates] == ["一", "二"]
    assert len(await bot.get_updates()) == 2  # not confirmed yet
    assert await bot.get_updates(offset=updates[-1].update_id + 1) == ()
    sb.user_edits(GROUP, first["message_id"], "一（改）")
    sb.press(GROUP, (await bot.send_message(GROUP, "?", reply_markup=keyboard("y"))).message_id, CY, "y")
    only = await bot.get_updates(allowed_updates=["edited_message"])
    assert [u.edited_message.text for u in only] == ["一（改）"]  # the callback query was dropped
    waiting = asyncio.create_task(bot.get_updates(offset=only[-1].update_id + 1, timeout=5, allowed_updates=[]))
    await sb.wait_for(lambda: len(sb.calls_to("getUpdates")) == 5)
    sb.user_says(GROUP, CY, "三")
    assert [u.message.text for u in await asyncio.wait_for(waiting, 2)] == ["三"]
    assert sb.errors == []


async def test_privacy_mode_filters_group_messages():
    async with BotApiSandbox(privacy_mode=True) as sb:
        sb.add_user(ANN, "Ann")
        sb.add_chat(GROUP, "supergroup", title="g")
        async with telegram.Bot(sb.token, base_url=f"{sb.url}/bot") as bot:
            assert (await bot.get_me()).can_read_all_group_messages is False
            sb.user_says(GROUP, ANN, "#报事 没有命令")
            sb.user_says(GROUP, ANN, "/help")
            sb.user_says(GROUP, ANN, "/help@other_bot")
            sb.user_says(GROUP, ANN, "问一下 @shangliang_bot")
            assert [u.message.text for u in await bot.get_updates()] == ["/help", "问一下 @shangliang_bot"]
        assert sb.errors == []


async def test_a_client_hanging_up_mid_request_is_no_sandbox_error():
    """A bot killed while it sends (the crash tests SIGKILL one) leaves a half-read request:
    the sandbox notes the hang-up; its own errors stay for its own bugs."""
    import asyncio
    from urllib.parse import urlsplit

    from sandbox.telegram import BotApiSandbox

    sb = BotApiSandbox()
    await sb.start()
    try:
        url = urlsplit(sb.url)
        reader, writer = await asyncio.open_connection(url.hostname, url.port)
        writer.write((f"POST /bot{sb.token}/sendMessage HTTP/1.1\r\nHost: x\r\n"
                      "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 500\r\n\r\n"
                      "chat_id=1&text=half").encode())
        await writer.drain()
        await asyncio.sleep(0.2)
        writer.transport.abort()  # gone, as a killed process is
        for _ in range(50):
            if sb.disconnects:
                break
            await asyncio.sleep(0.05)
        assert sb.disconnects == 1 and sb.errors == []
    finally:
        await sb.stop()
