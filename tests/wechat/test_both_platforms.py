"""Telegram and WeChat served by one host: a resident reports in a WeChat room, the committee
(on Telegram) gets its card with buttons, claims it by button, and the resident hears back
in WeChat; urgent alerts reach the coordinators' Telegram group."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from . import require_wechaty

require_wechaty()

from bot.bootstrap import bootstrap  # noqa: E402
from bot.config import load  # noqa: E402
from bot.host import Host  # noqa: E402
from bot.telegram.runtime import CAPS as TELEGRAM, TelegramRuntime  # noqa: E402
from bot.wechat.runtime import CAPS as WECHAT, WeChatRuntime  # noqa: E402
from handlers.capabilities import Capabilities  # noqa: E402
from handlers.clock import SimulatedClock  # noqa: E402
from sandbox.telegram import BotApiSandbox  # noqa: E402
from storage.models import Concern  # noqa: E402
from tests.configs import community  # noqa: E402

from .conftest import GRID, START, USERS, new_puppet, settings, wait_for  # noqa: E402

pytestmark = pytest.mark.asyncio
TG_COMMITTEE, TG_COORDINATORS, TG_LIU, TG_MA = -2002, -2003, 901, 900


def config_text() -> str:
    """A WeChat grid; the committee and the coordinators on Telegram (liu and ma too)."""
    telegram = {"ma": {"telegram": TG_MA}, "liu": {"telegram": TG_LIU}}
    roles = {"ma": "coordinator", "liu": "member", "zhao": "member"}
    return community({"grid-1": {"wechat": GRID}, "committee": {"telegram": TG_COMMITTEE},
                      "coordinators": {"telegram": TG_COORDINATORS}},
                     [(h, n, roles.get(h, "resident"), {"wechat": i, **telegram.get(h, {})})
                      for h, (i, n) in USERS.items()])


async def test_one_host_serves_a_wechat_grid_and_a_telegram_committee(tmp_path, ready_engine, wechaty_cache):
    path = tmp_path / "config.toml"
    path.write_text(config_text(), "utf-8")
    caps = Capabilities({"telegram": TELEGRAM, "wechat": WECHAT})
    app = bootstrap(load(path), clock=SimulatedClock(START), engine=ready_engine, platforms=("telegram", "wechat"),
                    caps=caps)
    sb = BotApiSandbox()
    await sb.start()
    sb.add_user(TG_LIU, "刘委员", username="liu")
    sb.add_user(TG_MA, "马书记", username="ma")
    sb.add_chat(TG_COMMITTEE, "supergroup", title="议事委员会")
    sb.add_chat(TG_COORDINATORS, "supergroup", title="联络组")
    puppets = []

    def make():
        puppets.append(new_puppet(app))
        return puppets[-1]
    host = Host(app, tick_seconds=3600)
    telegram = TelegramRuntime(app, token=sb.token, base_url=sb.url, host=host)
    wechat = WeChatRuntime(app, puppet_factory=make, host=host, settings=settings(wechaty_cache))
    await telegram.start(timeout=1)
    await wechat.start()
    try:
        assert set(host.cores) == {"telegram", "wechat"}
        puppets[-1].say_in_room(GRID, USERS["wang"][0], "#报事 5栋楼道里有很浓的燃气味")
        await sb.wait_for(lambda: sb.sent(TG_COMMITTEE) and sb.sent(TG_COORDINATORS), timeout=15)
        card = sb.sent(TG_COMMITTEE)[0]
        assert "#1" in card["text"] and card["reply_markup"]["inline_keyboard"]  # buttons on Telegram
        assert any("#1" in m["text"] for m in sb.sent(TG_COORDINATORS))  # the urgent alert
        await wait_for(lambda: puppets[-1].sent_to(GRID), what="the WeChat acknowledgement")
        assert "#1" in puppets[-1].sent_to(GRID)[0]

        claim = next(b["callback_data"] for row in card["reply_markup"]["inline_keyboard"] for b in row
                     if b["callback_data"].startswith("/claim"))
        sb.press(TG_COMMITTEE, card["message_id"], TG_LIU, claim)
        await wait_for(lambda: any("接单" in t for t in puppets[-1].sent_to(USERS["wang"][0])
                                   + puppets[-1].sent_to(GRID)), what="the resident told in WeChat")
        with app.sessions() as s:
            assert s.scalars(select(Concern.state)).one() == "claimed"
    finally:
        await wechat.stop()
        await telegram.stop()
        await sb.stop()
        app.close()
    assert sb.errors == []
