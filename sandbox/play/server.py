"""The playground's web server: the page, its state as JSON, and the visitor's actions (API.md).

Bound to 127.0.0.1 unless told otherwise; it serves only its own static files. A refused
action answers 400 with a sentence in Chinese; anything unexpected is logged with its
traceback and answers 500 with an apology, never the traceback.
"""
from __future__ import annotations

import hashlib
import json
import logging
from pathlib import Path
from urllib.parse import quote

from aiohttp import web

from .errors import PlayError
from .playground import Playground

log = logging.getLogger(__name__)
STATIC = Path(__file__).parent / "static"
ACTIONS = ("say", "press", "open", "vote", "time", "sample", "reset")
PLAYGROUND = web.AppKey("playground", Playground)
NO_STORE = {"Cache-Control": "no-store"}


class Versions:
    """``version`` in the state: grows whenever what the page shows changed."""

    def __init__(self) -> None:
        self.number, self.digest = 0, ""

    def stamp(self, state: dict) -> dict:
        digest = hashlib.sha256(json.dumps(state, ensure_ascii=False, sort_keys=True).encode()).hexdigest()
        if digest != self.digest:
            self.number, self.digest = self.number + 1, digest
        return {"version": self.number, **state}


def make_app(playground: Playground) -> web.Application:
    app = web.Application(client_max_size=256 * 1024, middlewares=[_errors])
    app[PLAYGROUND] = playground
    versions = Versions()

    async def index(request: web.Request) -> web.StreamResponse:
        return web.FileResponse(STATIC / "index.html", headers=NO_STORE)

    async def state(request: web.Request) -> web.Response:
        return web.json_response(versions.stamp(playground.state()), headers=NO_STORE,
                                 dumps=lambda v: json.dumps(v, ensure_ascii=False))

    async def action(request: web.Request) -> web.Response:
        name = request.match_info["action"]
        if name not in ACTIONS:
            raise web.HTTPNotFound()
        try:
            body = await request.json()
        except (json.JSONDecodeError, UnicodeDecodeError):
            raise PlayError("请求不是 JSON") from None
        if not isinstance(body, dict):
            raise PlayError("请求不是 JSON 对象")
        result = await playground.act(name, body)
        return web.json_response({"ok": True, **result}, dumps=lambda v: json.dumps(v, ensure_ascii=False))

    async def file(request: web.Request) -> web.Response:
        try:
            number = int(request.match_info["number"])
        except ValueError:
            raise web.HTTPNotFound() from None
        name, mime, data = playground.file(number)
        disposition = "inline" if mime.startswith("image/") else "attachment"
        return web.Response(body=data, content_type=mime, headers={
            "Content-Disposition": f"{disposition}; filename*=UTF-8''{quote(name)}", **NO_STORE})

    app.router.add_get("/", index)
    app.router.add_get("/api/state", state)
    app.router.add_post("/api/{action}", action)
    app.router.add_get("/api/files/{number}", file)
    app.router.add_static("/static/", STATIC, append_version=False)
    return app


@web.middleware
async def _errors(request: web.Request, handler):
    try:
        return await handler(request)
    except PlayError as exc:
        return web.json_response({"ok": False, "error": str(exc)}, status=400,
                                 dumps=lambda v: json.dumps(v, ensure_ascii=False))
    except web.HTTPException:
        raise
    except Exception:
        log.exception("the playground failed on %s %s", request.method, request.path)
        return web.json_response({"ok": False, "error": "出错了，已记在终端里；可以点「清空重来」"}, status=500,
                                 dumps=lambda v: json.dumps(v, ensure_ascii=False))
