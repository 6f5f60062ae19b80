"""The WeChat runtime end to end: real Wechaty, in-memory puppet, real app and database."""
from __future__ import annotations

import asyncio
import time
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from . import require_wechaty

require_wechaty()

from bot.wechat import compat  # noqa: E402
from bot.wechat.runtime import WeChatStartError  # noqa: E402
from storage.models import Concern, InboundUpdate, OutboxMessage  # noqa: E402

from .conftest import COMMITTEE, GRID, new_puppet, running, wait_for  # noqa: E402

pytestmark = pytest.mark.asyncio


def count(app, model, *where) -> int:
    with app.sessions() as s:
        return s.scalar(select(func.count()).select_from(model).where(*where)) or 0


async def test_a_report_in_a_room_is_acknowledged_in_the_room(wxbot):
    wxbot.say(GRID, "wang", "#报事 3栋门口路灯坏了，晚上很黑")
    await wxbot.settle()
    acks = wxbot.puppet.sent_to(GRID)
    assert len(acks) == 1 and "#1" in acks[0], acks
    assert any("#1" in text for text in wxbot.puppet.sent_to(COMMITTEE))  # the committee's card
    assert count(wxbot.app, Concern) == 1
    # the bot's own messages came back as message events and were ignored
    assert count(wxbot.app, InboundUpdate, InboundUpdate.platform == "wechat") == 1


async def test_group_chatter_is_neither_stored_nor_answered_but_a_mention_is(wxbot):
    wxbot.say(GRID, "li", "今天菜场的青菜便宜")
    await wxbot.settle()
    assert wxbot.puppet.sent == [] and count(wxbot.app, InboundUpdate) == 0
    wxbot.say(GRID, "li", "/帮助", mention_bot=True)
    await wxbot.settle()
    assert len(wxbot.puppet.sent_to(GRID)) == 1


async def test_a_private_message_is_answered_privately(wxbot):
    wxbot.say(GRID, "wang", "#报事 楼道灯不亮")
    await wxbot.settle()
    wxbot.say_privately("wang", "/我的")
    await wxbot.settle()
    mine = wxbot.puppet.sent_to(wxbot.wxid("wang"))
    assert mine and "#1" in mine[-1], mine


async def test_a_failed_send_is_retried_from_the_outbox_with_nothing_lost_or_doubled(wxbot):
    wxbot.puppet.fail_next_sends(1)
    wxbot.say(GRID, "wang", "#报事 垃圾桶满了没人收")
    await wxbot.settle()
    failed = [r for r in rows(wxbot.app) if r.attempts == 1 and r.state == "pending"]
    assert len(failed) == 1 and failed[0].last_error and "SendFailed" in failed[0].last_error
    sent_before = len(wxbot.puppet.sent)
    await wxbot.advance(timedelta(seconds=11))
    assert all(r.state == "sent" for r in rows(wxbot.app))
    texts = [s.text for s in wxbot.puppet.sent]
    assert len(texts) == sent_before + 1 and len(set(texts)) == len(texts)  # the failed one, once
    assert sum("#1" in t for t in wxbot.puppet.sent_to(GRID)) == 1
    await wxbot.advance(timedelta(minutes=5))
    assert len(wxbot.puppet.sent) == len(texts)


def rows(app) -> list[OutboxMessage]:
    with app.sessions() as s:
        return list(s.scalars(select(OutboxMessage).where(OutboxMessage.platform == "wechat")
                              .order_by(OutboxMessage.id)))


async def test_a_message_delivered_twice_is_handled_once(wxbot):
    message_id = wxbot.say(GRID, "wang", "#报事 电梯异响")
    await wxbot.settle()
    wxbot.puppet.redeliver(message_id)  # in the same process: wechaty drops the id it has seen
    await asyncio.sleep(0.2)
    compat.forget_seen_messages()       # as after a restart: the inbox knows it was stored
    received = wxbot.runtime.received
    wxbot.puppet.redeliver(message_id)
    await wait_for(lambda: wxbot.runtime.received > received)
    await wxbot.settle()
    assert count(wxbot.app, Concern) == 1
    assert sum("#1" in t for t in wxbot.puppet.sent_to(GRID)) == 1
    assert not any("#2" in t for t in wxbot.puppet.sent_to(GRID))


async def test_a_message_stored_but_not_handled_before_a_crash_is_handled_at_the_next_start(wx_app, wechaty_cache):
    payload = {"id": "crashed-1", "room_id": GRID, "from_id": "wxid_wang", "from_name": "王阿姨", "to_id": "",
               "text": "#报事 水管漏水", "type": 6, "timestamp": wx_app.clock.now().timestamp(), "mentioned": False,
               "self_id": "wxid_bot", "self_names": ["商量助手"]}
    from bot.host import Host
    assert await Host(wx_app).inbox.store("wechat", "crashed-1", payload)
    async with running(wx_app, wechaty_cache) as bot:
        await bot.settle()
        assert count(wx_app, Concern) == 1
        assert any("#1" in t for t in bot.puppet.sent_to(GRID))


async def test_a_lost_stream_is_reconnected_and_messages_flow_again(wxbot):
    wxbot.puppet.drop_stream()
    await wait_for(lambda: wxbot.runtime.reconnects == 1 and wxbot.runtime.puppet is not None, what="the reconnect")
    assert len(wxbot.puppets) == 2
    wxbot.say(GRID, "wang", "#报事 井盖松动")
    await wxbot.settle()
    assert any("#1" in t for t in wxbot.puppets[-1].sent_to(GRID))


async def test_a_start_that_raises_ends_with_a_one_line_start_error(wx_app, wechaty_cache):
    began = time.monotonic()
    with pytest.raises(WeChatStartError) as caught:
        async with running(wx_app, wechaty_cache,
                           factory=lambda: new_puppet(wx_app, start_error=ConnectionRefusedError("connect to 127.0.0.1:1"))):
            pass
    assert time.monotonic() - began < 5
    message = str(caught.value)
    assert "\n" not in message and "ConnectionRefusedError" in message and "127.0.0.1:1" in message


async def test_a_start_that_hangs_ends_with_a_start_error_after_the_time_limit(wx_app, wechaty_cache):
    began = time.monotonic()
    with pytest.raises(WeChatStartError, match=r"no login from the WeChat gateway within 0.5 s"):
        async with running(wx_app, wechaty_cache, factory=lambda: new_puppet(wx_app, hang=True), start_timeout=0.5):
            pass
    assert time.monotonic() - began < 5


async def test_a_stream_that_ends_before_the_login_is_a_start_error(wx_app, wechaty_cache):
    def ending():
        puppet = new_puppet(wx_app, login=False)
        asyncio.get_running_loop().call_later(0.1, puppet.drop_stream)
        return puppet
    with pytest.raises(WeChatStartError, match="ended before the login"):
        async with running(wx_app, wechaty_cache, factory=ending):
            pass


async def test_host_serve_ends_with_the_start_error(wx_app, wechaty_cache):
    """What ``shangliang run`` sees: ``Host.serve`` raises it (a ConfigError: one line, exit 2)."""
    from bot.config import ConfigError
    from bot.host import Host
    from bot.wechat.runtime import WeChatRuntime

    from .conftest import settings
    host = Host(wx_app, tick_seconds=3600)
    runtime = WeChatRuntime(wx_app, host=host, puppet_factory=lambda: new_puppet(wx_app, hang=True),
                            settings=settings(wechaty_cache, start_timeout=0.3))
    with pytest.raises(ConfigError, match="no login"):
        await asyncio.wait_for(host.serve([runtime]), timeout=5)
    assert host.cores == {}


async def test_the_real_puppet_service_on_a_gateway_that_never_answers_ends_in_bounded_time(wx_app, wechaty_cache):
    connections = []

    async def silent(reader, writer):
        connections.append(writer)  # accepts, reads nothing, answers nothing

    server = await asyncio.start_server(silent, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    from bot.host import Host
    from bot.wechat.runtime import WeChatRuntime, service_puppet_factory

    from .conftest import settings
    runtime = WeChatRuntime(wx_app, host=Host(wx_app, tick_seconds=3600),
                            puppet_factory=service_puppet_factory("puppet_test_token", f"127.0.0.1:{port}"),
                            settings=settings(wechaty_cache, start_timeout=1.0, stop_timeout=1.0))
    began = time.monotonic()
    try:
        with pytest.raises(WeChatStartError, match="no login"):
            await runtime.start()
        assert time.monotonic() - began < 8
    finally:
        for writer in connections:
            writer.close()
        server.close()
        await server.wait_closed()
