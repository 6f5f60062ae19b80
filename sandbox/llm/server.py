"""``FakeLlm``: ``POST /v1/chat/completions`` on 127.0.0.1, in a thread, in one of these modes.

good           the verdict as bare JSON (what ``response_format: json_object`` gives)
good-fenced    the verdict in a ```json block after a sentence of prose
good-prose     the verdict inside prose, after a <think> block (reasoning models)
bad-prose      prose with no JSON at all
bad-json       broken JSON
bad-category   a category not among the ten
bad-size       a size that is not small, big or urgent
bad-missing    no reason (and no size)
bad-envelope   HTTP 200 whose body is not a chat completion
bad-html       HTTP 200 whose body is an HTML page
error          HTTP 500
hangup         closes the connection without answering
slow           answers well, but only after ``delay`` seconds
trickle        sends the headers, then the body one byte every ``trickle_every`` seconds

The verdict is decided by ``rules``: the first substring found in the user message gives
(category, size, reason); none gives ``default``. ``closed_url()`` is an address where
nothing listens (the server is down).
"""
from __future__ import annotations

import json
import socket
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

BAD_MODES = ("bad-prose", "bad-json", "bad-category", "bad-size", "bad-missing", "bad-envelope", "bad-html")
MODES = ("good", "good-fenced", "good-prose", *BAD_MODES, "error", "hangup", "slow", "trickle")
Verdict = tuple[str, str, str]


@dataclass
class Received:
    """One request as the server got it."""

    path: str
    headers: dict[str, str]
    body: dict = field(default_factory=dict)

    @property
    def authorization(self) -> str | None:
        return self.headers.get("authorization")

    @property
    def text(self) -> str:
        """The user message (the resident's text as sent)."""
        return next((m.get("content", "") for m in self.body.get("messages", []) if m.get("role") == "user"), "")

    @property
    def system(self) -> str:
        return next((m.get("content", "") for m in self.body.get("messages", []) if m.get("role") == "system"), "")


class FakeLlm:
    def __init__(self, rules: dict[str, Verdict] | None = None, *, mode: str = "good",
                 default: Verdict = ("其他", "small", "看不出具体问题"), delay: float = 10.0,
                 trickle_every: float = 0.3) -> None:
        self.rules, self.default, self.delay, self.trickle_every = dict(rules or {}), default, delay, trickle_every
        self.mode = mode
        self.requests: list[Received] = []
        self._stop = threading.Event()
        self._server: ThreadingHTTPServer | None = None

    @property
    def mode(self) -> str:
        return self._mode

    @mode.setter
    def mode(self, value: str) -> None:
        if value not in MODES:
            raise ValueError(f"unknown mode {value!r}; modes: {', '.join(MODES)}")
        self._mode = value

    @property
    def url(self) -> str:
        """The base URL to configure (``…/v1``; the client adds ``/chat/completions``)."""
        assert self._server is not None, "start() the server first"
        return f"http://127.0.0.1:{self._server.server_address[1]}/v1"

    def start(self) -> FakeLlm:
        fake = self

        class Handler(_Handler):
            server_fake = fake

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._server.block_on_close = False
        threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True,
                         name="fake-llm").start()
        return self

    def stop(self) -> None:
        """Stop listening (later calls are refused) and cut short any slow answer."""
        self._stop.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    def __enter__(self) -> FakeLlm:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def verdict(self, text: str) -> Verdict:
        return next((v for cue, v in self.rules.items() if cue in text), self.default)


def closed_url() -> str:
    """A base URL on 127.0.0.1 where nothing listens (connections are refused)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/v1"


def _completion(model: str, content: str) -> dict:
    return {"id": "chatcmpl-fake", "object": "chat.completion", "created": 0, "model": model,
            "choices": [{"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": content}}],
            "usage": {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0}}


def _content(mode: str, verdict: Verdict) -> str:
    category, size, reason = verdict
    good = json.dumps({"category": category, "size": size, "reason": reason}, ensure_ascii=False)
    return {
        "good": good, "slow": good, "trickle": good,
        "good-fenced": f"好的，这条消息的判断如下：\n```json\n{good}\n```\n如有疑问请告诉我。",
        "good-prose": f"<think>先看看 {{这是什么}} 问题……</think>我的判断是 {good} ，供参考。",
        "bad-prose": f"这条消息应该属于{category}，我觉得是{size}。",
        "bad-json": good[:-1] + ', "extra": ',
        "bad-category": json.dumps({"category": "卫生问题", "size": size, "reason": reason}, ensure_ascii=False),
        "bad-size": json.dumps({"category": category, "size": "medium", "reason": reason}, ensure_ascii=False),
        "bad-missing": json.dumps({"category": category}, ensure_ascii=False),
    }[mode]


class _Handler(BaseHTTPRequestHandler):
    server_fake: FakeLlm

    def log_message(self, format: str, *args: object) -> None:  # quiet: tests read caplog
        pass

    def do_POST(self) -> None:  # noqa: N802 — http.server's name
        fake = self.server_fake
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        try:
            body = json.loads(raw)
        except ValueError:
            body = {}
        fake.requests.append(Received(self.path, {k.lower(): v for k, v in self.headers.items()}, body))
        mode = fake.mode
        if not self.path.rstrip("/").endswith("/chat/completions"):
            return self._send(404, b'{"error": {"message": "not found"}}')
        if mode == "hangup":
            self.close_connection = True
            return self.connection.shutdown(socket.SHUT_RDWR)
        if mode == "error":
            return self._send(500, b'{"error": {"message": "internal error", "type": "server_error"}}')
        if mode == "bad-envelope":
            return self._send(200, json.dumps({"result": "环境卫生"}, ensure_ascii=False).encode())
        if mode == "bad-html":
            return self._send(200, b"<html><body>502 Bad Gateway</body></html>", "text/html")
        if mode == "slow" and fake._stop.wait(fake.delay):
            return None
        data = json.dumps(_completion(body.get("model", ""), _content(mode, fake.verdict(self._user(body)))),
                          ensure_ascii=False).encode()
        if mode != "trickle":
            return self._send(200, data)
        self._head(200, len(data))
        for i in range(len(data)):
            if fake._stop.wait(fake.trickle_every):
                return None
            try:
                self.wfile.write(data[i:i + 1])
                self.wfile.flush()
            except OSError:  # the client gave up
                return None
        return None

    @staticmethod
    def _user(body: dict) -> str:
        return next((m.get("content", "") for m in body.get("messages", []) if isinstance(m, dict)
                     and m.get("role") == "user"), "")

    def _head(self, status: int, length: int, ctype: str = "application/json") -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(length))
        self.end_headers()

    def _send(self, status: int, data: bytes, ctype: str = "application/json") -> None:
        self._head(status, len(data), ctype)
        try:
            self.wfile.write(data)
        except OSError:
            pass
