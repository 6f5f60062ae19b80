"""A round-robin HTTP load balancer for tests: what nginx does in front of N webhook processes.

Each request goes to the next upstream in turn, its path, headers (the Bot API's
``X-Telegram-Bot-Api-Secret-Token`` too) and body unchanged, and the upstream's answer goes
back as it came. An upstream that refuses the connection is skipped for the next one, like
nginx's ``proxy_next_upstream error``; once the request reached an upstream it is not sent
elsewhere (a POST is not idempotent), and a failure then is answered 502, so the sender
(Telegram, the sandbox) sends the update again later.

``front(sb, balancer)`` stands in for DNS and TLS: the bot registers its public
``https://`` webhook address, and the sandbox posts to the balancer instead.
"""
from __future__ import annotations

import itertools
from collections import Counter

import aiohttp
from aiohttp import web

HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length", "host", "content-encoding"}


class RoundRobin:
    def __init__(self, upstreams: list[str]) -> None:
        self.upstreams = list(upstreams)  # base URLs, e.g. "http://127.0.0.1:8441"
        self.served: Counter[str] = Counter()  # upstream -> requests it answered
        self.refused: Counter[str] = Counter()  # upstream -> connections it refused
        self.url = ""
        self._turn = itertools.cycle(range(len(self.upstreams)))
        self._runner: web.AppRunner | None = None
        self._session: aiohttp.ClientSession | None = None

    async def start(self) -> None:
        self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30),
                                              connector=aiohttp.TCPConnector(limit=0))
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/{path:.*}", self._forward)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.url = f"http://127.0.0.1:{site._server.sockets[0].getsockname()[1]}"

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        if self._session is not None:
            await self._session.close()

    async def _forward(self, request: web.Request) -> web.StreamResponse:
        body = await request.read()
        headers = {k: v for k, v in request.headers.items() if k.lower() not in HOP_BY_HOP}
        for _ in range(len(self.upstreams)):
            upstream = self.upstreams[next(self._turn)]
            try:
                async with self._session.request(request.method, upstream + request.path_qs, data=body,
                                                 headers=headers) as answer:
                    content = await answer.read()
                    self.served[upstream] += 1
                    return web.Response(status=answer.status, body=content, headers={
                        k: v for k, v in answer.headers.items() if k.lower() not in HOP_BY_HOP})
            except aiohttp.ClientConnectorError:
                self.refused[upstream] += 1  # not listening (stopped, restarting): the next one
            except (aiohttp.ClientError, TimeoutError):
                return web.Response(status=502, text="upstream failed")
        return web.Response(status=502, text="no upstream")


def front(sb, balancer: RoundRobin) -> None:
    """Deliver ``sb``'s webhook updates to ``balancer`` whatever public URL the bot registered
    (DNS and TLS termination, as the proxy in front of the bot provides them)."""
    post = sb.hub._post

    async def via_balancer(hook: dict, update: dict) -> bool:
        return await post({**hook, "url": balancer.url + "/" + hook["url"].split("/", 3)[3]}, update)

    sb.hub._post = via_balancer
