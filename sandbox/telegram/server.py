"""The aiohttp application: decode a request, validate it, apply faults, run the method, answer."""
from __future__ import annotations

import asyncio
import inspect
import json
import logging
from functools import partial
from typing import Any

from aiohttp import hdrs, web

from .base import METHODS, ApiError, Call, NotImplementedMethod, Upload, Violation
from .files import MAX_UPLOAD
from .limits import charge

log = logging.getLogger(__name__)
_dumps = partial(json.dumps, ensure_ascii=False)


def make_app(sb) -> web.Application:
    app = web.Application(client_max_size=MAX_UPLOAD + 1024 * 1024)
    app.router.add_route("*", "/bot{token}/{method}", partial(handle_method, sb))
    app.router.add_get("/file/bot{token}/{path:.+}", partial(handle_file, sb))
    app.router.add_route("*", "/{tail:.*}", partial(handle_unknown, sb))
    return app


async def read_params(request: web.Request) -> tuple[dict[str, Any], bool]:
    """Raw parameters (query string and body) and whether they came as a JSON body."""
    raw: dict[str, Any] = {}

    def put(name: str, value: Any) -> None:
        if name in raw:
            raise Violation(f"parameter {name!r} is given more than once")
        raw[name] = value

    for name in request.query:
        put(name, request.query[name])
    ctype = request.content_type
    if ctype == "application/json":
        body = await request.read()
        try:
            data = json.loads(body) if body.strip() else {}
        except ValueError as exc:
            raise Violation(f"the JSON body does not parse: {exc}") from None
        if not isinstance(data, dict):
            raise Violation("a JSON body must be an object")
        for name, value in data.items():
            put(name, value)
        return raw, True
    if ctype == "multipart/form-data":
        reader = await request.multipart()
        while (part := await reader.next()) is not None:
            if part.filename is not None:
                kind = part.headers.get(hdrs.CONTENT_TYPE, "application/octet-stream")
                put(part.name, Upload(part.filename, kind, bytes(await part.read())))
            else:
                put(part.name, await part.text())
    elif ctype in ("application/x-www-form-urlencoded", "application/octet-stream", ""):
        form = await request.post()
        for name in set(form.keys()):
            values = form.getall(name)
            if len(values) > 1:
                raise Violation(f"parameter {name!r} is given more than once")
            put(name, values[0])
    else:
        raise Violation(f"unsupported Content-Type {ctype!r}")
    return raw, False


async def _run(sb, request: web.Request, method: str | None, name: str, call: Call):
    """(HTTP status, envelope, fault); envelope None means: drop the connection."""
    fault = None
    try:
        try:
            raw, is_json = await read_params(request)
        except ConnectionResetError:  # the client went away mid-request (a bot killed mid-send): its doing
            sb.disconnects += 1
            return 0, None, fault
        call.params = raw
        if method is None:
            raise Violation(f"unknown method {name!r} (not in {sb.spec.version})")
        params = sb.spec.decode(method, raw, is_json=is_json)
        call.params = params
        fault = sb.faults.take(method)
        if fault and fault.kind == "drop":
            return 0, None, fault
        if fault and fault.kind == "fail":
            raise fault.error
        charge(sb, method, params)  # Telegram's rate limits, when the sandbox was asked for them
        handler = METHODS.get(method)
        if handler is None:
            raise NotImplementedMethod(method)
        result = handler(sb, params)
        if inspect.isawaitable(result):
            result = await result
        errors = sb.spec.check(result, sb.spec.methods[method]["returns"], f"{method} result")
        if errors:
            raise Violation("the sandbox's own answer breaks the spec: " + "; ".join(errors[:5]))
        return 200, {"ok": True, "result": result}, fault
    except Violation as exc:
        text = str(exc) if str(exc).startswith(f"{method or name}") else f"{method or name}: {exc}"
        sb.errors.append(text)
        return 400, {"ok": False, "error_code": 400, "description": f"sandbox: {text}"}, fault
    except NotImplementedMethod:
        text = f"{method} is a Bot API method the sandbox does not implement"
        sb.errors.append(text)
        return 501, {"ok": False, "error_code": 501, "description": f"sandbox: {text}"}, fault
    except ApiError as exc:
        return exc.code, exc.envelope(), fault
    except Exception as exc:  # a bug in the sandbox: loud, recorded
        log.exception("sandbox: %s failed", name)
        sb.errors.append(f"{method or name}: sandbox internal error {exc!r}")
        return 500, {"ok": False, "error_code": 500, "description": f"sandbox: internal error {exc!r}"}, fault


async def handle_method(sb, request: web.Request) -> web.StreamResponse:
    name = request.match_info["method"]
    method = sb.spec.canonical(name)
    call = Call(method or name, {})
    sb.calls.append(call)
    if request.match_info["token"] != sb.token:
        call.answer = ApiError(401, "Unauthorized").envelope()
        return web.json_response(call.answer, status=401, dumps=_dumps)
    status, body, fault = await _run(sb, request, method, name, call)
    if body is None:
        if request.transport is not None:
            request.transport.abort()
        await asyncio.sleep(0)
        return web.Response(status=204)
    call.answer = body
    if fault is not None and fault.kind == "slow":
        await asyncio.sleep(fault.seconds)
    return web.json_response(body, status=status, dumps=_dumps)


async def handle_file(sb, request: web.Request) -> web.StreamResponse:
    stored = sb.files.by_path.get(request.match_info["path"])
    if request.match_info["token"] != sb.token or stored is None:
        return web.json_response({"ok": False, "error_code": 404, "description": "Not Found"}, status=404)
    return web.Response(body=stored.data, content_type=stored.mime_type)


async def handle_unknown(sb, request: web.Request) -> web.StreamResponse:
    sb.errors.append(f"request to {request.method} {request.path}, which is no Bot API path "
                     f"(base_url must be {sb.url}/bot, base_file_url {sb.url}/file/bot)")
    return web.json_response({"ok": False, "error_code": 404, "description": "Not Found"}, status=404)
