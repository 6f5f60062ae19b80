"""A playground on a SQLite file under the test's folder, served by its real web app
through aiohttp's test client (the page's own requests, without a browser)."""
from __future__ import annotations

import pytest_asyncio
from aiohttp.test_utils import TestClient, TestServer

from sandbox.play.community import DEFAULT_CONFIG
from sandbox.play.playground import Playground
from sandbox.play.server import make_app


class Page:
    """What the page does: read the state, post actions; every answer is JSON."""

    def __init__(self, client: TestClient, playground: Playground) -> None:
        self.client, self.playground = client, playground

    async def state(self) -> dict:
        response = await self.client.get("/api/state")
        assert response.status == 200
        return await response.json()

    async def post(self, action: str, status: int = 200, **body) -> dict:
        response = await self.client.post(f"/api/{action}", json=body)
        answer = await response.json()
        assert response.status == status, answer
        return answer

    async def say(self, chat: str, who: str, text: str, **kw) -> dict:
        return await self.post("say", chat=chat, text=text, **{"as": who}, **kw)

    async def chat(self, key: str) -> list[dict]:
        state = await self.state()
        if key.startswith("private-"):
            return state["private"][key.removeprefix("private-")]
        return next(c for c in state["chats"] if c["key"] == key)["messages"]

    async def bot_said(self, key: str) -> list[dict]:
        return [m for m in await self.chat(key) if m["from"]["bot"]]


async def open_page(tmp_path, platform: str = "telegram"):
    playground = Playground(DEFAULT_CONFIG, tmp_path / "play", platform)
    await playground.start()
    client = TestClient(TestServer(make_app(playground)))
    await client.start_server()
    return Page(client, playground)


@pytest_asyncio.fixture
async def page(tmp_path):
    page = await open_page(tmp_path)
    try:
        yield page
    finally:
        await page.client.close()
        await page.playground.stop()


@pytest_asyncio.fixture
async def wechat_page(tmp_path):
    from tests.wechat import require_wechaty
    require_wechaty()
    page = await open_page(tmp_path, "wechat")
    try:
        yield page
    finally:
        await page.client.close()
        await page.playground.stop()
